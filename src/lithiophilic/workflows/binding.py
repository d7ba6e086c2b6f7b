"""Single Li atom binding on every adsorption site of a slab (Fig. 5c).

Reads top to bottom: the result documents, the ``@job`` steps, then
:class:`LiSiteBindingMaker`.  The clean slab is cut and relaxed with exactly the settings of
:class:`~lithiophilic.workflows.surface.SurfaceEnergyMaker`, so a slab already relaxed by the
surface-energy flow is reused from the database, not recomputed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ase import Atoms
from jobflow import Flow, Maker, Response, job
from pydantic import ConfigDict, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.binding import (
    BINDING_DEFINITION,
    adsorption_energy_ev,
    binding_energy_ev,
    compare_prescreen,
    li_cohesive_energy_ev,
    summarize_sites,
)
from lithiophilic.analysis.surface import facet_label
from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials import CalculatorSpec, check_elements
from lithiophilic.structures import (
    get_primitive,
    make_bulk,
    make_oriented_sqs,
    make_slabs,
    to_builtin,
)
from lithiophilic.structures.li_layers import DEFAULT_MAX_STRAIN
from lithiophilic.structures.sites import (
    classify_site_after_relaxation,
    find_adsorption_sites,
    lateral_supercell_for_spacing,
    place_adsorbate,
)
from lithiophilic.workflows.base import (
    AseCalcDoc,
    AseRelaxMaker,
    AseStaticMaker,
    CalculatorProvenance,
)
from lithiophilic.workflows.surface import SurfaceEnergyMaker, _jsonable, cut_slab

__all__ = [
    "LiMultilayerDoc",
    "LiMultilayerMaker",
    "LiPrescreenDoc",
    "LiReferenceDoc",
    "LiSiteBindingDoc",
    "LiSiteBindingMaker",
    "LiSiteDoc",
]

logger = logging.getLogger(__name__)

#: Edge of the cubic box of the isolated Li atom, Å.
ATOM_BOX_A = 15.0


# --------------------------------------------------------------------------- documents
class LiReferenceDoc(CalculatorProvenance):
    """Li chemical-potential references: bcc Li metal and the isolated atom."""

    doc_type: Literal["li_reference"] = Field("li_reference", description="Document family.")
    bcc_energy_per_atom_ev: float = Field(description="Energy per atom of relaxed bcc Li, eV.")
    bcc_lattice_a_a: float = Field(description="Relaxed bcc Li lattice constant, Å.")
    atom_energy_ev: float = Field(description="Energy of one Li atom in a box, eV.")
    atom_spin_polarized: bool = Field(description="Whether the atom was computed spin-polarised.")
    atom_reference_reliable: bool = Field(
        description="False for ML potentials: an isolated atom lies outside their training data."
    )
    cohesive_energy_ev: float = Field(description="E_atom - eps_bcc (positive), eV/atom.")


class LiSiteDoc(CalculatorProvenance):
    """One relaxed Li atom on one site."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["li_site"] = Field("li_site", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet, Miller index of the conventional cell.")
    site_label: str = Field(description="Initial site label (e.g. fcc-0).")
    site_kind: str = Field(description="Initial site kind (ontop, bridge, fcc, hcp, hollow4, ...).")
    site_neighbors: list[str] = Field(description="Surface atoms defining the initial site.")
    final_site_label: str = Field(description="Site the relaxed Li sits over.")
    final_site_kind: str = Field(description="Kind of that site.")
    moved: bool = Field(description="The Li relaxed to another site.")
    subsurface: bool = Field(description="The Li went below the top layer (result not used).")
    height_above_surface_a: float = Field(description="Relaxed Li height above the top layer, Å.")
    energy_ev: float = Field(description="E(slab+Li), relaxed, eV.")
    slab_energy_ev: float = Field(description="E(slab), same supercell, eV.")
    adsorption_energy_bcc_ev: float = Field(
        description="E(slab+Li) - E(slab) - eps_Li(bcc), eV; negative = favourable."
    )
    adsorption_energy_atom_ev: float = Field(description="E(slab+Li) - E(slab) - E(Li atom), eV.")
    binding_energy_bcc_ev: float = Field(description="-adsorption_energy_bcc_ev (paper's E_b), eV.")
    binding_energy_atom_ev: float = Field(description="-adsorption_energy_atom_ev, eV.")
    supercell: list[int] = Field(description="Lateral repetition of the relaxed 1x1 slab.")
    li_image_distance_a: float = Field(
        description="Shortest in-plane distance between Li images, Å."
    )
    converged: bool = Field(description="The slab+Li relaxation converged.")
    relaxed_structure: Structure = Field(description="Relaxed slab+Li.")
    dir_name: str = Field(description="Directory of the relaxation.")


