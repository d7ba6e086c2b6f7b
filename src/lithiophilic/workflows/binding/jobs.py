"""The ``@job`` steps of the Li binding flows: references, clean slabs, sites, layers.

Each step wires structures (:mod:`lithiophilic.structures.sites`,
:mod:`lithiophilic.structures.li_layers`) and formulas (:mod:`lithiophilic.analysis.binding`)
into the documents of :mod:`lithiophilic.workflows.binding.schemas`; the Makers that build
the flows are in :mod:`lithiophilic.workflows.binding.flows`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ase import Atoms
from jobflow import Flow, Response, job
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.analysis.binding import (
    adsorption_energy_ev,
    binding_energy_ev,
    compare_prescreen,
    li_cohesive_energy_ev,
    summarize_sites,
)
from lithiophilic.analysis.li_outcome import (
    OutcomeSettings,
    classify_li_outcome,
    classify_site_row,
    strongest_site,
)
from lithiophilic.analysis.surface import facet_label
from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import make_bulk, make_oriented_sqs, make_slabs, to_builtin
from lithiophilic.structures.sites import (
    adsorbate_environment,
    classify_site_after_relaxation,
    displace_adsorbate,
    find_adsorption_sites,
    lateral_supercell_for_spacing,
    place_adsorbate,
    start_displacement_seed,
)
from lithiophilic.workflows.base import AseCalcDoc
from lithiophilic.workflows.binding.schemas import (
    SITE_ROW_KEYS,
    LiMultilayerDoc,
    LiPrescreenDoc,
    LiReferenceDoc,
    LiSiteBindingDoc,
    LiSiteDoc,
)
from lithiophilic.workflows.surface import _jsonable
from lithiophilic.workflows.task_docs import as_calc_doc, make_calc_job

if TYPE_CHECKING:
    from lithiophilic.workflows.binding.flows import LiMultilayerMaker, LiSiteBindingMaker
    from lithiophilic.workflows.surface import SurfaceEnergyMaker

__all__ = [
    "ATOM_BOX_A",
    "build_oriented_sqs",
    "cut_first_slab",
    "grow_layer_structure",
    "li_atom_structure",
    "li_bcc_structure",
    "li_multilayer_result",
    "li_reference",
    "li_site_result",
    "make_layer_jobs",
    "make_site_jobs",
    "refine_li_sites",
    "remove_adsorbate",
    "summarize_li_sites",
    "summarize_prescreen",
]

logger = logging.getLogger(__name__)

#: Edge of the cubic box of the isolated Li atom, Å.
ATOM_BOX_A = 15.0


def li_bcc_structure() -> Structure:
    """Return the bcc Li cell the Li chemical-potential reference is relaxed from."""
    st = AseAtomsAdaptor.get_structure(make_bulk("Li"))
    st.properties = {}
    return st


def li_atom_structure() -> Structure:
    """Return one Li atom in a cubic box of edge :data:`ATOM_BOX_A` (isolated-atom reference)."""
    return AseAtomsAdaptor.get_structure(
        Atoms("Li", positions=[[0, 0, 0]], cell=[ATOM_BOX_A] * 3, pbc=True)
    )


@job(output_schema=LiReferenceDoc)
def li_reference(
    bcc: AseCalcDoc, atom: AseCalcDoc, spin_polarized: bool, kind: str
) -> LiReferenceDoc:
    """Combine the bcc-Li and isolated-atom calculations; returns a LiReferenceDoc."""
    bcc = as_calc_doc(bcc)
    atom = as_calc_doc(atom)
    a_bcc = (2.0 * bcc.volume_a3 / bcc.n_atoms) ** (1.0 / 3.0)
    return LiReferenceDoc(
        bcc_energy_per_atom_ev=bcc.energy_per_atom_ev,
        bcc_lattice_a_a=a_bcc,
        atom_energy_ev=atom.energy_ev,
        atom_spin_polarized=spin_polarized,
        atom_reference_reliable=kind != "mlip",
        cohesive_energy_ev=li_cohesive_energy_ev(atom.energy_ev, bcc.energy_per_atom_ev),
        calculator_name=bcc.calculator_name,
        calculator_version=bcc.calculator_version,
        calculator_model=bcc.calculator_model,
    )


@job
def cut_first_slab(
    bulk: AseCalcDoc, maker: SurfaceEnergyMaker, miller: list[int], kind: str, termination: int
) -> dict[str, Any]:
    """Cut the clean slab exactly as the surface-energy flow does; returns its structure."""
    bulk = as_calc_doc(bulk)
    atoms = AseAtomsAdaptor.get_atoms(bulk.structure)
    ((n_layers, min_t), *_) = maker._thickness_plan(kind, miller)
    slabs = make_slabs(
        atoms,
        (miller[0], miller[1], miller[2]),
        n_layers=n_layers,
        min_thickness_a=min_t,
        vacuum_a=maker.vacuum_a,
        n_fixed_layers=maker.n_fixed_layers,
        fix=maker.fix,
        symmetric=maker.symmetric,
        max_terminations=maker.max_terminations,
    )
    if termination >= len(slabs):
        msg = f"termination: {termination} does not exist; {facet_label(miller)} has {len(slabs)} (0-{len(slabs) - 1})"
        raise ConfigurationError(msg)
    struct = AseAtomsAdaptor.get_structure(slabs[termination])
    struct.properties = {}
    return {"structure": struct}


@job
def build_oriented_sqs(
    bulk: AseCalcDoc,
    maker: SurfaceEnergyMaker,
    composition: dict[str, float],
    miller: list[int],
    seed: int | None = None,
) -> Structure:
    """Build the oriented SQS cell of sample ``seed`` (None: ``maker.sqs_seed``, the first one).

    Sample k of the surface study has seed ``maker.sqs_seed + k``, so the same seed cuts the
    very slab that study relaxed.
    """
    bulk = as_calc_doc(bulk)
    a_eff = (4.0 * bulk.volume_a3 / bulk.n_atoms) ** (1.0 / 3.0)
    cell = make_oriented_sqs(
        composition,
        (miller[0], miller[1], miller[2]),
        lattice="fcc",
        a_a=a_eff,
        n_layers=maker._sqs_layers(miller),
        seed=maker.sqs_seed if seed is None else seed,
    )
    struct = AseAtomsAdaptor.get_structure(cell)
    struct.properties = {"oriented_info": _jsonable(cell.info)}
    return struct


def _round_robin_sites(sites: list[Any], max_sites: int) -> list[Any]:
    """Return ``max_sites`` sites taken round-robin over site kinds (every kind represented)."""
    by_kind: dict[str, list[Any]] = {}
    for site in sites:
        by_kind.setdefault(site.kind, []).append(site)
    picked: list[Any] = []
    while len(picked) < max_sites:
        for group in by_kind.values():
            if group and len(picked) < max_sites:
                picked.append(group.pop(0))
    return picked


def _li_start(
    maker: LiSiteBindingMaker,
    sup: Atoms,
    site: Any,
    material: str,
    miller: list[int],
    ctx: dict[str, Any],
) -> tuple[Structure, dict[str, Any]]:
    """Return the slab+Li start on ``site`` (displaced by the seeded offset) and the offset."""
    with_li = place_adsorbate(sup, site, symbol="Li")
    shift: dict[str, Any] = {}
    if maker.start_displacement_a > 0:
        seed = start_displacement_seed(
            material, facet_label(miller), ctx.get("termination"), ctx.get("sqs_seed"), site.label
        )
        with_li, vec = displace_adsorbate(
            with_li, len(with_li) - 1, magnitude_a=maker.start_displacement_a, seed=seed
        )
        shift = {"start_displacement_a": vec, "start_displacement_seed": seed}
    st = AseAtomsAdaptor.get_structure(with_li)
    st.properties = {}
    return st, shift


@job
def make_site_jobs(
    maker: LiSiteBindingMaker,
    material: str,
    miller: list[int],
    relaxed_slab: AseCalcDoc,
    reference: LiReferenceDoc,
    context: dict[str, Any] | None = None,
) -> Response:
    """Repeat the relaxed slab to the Li-image spacing, enumerate sites, relax Li on each.

    Each Li starts ``maker.start_displacement_a`` off its site in a direction seeded by the
    material, facet, termination, SQS seed and site label (the same in every run); with
    ``maker.check_substrate`` the slab is re-relaxed from each relaxed geometry with the Li
    removed (reconstruction test). ``context``: ``termination``, ``sqs_seed`` and
    ``termination_choice`` recorded in the documents.
    """
    relaxed_slab = as_calc_doc(relaxed_slab)
    slab = AseAtomsAdaptor.get_atoms(relaxed_slab.structure)
    n1, n2 = lateral_supercell_for_spacing(slab, min_image_distance_a=maker.min_li_distance_a)
    sup = slab.repeat((n1, n2, 1))
    sites = find_adsorption_sites(sup, reduce_by_environment=bool(maker.reduce_by_environment))
    if maker.max_sites is not None and len(sites) > maker.max_sites:
        picked = _round_robin_sites(sites, maker.max_sites)
        logger.warning(
            "%s %s: relaxing %d of %d sites (max_sites)",
            material,
            facet_label(miller),
            len(picked),
            len(sites),
        )
        sites = picked
    logger.info(
        "%s %s: %dx%d supercell, %d sites", material, facet_label(miller), n1, n2, len(sites)
    )
    sup_struct = AseAtomsAdaptor.get_structure(sup)
    sup_struct.properties = {}
    label = f"{material} {facet_label(miller)}"
    ctx = dict(context or {})
    clean = make_calc_job(maker.slab_static_maker, sup_struct, f"{label} clean {n1}x{n2}")
    clean.append_name(f" {label} clean {n1}x{n2}")
    jobs: list[Any] = [clean]
    docs = []
    sub_maker, sub_ref = maker.li_relax_maker, None
    if maker.check_substrate:
        # the substrate test compares two tightly relaxed slabs: the clean supercell and each
        # slab left by a Li, both relaxed to substrate_fmax_ev_per_a (a loose fmax alone
        # leaves ~0.1 eV of relaxation noise on a soft 100-atom slab)
        if hasattr(sub_maker, "fmax_ev_per_a"):
            sub_maker = replace(
                sub_maker, name="substrate relax", fmax_ev_per_a=maker.substrate_fmax_ev_per_a
            )
        sub_ref = make_calc_job(sub_maker, sup_struct, f"{label} clean {n1}x{n2} substrate")
        sub_ref.append_name(f" {label} clean {n1}x{n2} substrate")
        jobs.append(sub_ref)
    for site in sites:
        st, shift = _li_start(maker, sup, site, material, miller, ctx)
        rl = make_calc_job(maker.li_relax_maker, st, f"{label} Li@{site.label}")
        rl.append_name(f" {label} Li@{site.label}")
        jobs.append(rl)
        substrate = None
        if maker.check_substrate:
            bare = remove_adsorbate(rl.output)
            bare.append_name(f" {label} Li@{site.label}")
            sub = make_calc_job(sub_maker, bare.output, f"{label} Li@{site.label} substrate")
            sub.append_name(f" {label} Li@{site.label} substrate")
            jobs += [bare, sub]
            substrate = sub.output
        res = li_site_result(
            rl.output,
            clean.output,
            reference,
            sup_struct,
            site.label,
            material,
            miller,
            [n1, n2],
            maker.reduce_by_environment,
            substrate=substrate,
            substrate_reference=None if sub_ref is None else sub_ref.output,
            outcome_settings=maker.outcome_settings,
            extra={**shift, "termination": ctx.get("termination"), "sqs_seed": ctx.get("sqs_seed")},
        )
        res.append_name(f" {label} Li@{site.label}")
        jobs.append(res)
        docs.append(res.output)
    summary = summarize_li_sites(material, miller, docs, reference, maker.outcome_settings, ctx)
    summary.append_name(f" {label}")
    jobs.append(summary)
    if maker.refine_calculator is not None:
        refine = refine_li_sites(maker, material, miller, docs, sup_struct, [n1, n2])
        refine.append_name(f" {label}")
        jobs.append(refine)
    return Response(replace=Flow(jobs, output=summary.output, name=f"Li sites {label}"))


@job
def refine_li_sites(
    maker: LiSiteBindingMaker,
    material: str,
    miller: list[int],
    site_docs: list[LiSiteDoc],
    clean_structure: Structure,
    supercell: list[int],
) -> Response:
    """Refine the best-screened sites with ``maker.refine_calculator`` (prescreen mode).

    Relaxes, with the refining calculator: bcc Li and the isolated atom (its references),
    the clean supercell (starting from the screen's relaxed geometry) and slab+Li for the
    ``refine_top_k`` strongest valid screened sites (all of them with ``refine_all``),
    each starting from the screen's relaxed structure; then :func:`summarize_prescreen`.
    """
    if maker.refine_calculator is None:
        msg = "refine_calculator: None; refine_li_sites needs a refining calculator"
        raise ConfigurationError(msg)
    docs = [LiSiteDoc.model_validate(d) for d in site_docs]
    valid = sorted(
        (d for d in docs if classify_site_row(d.model_dump()) == "adsorbed"),
        key=lambda d: d.energy_ev,
    )
    if not valid:
        msg = f"{material} {facet_label(miller)}: no valid screened site to refine"
        raise CalculationFailed(msg)
    chosen = valid if maker.refine_all else valid[: maker.refine_top_k]
    spec = maker.refine_calculator
    relax = replace(maker.li_relax_maker, name="Li relax (refine)", calculator=spec)
    bulk_relax = replace(maker.surface_maker.bulk_relax_maker, calculator=spec)
    atom_spec = CalculatorSpec(spec.name, {**spec.kwargs, **maker.refine_atom_kwargs})
    atom_static = replace(maker.atom_static_maker, calculator=atom_spec)
    label = f"{material} {facet_label(miller)}"
    bcc = bulk_relax.make(li_bcc_structure(), label="Li reference bulk")
    bcc.append_name(" Li (reference, refine)")
    atom = atom_static.make(li_atom_structure(), label="Li atom")
    atom.append_name(" (reference, refine)")
    ref = li_reference(bcc.output, atom.output, maker.refine_spin_polarized, spec.backend.kind)
    clean = replace(relax, name="clean supercell (refine)").make(
        clean_structure, label=f"{label} clean (refine)"
    )
    clean.append_name(f" {label}")
    jobs: list[Any] = [bcc, atom, ref, clean]
    refined = []
    for d in chosen:
        rl = relax.make(d.relaxed_structure, label=f"{label} Li@{d.site_label} (refine)")
        rl.append_name(f" {label} Li@{d.site_label}")
        res = li_site_result(
            rl.output,
            clean.output,
            ref.output,
            clean_structure,
            d.site_label,
            material,
            miller,
            supercell,
            bool(maker.reduce_by_environment),
        )
        res.append_name(f" {label} Li@{d.site_label} (refine)")
        jobs += [rl, res]
        refined.append(res.output)
    summ = summarize_prescreen(
        material,
        miller,
        [d.model_dump() for d in valid],
        refined,
        maker.refine_top_k,
        maker.refine_all,
    )
    summ.append_name(f" {label}")
    return Response(replace=Flow([*jobs, summ], output=summ.output, name=f"refine {label}"))


@job(output_schema=LiPrescreenDoc)
def summarize_prescreen(
    material: str,
    miller: list[int],
    screened: list[LiSiteDoc],
    refined: list[LiSiteDoc],
    top_k: int,
    refine_all: bool,
) -> LiPrescreenDoc:
    """Compare screened and refined sites; returns a LiPrescreenDoc."""
    scr = [LiSiteDoc.model_validate(d) for d in screened]
    ref = [LiSiteDoc.model_validate(d) for d in refined]
    ok = [d for d in ref if classify_site_row(d.model_dump()) == "adsorbed"]
    if not ok:
        msg = f"{material} {facet_label(miller)}: no refined site is valid (unconverged or subsurface)"
        raise CalculationFailed(msg)
    cmp = compare_prescreen(
        {d.site_label: d.binding_energy_bcc_ev for d in scr},
        {d.site_label: d.binding_energy_bcc_ev for d in ok},
        top_k,
    )
    by_label = {d.site_label: d for d in scr}
    best = next(d for d in ok if d.site_label == cmp["refined_lowest_label"])
    rows = [
        {
            "site_label": d.site_label,
            "site_kind": d.site_kind,
            "screen_binding_energy_bcc_ev": by_label[d.site_label].binding_energy_bcc_ev,
            "refined_binding_energy_bcc_ev": d.binding_energy_bcc_ev,
            "refined_binding_energy_atom_ev": d.binding_energy_atom_ev,
            "refined_final_site_kind": d.final_site_kind,
            "refined_converged": d.converged,
            "refined_subsurface": d.subsurface,
        }
        for d in ref
    ]
    return LiPrescreenDoc(
        material=material,
        miller=list(miller),
        screen_calculator_name=scr[0].calculator_name,
        screen_calculator_model=scr[0].calculator_model,
        top_k=top_k,
        refine_all=refine_all,
        n_screened=len(scr),
        refined_sites=[d.site_label for d in ref],
        screened_order=cmp["screened_order"],
        top_k_labels=cmp["top_k_labels"],
        refined_lowest_label=best.site_label,
        refined_lowest_final_site_kind=best.final_site_kind,
        binding_energy_bcc_ev=best.binding_energy_bcc_ev,
        binding_energy_atom_ev=best.binding_energy_atom_ev,
        refined_lowest_is_screen_lowest=cmp["refined_lowest_is_screen_lowest"],
        refined_lowest_in_top_k=cmp["refined_lowest_in_top_k"],
        spearman_rho=cmp["spearman_rho"],
        max_abs_diff_ev=cmp["max_abs_diff_ev"],
        rows=rows,
        calculator_name=best.calculator_name,
        calculator_version=best.calculator_version,
        calculator_model=best.calculator_model,
    )


@job(output_schema=LiSiteDoc)
def li_site_result(
    relaxed: AseCalcDoc,
    clean: AseCalcDoc,
    reference: LiReferenceDoc,
    clean_structure: Structure,
    site_label: str,
    material: str,
    miller: list[int],
    supercell: list[int],
    reduce_by_environment: bool,
    substrate: AseCalcDoc | None = None,
    outcome_settings: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    substrate_reference: AseCalcDoc | None = None,
) -> LiSiteDoc:
    """Classify the relaxed Li and compute E_ads/E_b against both references; returns a LiSiteDoc.

    Where the Li ended up: the in-plane site (:func:`classify_site_after_relaxation`), its 3D
    environment (:func:`adsorbate_environment`) and, with ``substrate`` (the slab re-relaxed
    without the Li), the substrate change; the outcome class is
    :func:`~lithiophilic.analysis.li_outcome.classify_li_outcome` with ``outcome_settings``.
    ``substrate_reference``: the clean slab relaxed like ``substrate`` (None: the clean
    supercell's energy). ``extra``: start displacement, termination and SQS seed to record.
    """
    from lithiophilic.structures.sites import shortest_inplane_vector_a

    relaxed = as_calc_doc(relaxed)
    clean = as_calc_doc(clean)
    ref = LiReferenceDoc.model_validate(reference)
    clean_atoms = AseAtomsAdaptor.get_atoms(clean_structure)
    sites = find_adsorption_sites(clean_atoms, reduce_by_environment=reduce_by_environment)
    by_label = {s.label: s for s in sites}
    site = by_label[site_label]
    atoms = AseAtomsAdaptor.get_atoms(relaxed.structure)
    li_index = len(atoms) - 1
    cls = classify_site_after_relaxation(
        atoms, adsorbate_index=li_index, initial_site=site, sites=sites
    )
    env = adsorbate_environment(atoms, li_index)
    settings = OutcomeSettings(**(outcome_settings or {}))
    sub = None if substrate is None else as_calc_doc(substrate)
    base = clean if substrate_reference is None else as_calc_doc(substrate_reference)
    change = None if sub is None else sub.energy_ev - base.energy_ev
    outcome = classify_li_outcome(
        env["neighbor_distance_ratios"],
        env["local_height_a"],
        change,
        moved=bool(cls["moved"]),
        settings=settings,
    )
    e_bcc = adsorption_energy_ev(relaxed.energy_ev, clean.energy_ev, ref.bcc_energy_per_atom_ev)
    e_atom = adsorption_energy_ev(relaxed.energy_ev, clean.energy_ev, ref.atom_energy_ev)
    return LiSiteDoc(
        material=material,
        miller=list(miller),
        site_label=site.label,
        site_kind=site.kind,
        site_neighbors=list(site.neighbors),
        final_site_label=cls["final_site_label"],
        final_site_kind=cls["final_site_kind"],
        moved=bool(cls["moved"]),
        subsurface=bool(cls["subsurface"]),
        height_above_surface_a=float(cls["height_above_surface_a"]),
        energy_ev=relaxed.energy_ev,
        slab_energy_ev=clean.energy_ev,
        adsorption_energy_bcc_ev=e_bcc,
        adsorption_energy_atom_ev=e_atom,
        binding_energy_bcc_ev=binding_energy_ev(
            relaxed.energy_ev, clean.energy_ev, ref.bcc_energy_per_atom_ev
        ),
        binding_energy_atom_ev=binding_energy_ev(
            relaxed.energy_ev, clean.energy_ev, ref.atom_energy_ev
        ),
        supercell=list(supercell),
        li_image_distance_a=shortest_inplane_vector_a(clean_atoms.cell.array[:2, :2]),
        converged=relaxed.converged,
        relaxed_structure=relaxed.structure,
        calculator_name=relaxed.calculator_name,
        calculator_version=relaxed.calculator_version,
        calculator_model=relaxed.calculator_model,
        dir_name=relaxed.dir_name,
        **outcome,
        neighbor_distance_ratios=env["neighbor_distance_ratios"],
        neighbor_symbols=env["neighbor_symbols"],
        local_height_a=env["local_height_a"],
        substrate_energy_ev=None if sub is None else sub.energy_ev,
        substrate_reference_energy_ev=None if sub is None else base.energy_ev,
        substrate_change_ev=change,
        substrate_converged=None if sub is None else sub.converged,
        outcome_settings={**settings.as_dict(), "local_radius_a": env["local_radius_a"]},
        **(extra or {}),
    )


@job
def remove_adsorbate(relaxed: AseCalcDoc) -> Structure:
    """Return the relaxed slab+Li without its Li (the last atom): the start of the substrate test."""
    doc = as_calc_doc(relaxed)
    atoms = AseAtomsAdaptor.get_atoms(doc.structure)
    if atoms.get_chemical_symbols()[-1] != "Li":
        msg = f"{doc.label}: the last atom is {atoms.get_chemical_symbols()[-1]}, not the Li adatom"
        raise CalculationFailed(msg)
    del atoms[-1]
    struct = AseAtomsAdaptor.get_structure(atoms)
    struct.properties = {}
    return struct


@job(output_schema=LiSiteBindingDoc)
def summarize_li_sites(
    material: str,
    miller: list[int],
    docs: list[LiSiteDoc],
    reference: LiReferenceDoc,
    outcome_settings: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> LiSiteBindingDoc:
    """Pick the strongest adsorbed site and the spread; returns a LiSiteBindingDoc.

    Only ``adsorbed`` sites (:mod:`~lithiophilic.analysis.li_outcome`) compete; the strongest
    incorporated or reconstructed site is kept beside it. If no site stayed adsorbed, the
    strongest converged site is reported with its outcome (``lowest_outcome``).
    """
    ref = LiReferenceDoc.model_validate(reference)
    site_docs = [LiSiteDoc.model_validate(d) for d in docs]
    rows = [{k: getattr(d, k) for k in SITE_ROW_KEYS} for d in site_docs]
    settings = OutcomeSettings(**(outcome_settings or {}))
    outcomes = {
        d.site_label: classify_site_row(r, settings) for d, r in zip(site_docs, rows, strict=True)
    }
    valid = [d for d in site_docs if outcomes[d.site_label] == "adsorbed"]
    pool = valid or [d for d in site_docs if outcomes[d.site_label] is not None]
    if not pool:
        msg = f"{material} {facet_label(miller)}: no site relaxed to a valid result (every relaxation unconverged)"
        raise CalculationFailed(msg)
    summ = summarize_sites(
        [
            {
                "site_label": d.site_label,
                "site_kind": d.site_kind,
                "energy_ev": d.energy_ev,
                "final_site_kind": d.final_site_kind,
                "moved": d.moved,
            }
            for d in pool
        ]
    )
    best = next(d for d in pool if d.site_label == summ["lowest_site_label"])
    inc = strongest_site(rows, settings, outcomes=("incorporated", "reconstructed"))
    counts = {
        o: sum(1 for v in outcomes.values() if v == o)
        for o in ("adsorbed", "incorporated", "reconstructed")
    }
    ctx = context or {}
    return LiSiteBindingDoc(
        material=material,
        miller=list(miller),
        n_sites=len(site_docs),
        n_valid=len(valid),
        lowest_site_label=best.site_label,
        lowest_final_site_kind=best.final_site_kind,
        binding_energy_bcc_ev=best.binding_energy_bcc_ev,
        binding_energy_atom_ev=best.binding_energy_atom_ev,
        adsorption_energy_bcc_ev=best.adsorption_energy_bcc_ev,
        adsorption_energy_atom_ev=best.adsorption_energy_atom_ev,
        spread_ev=summ["spread_ev"],
        cohesive_energy_ev=ref.cohesive_energy_ev,
        atom_reference_reliable=ref.atom_reference_reliable,
        rows=rows,
        calculator_name=best.calculator_name,
        calculator_version=best.calculator_version,
        calculator_model=best.calculator_model,
        lowest_outcome=outcomes[best.site_label],
        n_by_outcome=counts,
        strongest_incorporated=None
        if inc is None
        else {
            "site_label": inc["site_label"],
            "outcome": classify_site_row(inc, settings),
            "coordination_number": inc["coordination_number"],
            "local_height_a": inc["local_height_a"],
            "binding_energy_bcc_ev": inc["binding_energy_bcc_ev"],
        },
        outcome_settings=settings.as_dict(),
        termination=ctx.get("termination"),
        termination_choice=ctx.get("termination_choice"),
        sqs_seed=ctx.get("sqs_seed"),
    )


@job
def make_layer_jobs(
    maker: LiMultilayerMaker,
    material: str,
    miller: list[int],
    relaxed_slab: AseCalcDoc,
    reference: LiReferenceDoc,
) -> Response:
    """Build and relax 0…N Li layers on the relaxed clean slab (``maker.growth``)."""
    from lithiophilic.structures.li_layers import add_li_layers

    relaxed_slab = as_calc_doc(relaxed_slab)
    ref = LiReferenceDoc.model_validate(reference)
    slab = AseAtomsAdaptor.get_atoms(relaxed_slab.structure)
    label = f"{material} {facet_label(miller)}"
    jobs: list[Any] = []
    docs: list[Any] = []
    infos: list[dict[str, Any]] = []
    for n in range(maker.max_layers + 1):
        built = add_li_layers(
            slab,
            n,
            construction=maker.construction,
            li_bcc_a_a=ref.bcc_lattice_a_a,
            max_strain=maker.max_strain,
        )
        infos.append(_jsonable(built.info.get("li_layers", {})))
        struct = AseAtomsAdaptor.get_structure(built)
        struct.properties = {}
        start: Any = struct
        if maker.growth == "sequential" and n >= 2:
            grow = grow_layer_structure(docs[-1], struct, infos[-1])
            grow.append_name(f" {label} {n} Li layers")
            jobs.append(grow)
            start = grow.output
        rl = make_calc_job(maker.li_relax_maker, start, f"{label} {n} Li layers")
        rl.append_name(f" {label} {n} Li layers")
        jobs.append(rl)
        docs.append(rl.output)
    res = li_multilayer_result(
        docs,
        infos,
        reference,
        material,
        miller,
        maker.construction,
        maker.max_strain,
        maker.growth,
    )
    res.append_name(f" {label}")
    return Response(replace=Flow([*jobs, res], output=res.output, name=f"Li layers {label}"))


@job(name="grow Li layer")
def grow_layer_structure(
    relaxed_below: AseCalcDoc, ideal: Structure, info: dict[str, Any]
) -> Structure:
    """Start of layer n: the relaxed (n−1)-layer film plus an ideal layer n on top of it."""
    from lithiophilic.structures.li_layers import grow_li_layer

    below = AseAtomsAdaptor.get_atoms(as_calc_doc(relaxed_below).structure)
    atoms = AseAtomsAdaptor.get_atoms(ideal)
    atoms.info["li_layers"] = info
    struct = AseAtomsAdaptor.get_structure(grow_li_layer(below, atoms))
    struct.properties = {}
    return struct


def _layer_strain(info: dict[str, Any], max_strain: float | None) -> dict[str, Any] | None:
    """Return the strain block of a bcc110 construction's info and the max_strain it used."""
    strain = info.get("strain")
    if not isinstance(strain, dict):  # pseudomorphic layers: no Li(110) lattice to strain
        return None
    return {
        **strain,
        "max_strain_allowed": max_strain,
        "substrate_supercell_matrix": info.get("substrate_supercell_matrix"),
    }


@job(output_schema=LiMultilayerDoc)
def li_multilayer_result(
    docs: list[AseCalcDoc],
    infos: list[dict[str, Any]],
    reference: LiReferenceDoc,
    material: str,
    miller: list[int],
    construction: str,
    max_strain: float | None = None,
    growth: str = "independent",
) -> LiMultilayerDoc:
    """Incremental and average binding per layer, mismatch and distortion; returns a LiMultilayerDoc."""
    from lithiophilic.analysis.binding import (
        average_binding_energies_ev,
        incremental_binding_energies_ev,
    )
    from lithiophilic.structures.li_layers import li_layer_distortion

    calcs = [as_calc_doc(d) for d in docs]
    ref = LiReferenceDoc.model_validate(reference)
    n_per = int(infos[-1]["li_per_layer"])
    energies = [c.energy_ev for c in calcs]
    distortion = []
    for c, info in zip(calcs[1:], infos[1:], strict=True):
        atoms = AseAtomsAdaptor.get_atoms(c.structure)
        distortion.append(
            li_layer_distortion(
                atoms,
                ideal_positions=info["ideal_positions"],
                layer_index=info["layer_index"],
                cell=atoms.cell.array,
            )
        )
    return LiMultilayerDoc(
        material=material,
        miller=list(miller),
        construction=construction,
        growth=growth,
        li_per_layer=n_per,
        lattice_mismatch=float(infos[-1]["lattice_mismatch"]),
        li_layer_strain=_layer_strain(infos[-1], max_strain),
        n_layers=list(range(len(calcs))),
        energies_ev=energies,
        incremental_binding_energy_ev=incremental_binding_energies_ev(
            energies, n_per, ref.bcc_energy_per_atom_ev
        ),
        average_binding_energy_ev=average_binding_energies_ev(
            energies, n_per, ref.bcc_energy_per_atom_ev
        ),
        distortion=to_builtin(distortion),
        converged=[c.converged for c in calcs],
        relaxed_structures=[c.structure for c in calcs],
        bcc_energy_per_atom_ev=ref.bcc_energy_per_atom_ev,
        calculator_name=calcs[0].calculator_name,
        calculator_version=calcs[0].calculator_version,
        calculator_model=calcs[0].calculator_model,
    )