class LiSiteBindingDoc(CalculatorProvenance):
    """All sites of one slab: the strongest binding is the answer, the spread is information."""

    doc_type: Literal["li_binding"] = Field("li_binding", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet.")
    n_sites: int = Field(description="Sites relaxed.")
    n_valid: int = Field(description="Sites used: converged and Li not subsurface.")
    lowest_site_label: str = Field(description="Initial label of the lowest-energy valid site.")
    lowest_final_site_kind: str = Field(description="Kind of site the lowest-energy Li sits over.")
    binding_energy_bcc_ev: float = Field(description="Strongest E_b vs bcc Li, eV.")
    binding_energy_atom_ev: float = Field(description="Strongest E_b vs the isolated atom, eV.")
    adsorption_energy_bcc_ev: float = Field(description="Lowest E_ads vs bcc Li, eV.")
    adsorption_energy_atom_ev: float = Field(description="Lowest E_ads vs the atom, eV.")
    spread_ev: float = Field(description="max - min of E_b over valid sites, eV.")
    cohesive_energy_ev: float = Field(
        description="Li cohesive energy of this calculator, eV (difference of the two references)."
    )
    atom_reference_reliable: bool = Field(description="See LiReferenceDoc.")
    rows: list[dict[str, Any]] = Field(description="Per-site numbers.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions.")


class LiPrescreenDoc(CalculatorProvenance):
    """MLIP prescreen + refinement of the best sites (provenance fields: the refining calculator)."""

    doc_type: Literal["li_prescreen"] = Field("li_prescreen", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet.")
    screen_calculator_name: str = Field(description="Calculator that ranked the sites.")
    screen_calculator_model: str | None = Field(description="Its model.")
    top_k: int = Field(description="Best-screened sites requested for refinement.")
    refine_all: bool = Field(description="Every valid screened site was refined (verification).")
    n_screened: int = Field(description="Valid screened sites.")
    refined_sites: list[str] = Field(description="Site labels refined.")
    screened_order: list[str] = Field(description="Valid sites, strongest screened E_b first.")
    top_k_labels: list[str] = Field(description="The top_k best-screened sites.")
    refined_lowest_label: str = Field(description="Strongest site after refinement.")
    refined_lowest_final_site_kind: str = Field(description="Where Li sits in that site.")
    binding_energy_bcc_ev: float = Field(description="Refined strongest E_b vs bcc Li, eV.")
    binding_energy_atom_ev: float = Field(description="Refined strongest E_b vs the atom, eV.")
    refined_lowest_is_screen_lowest: bool = Field(
        description="The refined strongest site is the screen's strongest."
    )
    refined_lowest_in_top_k: bool | None = Field(
        description="The refined strongest site was among the top_k (None: unknown, not all sites refined)."
    )
    spearman_rho: float | None = Field(description="Rank correlation of E_b over refined sites.")
    max_abs_diff_ev: float = Field(description="Largest |E_b(refined) - E_b(screen)|, eV.")
    rows: list[dict[str, Any]] = Field(description="Per refined site: screen and refined numbers.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions.")


_SITE_ROW_KEYS = (
    "site_label",
    "site_kind",
    "final_site_kind",
    "moved",
    "subsurface",
    "converged",
    "energy_ev",
    "binding_energy_bcc_ev",
    "binding_energy_atom_ev",
    "height_above_surface_a",
)


# --------------------------------------------------------------------------- jobs
def _li_bcc_structure() -> Structure:
    st = AseAtomsAdaptor.get_structure(make_bulk("Li"))
    st.properties = {}
    return st


def _li_atom_structure() -> Structure:
    return AseAtomsAdaptor.get_structure(
        Atoms("Li", positions=[[0, 0, 0]], cell=[ATOM_BOX_A] * 3, pbc=True)
    )


@job(output_schema=LiReferenceDoc)
def li_reference(
    bcc: AseCalcDoc, atom: AseCalcDoc, spin_polarized: bool, kind: str
) -> LiReferenceDoc:
    """Combine the bcc-Li and isolated-atom calculations; returns a LiReferenceDoc."""
    bcc = AseCalcDoc.model_validate(bcc)
    atom = AseCalcDoc.model_validate(atom)
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
    bulk = AseCalcDoc.model_validate(bulk)
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
    bulk: AseCalcDoc, maker: SurfaceEnergyMaker, composition: dict[str, float], miller: list[int]
) -> Structure:
    """Build the oriented SQS cell of the first sample at the relaxed bulk density."""
    bulk = AseCalcDoc.model_validate(bulk)
    a_eff = (4.0 * bulk.volume_a3 / bulk.n_atoms) ** (1.0 / 3.0)
    cell = make_oriented_sqs(
        composition,
        (miller[0], miller[1], miller[2]),
        lattice="fcc",
        a_a=a_eff,
        n_layers=maker._sqs_layers(miller),
        seed=maker.sqs_seed,
    )
    struct = AseAtomsAdaptor.get_structure(cell)
    struct.properties = {"oriented_info": _jsonable(cell.info)}
    return struct


@job
def make_site_jobs(
    maker: LiSiteBindingMaker,
    material: str,
    miller: list[int],
    relaxed_slab: AseCalcDoc,
    reference: LiReferenceDoc,
) -> Response:
    """Repeat the relaxed slab to the Li-image spacing, enumerate sites, relax Li on each."""
    relaxed_slab = AseCalcDoc.model_validate(relaxed_slab)
    slab = AseAtomsAdaptor.get_atoms(relaxed_slab.structure)
    n1, n2 = lateral_supercell_for_spacing(slab, min_image_distance_a=maker.min_li_distance_a)
    sup = slab.repeat((n1, n2, 1))
    sites = find_adsorption_sites(sup, reduce_by_environment=bool(maker.reduce_by_environment))
    if maker.max_sites is not None and len(sites) > maker.max_sites:
        # keep every kind represented: take sites round-robin over kinds
        by_kind: dict[str, list[Any]] = {}
        for site in sites:
            by_kind.setdefault(site.kind, []).append(site)
        picked: list[Any] = []
        while len(picked) < maker.max_sites:
            for group in by_kind.values():
                if group and len(picked) < maker.max_sites:
                    picked.append(group.pop(0))
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
    clean = maker.slab_static_maker.make(sup_struct, label=f"{label} clean {n1}x{n2}")
    clean.append_name(f" {label} clean {n1}x{n2}")
    jobs: list[Any] = [clean]
    docs = []
    for site in sites:
        with_li = place_adsorbate(sup, site, symbol="Li")
        st = AseAtomsAdaptor.get_structure(with_li)
        st.properties = {}
        rl = maker.li_relax_maker.make(st, label=f"{label} Li@{site.label}")
        rl.append_name(f" {label} Li@{site.label}")
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
        )
        res.append_name(f" {label} Li@{site.label}")
        jobs += [rl, res]
        docs.append(res.output)
    summary = summarize_li_sites(material, miller, docs, reference)
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
    assert maker.refine_calculator is not None
    docs = [LiSiteDoc.model_validate(d) for d in site_docs]
    valid = sorted((d for d in docs if d.converged and not d.subsurface), key=lambda d: d.energy_ev)
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
    bcc = bulk_relax.make(_li_bcc_structure(), label="Li reference bulk")
    bcc.append_name(" Li (reference, refine)")
    atom = atom_static.make(_li_atom_structure(), label="Li atom")
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
    ok = [d for d in ref if d.converged and not d.subsurface]
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
) -> LiSiteDoc:
    """Classify the relaxed Li and compute E_ads/E_b against both references; returns a LiSiteDoc."""
    from lithiophilic.structures.sites import shortest_inplane_vector_a

    relaxed = AseCalcDoc.model_validate(relaxed)
    clean = AseCalcDoc.model_validate(clean)
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
    )


@job(output_schema=LiSiteBindingDoc)
def summarize_li_sites(
    material: str, miller: list[int], docs: list[LiSiteDoc], reference: LiReferenceDoc
) -> LiSiteBindingDoc:
    """Pick the strongest valid site and the spread; returns a LiSiteBindingDoc."""
    ref = LiReferenceDoc.model_validate(reference)
    site_docs = [LiSiteDoc.model_validate(d) for d in docs]
    rows = [{k: getattr(d, k) for k in _SITE_ROW_KEYS} for d in site_docs]
    valid = [d for d in site_docs if d.converged and not d.subsurface]
    if not valid:
        msg = f"{material} {facet_label(miller)}: no site relaxed to a valid result (unconverged or Li sank into the slab)"
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
            for d in valid
        ]
    )
    best = next(d for d in valid if d.site_label == summ["lowest_site_label"])
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
    )


# --------------------------------------------------------------------------- flow maker
@dataclass
class LiSiteBindingMaker(Maker):
    """Binding energy of a single Li atom on every site of one facet (Fig. 5c).

    Steps:

    1. relax the bulk, bcc Li and an isolated Li atom (the two Li references);
    2. cut and relax the clean slab exactly as :class:`SurfaceEnergyMaker` does (reused from
       the database when the surface-energy flow already relaxed it);
    3. repeat the relaxed slab laterally until Li images are ``min_li_distance_a`` apart and
       compute the clean supercell;
    4. place Li on every symmetry-distinct (and, on alloys, chemically distinct) site and relax;
    5. per site :class:`LiSiteDoc` (E_ads and E_b vs bcc Li and vs the atom, where the Li ended
       up), and :class:`LiSiteBindingDoc` (strongest valid site, spread), the flow's output.

    Parameters
    ----------
    name
        Flow name.
    surface_maker
        Supplies the bulk/slab Makers and the slab settings (thickness, vacuum, fixed planes).
    li_relax_maker
        Relaxes slab+Li.
    slab_static_maker
        Energy of the clean supercell.
    atom_static_maker
        Energy of the isolated Li atom (spin-polarised settings go in its calculator kwargs).
    min_li_distance_a
        Smallest distance between periodic Li images, Å.
    termination
        Termination index of the slab (complex structures have several).
    reduce_by_environment
        Merge sites with the same chemical environment (used on random alloys, where the
        cell has no symmetry); ``None``: only for random alloys.
    max_sites
        Relax at most this many sites, taken round-robin over site kinds (``None``: all; a
        cap may miss the strongest site, and the summary counts the sites relaxed).
    spin_polarized
        Whether the atom calculation is spin-polarised (recorded; MLIPs have no spin).
    refine_calculator
        Prescreen mode: rank the sites with this Maker's calculator (an MLIP), then relax the
        ``refine_top_k`` strongest with ``refine_calculator`` (a DFT code), its own Li
        references and clean supercell included; a :class:`LiPrescreenDoc` records whether
        the ranking held.  ``None``: no refinement.
    refine_top_k
        Sites refined.
    refine_all
        Refine every valid site (verification: only then is it known whether the refined
        strongest site was among the top k).
    refine_atom_kwargs
        Extra calculator settings for the refined isolated-atom reference (e.g. spin
        polarisation for a DFT code).
    refine_spin_polarized
        Whether those settings make the refined atom spin-polarised (recorded).
    """

    name: str = "Li site binding"
    surface_maker: SurfaceEnergyMaker = field(default_factory=SurfaceEnergyMaker)
    li_relax_maker: AseRelaxMaker = field(
        default_factory=lambda: AseRelaxMaker(
            name="Li relax",
            fmax_ev_per_a=defaults.SLAB_FMAX_EV_PER_A,
            max_steps=defaults.SLAB_MAX_STEPS,
            allow_unconverged=True,
        )
    )
    slab_static_maker: AseStaticMaker = field(
        default_factory=lambda: AseStaticMaker(name="clean supercell")
    )
    atom_static_maker: AseStaticMaker = field(
        default_factory=lambda: AseStaticMaker(name="Li atom")
    )
    min_li_distance_a: float = 7.0
    termination: int = 0
    reduce_by_environment: bool | None = None
    max_sites: int | None = None
    spin_polarized: bool = False
    refine_calculator: CalculatorSpec | None = None
    refine_top_k: int = 3
    refine_all: bool = False
    refine_atom_kwargs: dict[str, Any] = field(default_factory=dict)
    refine_spin_polarized: bool = False

    def __post_init__(self) -> None:
        if self.refine_top_k < 1:
            msg = f"refine_top_k must be >= 1, got {self.refine_top_k}"
            raise ConfigurationError(msg)
        if self.min_li_distance_a < 5.0:
            msg = f"min_li_distance_a: {self.min_li_distance_a} Å lets Li images interact; use >= 5 Å (7 Å recommended)"
            raise ConfigurationError(msg)
        if self.max_sites is not None and self.max_sites < 1:
            msg = f"max_sites must be >= 1 or None, got {self.max_sites}"
            raise ConfigurationError(msg)

    def with_calculator(self, calculator: CalculatorSpec) -> LiSiteBindingMaker:
        """Return a copy whose every sub-Maker uses ``calculator``."""
        return replace(
            self,
            surface_maker=self.surface_maker.with_calculator(calculator),
            li_relax_maker=replace(self.li_relax_maker, calculator=calculator),
            slab_static_maker=replace(self.slab_static_maker, calculator=calculator),
            atom_static_maker=replace(self.atom_static_maker, calculator=calculator),
        )

    def clean_slab_jobs(
        self, material: str, miller: list[int] | tuple[int, int, int]
    ) -> tuple[list[Any], Any, Any, str]:
        """Return the jobs shared by the Li flows, the clean-slab relax job, the Li reference job and the material kind.

        Raises
        ------
        ConfigurationError
            For an unknown material, a bad Miller index, or a calculator without Li.
        """
        sm = self.surface_maker
        miller = [int(i) for i in miller]
        if len(miller) != 3 or not any(miller):
            msg = f"miller: {miller} is not a valid Miller index"
            raise ConfigurationError(msg)
        atoms = make_bulk(material, seed=sm.sqs_seed)
        if "sqs" in atoms.info and len(atoms) != sm.sqs_n_atoms:
            atoms = make_bulk(material, seed=sm.sqs_seed, n_atoms=sm.sqs_n_atoms)
        kind = (
            "sqs"
            if "sqs" in atoms.info
            else ("simple" if len(get_primitive(atoms)) == 1 else "complex")
        )
        elements = sorted({*atoms.get_chemical_symbols(), "Li"})
        for mk in (
            sm.bulk_relax_maker,
            sm.slab_relax_maker,
            self.li_relax_maker,
            self.atom_static_maker,
        ):
            check_elements(mk.calculator, elements)
        if self.refine_calculator is not None:
            check_elements(self.refine_calculator, elements)
        composition = {
            el: atoms.get_chemical_symbols().count(el) / len(atoms)
            for el in sorted(set(atoms.get_chemical_symbols()))
        }
        label = f"{material} {facet_label(miller)}"
        struct = AseAtomsAdaptor.get_structure(atoms)
        struct.properties = {}
        bulk = sm.bulk_relax_maker.make(struct, label=f"{material} bulk")
        bulk.append_name(f" {material}")
        bcc = sm.bulk_relax_maker.make(_li_bcc_structure(), label="Li reference bulk")
        bcc.append_name(" Li (reference)")
        atom = self.atom_static_maker.make(_li_atom_structure(), label="Li atom")
        atom.append_name(" (reference)")
        ref = li_reference(
            bcc.output,
            atom.output,
            self.spin_polarized,
            self.atom_static_maker.calculator.backend.kind,
        )
        jobs: list[Any] = [bulk, bcc, atom, ref]
        if kind == "sqs":
            cell = build_oriented_sqs(bulk.output, sm, composition, miller)
            rc = sm.bulk_relax_maker.make(cell.output, label=f"{label} SQS s{sm.sqs_seed} cell")
            rc.append_name(f" {label} SQS cell")
            cut = cut_slab(rc.output, sm.vacuum_a, sm.n_fixed_layers, sm.fix, sm.sqs_seed)
            jobs += [cell, rc, cut]
            slab_structure = cut.output["structure"]
        else:
            cut = cut_first_slab(bulk.output, sm, miller, kind, self.termination)
            jobs.append(cut)
            slab_structure = cut.output["structure"]
        cut.append_name(f" {label}")
        relax = sm.slab_relax_maker.make(slab_structure, label=f"{label} clean slab")
        relax.append_name(f" {label} clean")
        jobs.append(relax)
        return jobs, relax, ref, kind

    def make(self, material: str, miller: list[int] | tuple[int, int, int] = (1, 1, 1)) -> Flow:
        """Build the flow for one material and facet.

        Raises
        ------
        ConfigurationError
            For an unknown material, a bad Miller index, or a calculator without Li.
        """
        jobs, relax, ref, kind = self.clean_slab_jobs(material, miller)
        miller = [int(i) for i in miller]
        label = f"{material} {facet_label(miller)}"
        maker = (
            self
            if self.reduce_by_environment is not None
            else replace(self, reduce_by_environment=kind == "sqs")
        )
        fan = make_site_jobs(maker, material, miller, relax.output, ref.output)
        fan.append_name(f" {label}")
        return Flow([*jobs, fan], output=fan.output, name=f"{self.name} {label}")


# --------------------------------------------------------------------------- multilayer Li
#: How the n-layer films start their relaxation (see :class:`LiMultilayerMaker`).
LI_LAYER_GROWTH: tuple[str, ...] = ("independent", "sequential")


class LiMultilayerDoc(CalculatorProvenance):
    """n = 1…N Li layers on a (111) slab (Fig. 5d, 5e)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["li_multilayer"] = Field("li_multilayer", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet.")
    construction: str = Field(
        description="How the ideal Li layers were built (see structures.li_layers)."
    )
    growth: str = Field(
        "independent",
        description="'independent': every n relaxed from ideal layers on the clean slab; "
        "'sequential': layer n added on the relaxed (n-1)-layer film.",
    )
    li_per_layer: int = Field(description="Li atoms per layer (N_layer).")
    lattice_mismatch: float = Field(
        description="(d_substrate - d_Li,bcc)/d_Li,bcc of the imposed in-plane Li-Li distance."
    )
    li_layer_strain: dict[str, Any] | None = Field(
        None,
        description="bcc110: principal and areal strain of the Li layer vs bcc Li(110) "
        "(fractions), the max_strain allowed and the substrate supercell matrix.",
    )
    n_layers: list[int] = Field(description="Layer counts n = 0…N.")
    energies_ev: list[float] = Field(
        description="E(n), relaxed, eV (n = 0 is the bare slab in the same cell)."
    )
    incremental_binding_energy_ev: list[float] = Field(
        description="E_b(n) = -[E(n) - E(n-1) - N_layer eps_Li(bcc)]/N_layer, eV/Li, n = 1…N."
    )
    average_binding_energy_ev: list[float] = Field(
        description="E_b,avg(n) = -[E(n) - E(0) - n N_layer eps_Li(bcc)]/(n N_layer), eV/Li."
    )
    distortion: list[dict[str, Any]] = Field(
        description="Per n: displacement of the relaxed Li from the ideal sites (Å)."
    )
    converged: list[bool] = Field(description="Per n: relaxation converged.")
    relaxed_structures: list[Structure] = Field(description="Relaxed slab + n Li layers, n = 0…N.")
    bcc_energy_per_atom_ev: float = Field(description="eps_Li(bcc), eV/atom.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions.")


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

    relaxed_slab = AseCalcDoc.model_validate(relaxed_slab)
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
        rl = maker.li_relax_maker.make(start, label=f"{label} {n} Li layers")
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

    below = AseAtomsAdaptor.get_atoms(AseCalcDoc.model_validate(relaxed_below).structure)
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

    calcs = [AseCalcDoc.model_validate(d) for d in docs]
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


@dataclass
class LiMultilayerMaker(Maker):
    """Binding of 1…N Li layers on a (111) slab (Fig. 5d) and their relaxed structures (Fig. 5e).

    Steps: the references and the clean slab as in :class:`LiSiteBindingMaker` (reused from
    the database), then ideal Li layers (``construction``) n = 0…``max_layers`` on the relaxed
    slab, each relaxed, then :class:`LiMultilayerDoc`.

    Parameters
    ----------
    name
        Flow name.
    site_maker
        Supplies the slab and reference settings (its ``surface_maker``) and Makers.
    li_relax_maker
        Relaxes slab + Li layers.
    max_layers
        N, 1–10.
    construction
        ``"bcc110"`` (default: commensurate, nearly unstrained Li(110) layers) or
        ``"pseudomorphic"`` (one Li per surface atom in the hollows, ABC stacking; fcc only).
        Why bcc110 (SevenNet-0, Cu(111), 4 planes): its incremental E_b falls to
        0.00 eV/Li by n = 3–5, the bulk-Li limit it must reach, while the pseudomorphic film
        is 14 % compressed and its increments go to −0.16 eV/Li (strain, not binding).
    max_strain
        bcc110 only: largest principal strain of the Li layer, 0–0.5 (the smallest supercell
        within it is used; see :func:`~lithiophilic.structures.li_layers.add_li_layers`).
    complex_max_strain
        ``max_strain`` for substrates with a multi-atom primitive cell (γ-brass), whose slab
        cell is already large, so that doubling it doubles the cost (``binding --quick``:
        0.08 keeps Cu5Zn8(111) in its 78-atom cell); ``None``: ``max_strain``.
    growth
        ``"sequential"`` (default): layer-by-layer growth, layer n is put on the relaxed
        (n−1)-layer film (:func:`~lithiophilic.structures.li_layers.grow_li_layer`), so the
        relaxations run one after another. ``"independent"``: every n is relaxed from n ideal
        layers on the relaxed clean slab (the relaxations can run side by side on a queue).
        The distortion is measured from the same ideal sites either way. Why sequential
        (SevenNet-0, Cu(111) 6-plane slab, fmax 0.05 eV/Å): n = 2…5 took 18 BFGS steps
        (12 s) instead of 148 (84 s), every E(n) came out 0.007–0.075 eV lower, and E_b(5)
        is +0.001 eV/Li (bulk-Li limit 0) instead of −0.010.
    """

    name: str = "Li multilayer"
    site_maker: LiSiteBindingMaker = field(default_factory=LiSiteBindingMaker)
    li_relax_maker: AseRelaxMaker = field(
        default_factory=lambda: AseRelaxMaker(
            name="Li layers relax",
            fmax_ev_per_a=defaults.SLAB_FMAX_EV_PER_A,
            max_steps=defaults.SLAB_MAX_STEPS,
            allow_unconverged=True,
        )
    )
    max_layers: int = 5
    construction: Literal["pseudomorphic", "bcc110"] = "bcc110"
    max_strain: float = DEFAULT_MAX_STRAIN
    complex_max_strain: float | None = None
    growth: Literal["independent", "sequential"] = "sequential"

    def __post_init__(self) -> None:
        if not 1 <= self.max_layers <= 10:
            msg = f"max_layers: {self.max_layers} is outside the allowed range 1–10"
            raise ConfigurationError(msg)
        for name in ("max_strain", "complex_max_strain"):
            value = getattr(self, name)
            if value is None and name == "complex_max_strain":
                continue
            if not (math.isfinite(value) and 0 < value < 0.5):
                msg = f"{name}: {value!r} is outside the allowed range 0–0.5 (exclusive)"
                raise ConfigurationError(msg)
        if self.construction not in ("pseudomorphic", "bcc110"):
            msg = f"construction: {self.construction!r} is not one of 'pseudomorphic', 'bcc110'"
            raise ConfigurationError(msg)
        if self.growth not in LI_LAYER_GROWTH:
            msg = f"growth: {self.growth!r} is not one of {', '.join(map(repr, LI_LAYER_GROWTH))}"
            raise ConfigurationError(msg)

    def with_calculator(self, calculator: CalculatorSpec) -> LiMultilayerMaker:
        """Return a copy whose every sub-Maker uses ``calculator``."""
        return replace(
            self,
            site_maker=self.site_maker.with_calculator(calculator),
            li_relax_maker=replace(self.li_relax_maker, calculator=calculator),
        )

    def make(self, material: str, miller: list[int] | tuple[int, int, int] = (1, 1, 1)) -> Flow:
        """Build the flow for one material (facet (111) for the pseudomorphic construction)."""
        miller = [int(i) for i in miller]
        if self.construction == "pseudomorphic" and sorted(abs(i) for i in miller) != [1, 1, 1]:
            msg = f"miller: {miller}; the pseudomorphic Li-layer construction needs an fcc (111) facet"
            raise ConfigurationError(msg)
        mine, theirs = self.li_relax_maker.calculator, self.site_maker.li_relax_maker.calculator
        if mine.key() != theirs.key():
            msg = (
                f"calculator: Li layers would be relaxed with {mine.name!r} {mine.kwargs} but the "
                f"slab and Li references with {theirs.name!r} {theirs.kwargs}; energies of "
                "different calculators cannot be combined (use with_calculator)"
            )
            raise ConfigurationError(msg)
        jobs, relax, ref, kind = self.site_maker.clean_slab_jobs(material, miller)
        if kind == "complex" and self.construction == "pseudomorphic":
            msg = (
                f"construction: 'pseudomorphic' needs an fcc substrate; {material} is a complex "
                "structure, use construction='bcc110'"
            )
            raise ConfigurationError(msg)
        maker = self
        if kind == "complex" and self.complex_max_strain is not None:
            maker = replace(self, max_strain=self.complex_max_strain, complex_max_strain=None)
        fan = make_layer_jobs(maker, material, miller, relax.output, ref.output)
        fan.append_name(f" {material} {facet_label(miller)}")
        return Flow(
            [*jobs, fan], output=fan.output, name=f"{self.name} {material} {facet_label(miller)}"
        )
