"""Surface-energy flow (Fig. 5a): relax bulk → slabs → static + relaxed slabs → γ.

Reads top to bottom: the result documents, the ``@job`` steps, then
:class:`SurfaceEnergyMaker`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from ase import Atoms
from jobflow import Flow, Maker, Response, job
from pydantic import ConfigDict, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.surface import (
    GAMMA_DEFINITION,
    SURFACE_ROW_KEYS,
    facet_label,
    gamma_vs_delta_mu,
    relaxed_one_face_gamma_ev_per_a2,
    surface_energy_ev_per_a2,
    window_gamma_fields,
)
from lithiophilic.errors import AnalysisError, ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import (
    get_primitive,
    make_bulk,
    make_oriented_sqs,
    make_slab_from_oriented_bulk,
    make_slabs,
    to_builtin,
)
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2
from lithiophilic.workflows.base import (
    AseCalcDoc,
    AseRelaxMaker,
    AseStaticMaker,
    CalculatorProvenance,
)
from lithiophilic.workflows.phase_window import phase_window_jobs
from lithiophilic.workflows.task_docs import (
    as_calc_doc,
    check_maker_elements,
    check_slab_relax_maker,
    make_calc_job,
    output_energy_per_atom,
    with_calculator_spec,
)

__all__ = ["SurfaceEnergyDoc", "SurfaceEnergyMaker", "SurfaceEnergySummaryDoc"]

logger = logging.getLogger(__name__)

Method = Literal["stoichiometric", "chemical-potential"]

#: fcc stacking period (atomic planes) per facet family.
_FCC_PERIOD: dict[tuple[int, ...], int] = {(1, 1, 1): 3, (0, 0, 1): 2, (0, 1, 1): 2}


# --------------------------------------------------------------------------- documents
class SurfaceEnergyDoc(CalculatorProvenance):
    """Surface energy of one slab (one material, facet, termination or SQS sample, thickness)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["surface_energy"] = Field("surface_energy", description="Document family.")
    material: str = Field(description="Material name as given (e.g. Cu0.64Zn0.36).")
    miller: list[int] = Field(description="Miller index of the conventional cell.")
    termination: int = Field(description="Termination index (0 for simple lattices).")
    sqs_max_abs_delta_pair: float | None = Field(
        None,
        description="SQS samples: largest |pair correlation - random-alloy value| of the cell.",
    )
    sqs_seed: int | None = Field(
        None, description="Seed of the SQS sample (random alloys), else None."
    )
    n_layers: int = Field(description="Atomic planes in the slab.")
    n_atoms: int = Field(description="Atoms in the slab.")
    counts: dict[str, int] = Field(description="Atoms per element in the slab.")
    area_a2: float = Field(description="Area of one face, Å².")
    vacuum_a: float = Field(description="Vacuum between periodic images, Å.")
    slab_thickness_a: float = Field(description="Slab thickness (top minus bottom plane), Å.")
    symmetric: bool = Field(description="Top and bottom faces related by symmetry.")
    stoichiometric: bool = Field(description="Slab composition equals the bulk reference's.")
    method: Method = Field(
        description="'stoichiometric': gamma=(E-N eps)/(2A); 'chemical-potential': gamma(dmu)."
    )
    faces_note: str = Field(description="What the number means for the two faces.")
    fix: str = Field(
        description="Which planes were fixed: 'center' (both faces relax) or 'bottom'."
    )
    n_fixed_layers: int = Field(description="Fixed planes.")
    bulk_reference: str = Field(description="Which relaxed cell eps_bulk comes from.")
    bulk_energy_per_atom_ev: float = Field(description="eps_bulk, eV/atom.")
    elemental_energy_per_atom_ev: dict[str, float] | None = Field(
        None, description="Elemental bulk references used for gamma(dmu), eV/atom."
    )
    slab_energy_unrelaxed_ev: float = Field(
        description="Energy of the slab cut from the relaxed bulk, eV."
    )
    slab_energy_relaxed_ev: float = Field(description="Energy of the relaxed slab, eV.")
    gamma_unrelaxed_ev_per_a2: float = Field(
        description="gamma of the unrelaxed slab, eV/Å² (chemical-potential: mid-range)."
    )
    gamma_unrelaxed_j_per_m2: float = Field(description="Same in J/m².")
    gamma_relaxed_ev_per_a2: float | None = Field(
        description="gamma of the relaxed slab, eV/Å²; None if the relaxation did not converge."
    )
    gamma_relaxed_j_per_m2: float | None = Field(description="Same in J/m².")
    gamma_relaxed_min_j_per_m2: float | None = Field(
        description="Lowest relaxed gamma over the dmu range (= gamma_relaxed when stoichiometric), J/m²."
    )
    gamma_relaxed_max_j_per_m2: float | None = Field(
        description="Highest relaxed gamma over the dmu range, J/m²."
    )
    gamma_vs_delta_mu: dict[str, Any] | None = Field(
        None, description="Relaxed gamma(dmu) line and its range (chemical-potential method)."
    )
    gamma_relaxed_at_delta_mu_min_j_per_m2: float | None = Field(
        None,
        description="Relaxed gamma at the dmu-min edge of the window (Cu-rich edge of "
        "gamma-brass with dmu_Zn: the skin on Cu), J/m²; = gamma_relaxed when stoichiometric.",
    )
    gamma_relaxed_at_delta_mu_max_j_per_m2: float | None = Field(
        None, description="Relaxed gamma at the dmu-max edge of the window, J/m²."
    )
    delta_mu_window_ev: list[float] | None = Field(
        None,
        description="[min, max] dmu of the variable element (gamma_vs_delta_mu) used, eV; "
        "None for stoichiometric slabs.",
    )
    delta_mu_window_source: str | None = Field(
        None,
        description="'two-phase equilibria' (neighbours on the calculator's hull) or "
        "'elemental bounds' (no competing phases, or the compound is above the hull).",
    )
    delta_mu_window: dict[str, Any] | None = Field(
        None, description="The window's derivation (DeltaMuWindow.as_dict()), if computed."
    )
    converged: bool = Field(
        description="Slab relaxation converged (gamma_relaxed is None otherwise)."
    )
    relax_n_steps: int = Field(description="Optimizer steps of the slab relaxation.")
    relaxed_structure: Structure = Field(description="Relaxed slab.")
    structure_hash: str = Field(description="Hash of the unrelaxed slab.")
    definition: str = Field(GAMMA_DEFINITION, description="Formulas used.")
    calculator_settings: dict[str, Any] = Field(description="Calculator settings.")
    dir_name: str = Field(description="Directory of the slab relaxation.")


class SurfaceEnergySummaryDoc(CalculatorProvenance):
    """All surface energies of one material: one row per slab and the lowest γ per facet."""

    doc_type: Literal["surface_energy_summary"] = Field(
        "surface_energy_summary", description="Document family."
    )
    material: str = Field(description="Material name.")
    bulk_energy_per_atom_ev: float = Field(description="eps of the relaxed bulk, eV/atom.")
    bulk_lattice_abc_a: list[float] = Field(description="Relaxed bulk lattice lengths, Å.")
    bulk_volume_per_atom_a3: float = Field(description="Relaxed bulk volume per atom, Å³.")
    rows: list[dict[str, Any]] = Field(
        description="One row per slab (the SurfaceEnergyDoc numbers)."
    )
    lowest_gamma_relaxed_j_per_m2: dict[str, float] = Field(
        description="Lowest converged relaxed gamma per facet, J/m²."
    )
    thickness_convergence: dict[str, list[list[float]]] = Field(
        description="Per facet/termination: [n_layers, gamma_unrelaxed_j_per_m2, gamma_relaxed_j_per_m2]."
    )
    n_unconverged: int = Field(
        description="Slabs whose relaxation did not converge (no relaxed gamma)."
    )
    definition: str = Field(GAMMA_DEFINITION, description="Formulas used.")


_ROW_KEYS = SURFACE_ROW_KEYS


# --------------------------------------------------------------------------- jobs
@job(output_schema=SurfaceEnergyDoc)
def compute_surface_energy(
    static: AseCalcDoc,
    relaxed: AseCalcDoc,
    bulk_energy_per_atom_ev: float,
    bulk_composition: dict[str, float],
    slab_info: dict[str, Any],
    material: str,
    bulk_reference: str,
    elemental_energy_per_atom_ev: dict[str, float] | None = None,
    delta_mu_window: dict[str, Any] | None = None,
) -> SurfaceEnergyDoc:
    """Turn a static and a relaxed slab into γ (unrelaxed and relaxed); returns a SurfaceEnergyDoc.

    ``delta_mu_window`` (:meth:`DeltaMuWindow.as_dict`) replaces the elemental Δμ bounds of a
    non-stoichiometric slab by the compound's physical window; γ is then reported at mid-window
    and at both edges.
    """
    static = as_calc_doc(static)
    relaxed = as_calc_doc(relaxed)
    area = float(slab_info["area_a2"])
    counts = {el: int(n) for el, n in static.structure.composition.as_dict().items()}
    stoich = bool(slab_info["stoichiometric"])
    symmetric = bool(slab_info["symmetric"])
    fix = slab_info["fix"]
    one_face = fix == "bottom"
    n = static.n_atoms
    line_dict = None
    if stoich:
        method: Method = "stoichiometric"
        g_unrel = surface_energy_ev_per_a2(static.energy_ev, n, bulk_energy_per_atom_ev, area)
        if one_face:
            g_rel = relaxed_one_face_gamma_ev_per_a2(
                g_unrel, relaxed.energy_ev, static.energy_ev, area
            )
        else:
            g_rel = surface_energy_ev_per_a2(relaxed.energy_ev, n, bulk_energy_per_atom_ev, area)
        g_min = g_max = g_rel
    else:
        method = "chemical-potential"
        if elemental_energy_per_atom_ev is None:
            msg = f"{material} {facet_label(slab_info['miller'])}: non-stoichiometric slab without elemental references"
            raise AnalysisError(msg)
        line_u = gamma_vs_delta_mu(
            static.energy_ev,
            counts,
            bulk_composition,
            bulk_energy_per_atom_ev,
            elemental_energy_per_atom_ev,
            area,
        )
        line_r = gamma_vs_delta_mu(
            relaxed.energy_ev,
            counts,
            bulk_composition,
            bulk_energy_per_atom_ev,
            elemental_energy_per_atom_ev,
            area,
        )
        if delta_mu_window is not None:
            for line in (line_u, line_r):
                line.delta_mu_min_ev = delta_mu_window["delta_mu_min_ev"]
                line.delta_mu_max_ev = delta_mu_window["delta_mu_max_ev"]
        mid = 0.5 * (line_r.delta_mu_min_ev + line_r.delta_mu_max_ev)
        g_unrel = line_u.gamma_ev_per_a2(mid)
        if one_face:
            # top face relaxed, bottom face held at bulk positions: gamma_rel = gamma_unrel + dE/A
            line_r.gamma_at_zero_ev_per_a2 = (
                line_u.gamma_at_zero_ev_per_a2 + (relaxed.energy_ev - static.energy_ev) / area
            )
        g_rel = line_r.gamma_ev_per_a2(mid)
        g_min, g_max = line_r.gamma_min_ev_per_a2, line_r.gamma_max_ev_per_a2
        line_dict = line_r.as_dict()
        line_dict["gamma_reported_at_delta_mu_ev"] = mid
    if symmetric:
        faces = "both faces equivalent"
    elif slab_info.get("sqs_seed") is not None:
        faces = "SQS slab: the two faces differ in decoration; gamma is their mean"
    else:
        faces = (
            "asymmetric slab: gamma is the mean of the two different faces (cleavage energy / 2A)"
        )
    if one_face:
        faces += "; relaxed gamma assumes the fixed bottom face equals the unrelaxed top face"
    converged = relaxed.converged
    to_j = EV_PER_A2_TO_J_PER_M2
    return SurfaceEnergyDoc(
        material=material,
        miller=[int(i) for i in slab_info["miller"]],
        termination=int(slab_info.get("termination", 0)),
        sqs_seed=slab_info.get("sqs_seed"),
        sqs_max_abs_delta_pair=slab_info.get("sqs_max_abs_delta_pair"),
        n_layers=int(slab_info["n_layers"]),
        n_atoms=n,
        counts=counts,
        area_a2=area,
        vacuum_a=float(slab_info["vacuum_a"]),
        slab_thickness_a=float(slab_info["slab_thickness_a"]),
        symmetric=symmetric,
        stoichiometric=stoich,
        method=method,
        faces_note=faces,
        fix=fix,
        n_fixed_layers=int(slab_info["n_fixed_layers"]),
        bulk_reference=bulk_reference,
        bulk_energy_per_atom_ev=bulk_energy_per_atom_ev,
        elemental_energy_per_atom_ev=elemental_energy_per_atom_ev if not stoich else None,
        slab_energy_unrelaxed_ev=static.energy_ev,
        slab_energy_relaxed_ev=relaxed.energy_ev,
        gamma_unrelaxed_ev_per_a2=g_unrel,
        gamma_unrelaxed_j_per_m2=g_unrel * to_j,
        gamma_relaxed_ev_per_a2=g_rel if converged else None,
        gamma_relaxed_j_per_m2=g_rel * to_j if converged else None,
        gamma_relaxed_min_j_per_m2=g_min * to_j if converged else None,
        gamma_relaxed_max_j_per_m2=g_max * to_j if converged else None,
        gamma_vs_delta_mu=line_dict if converged else None,
        **window_gamma_fields(line_dict, g_rel, delta_mu_window, converged=converged),
        converged=converged,
        relax_n_steps=relaxed.n_steps,
        relaxed_structure=relaxed.structure,
        structure_hash=static.input_structure_hash,
        calculator_name=relaxed.calculator_name,
        calculator_version=relaxed.calculator_version,
        calculator_model=relaxed.calculator_model,
        calculator_settings=relaxed.calculator_settings,
        dir_name=relaxed.dir_name,
    )


def _slab_info(atoms: Any, **extra: Any) -> dict[str, Any]:
    keys = (
        "miller",
        "termination",
        "n_layers",
        "symmetric",
        "stoichiometric",
        "area_a2",
        "vacuum_a",
        "slab_thickness_a",
        "n_fixed_layers",
        "fix",
    )
    info = {k: atoms.info[k] for k in keys if k in atoms.info}
    info["miller"] = [int(i) for i in info["miller"]]
    info["symmetric"] = bool(info["symmetric"])
    info["stoichiometric"] = bool(info["stoichiometric"])
    info.update(extra)
    return info


@job
def cut_slab(
    cell: AseCalcDoc,
    vacuum_a: float,
    n_fixed_layers: int,
    fix: Literal["center", "bottom"],
    sqs_seed: int | None = None,
) -> dict[str, Any]:
    """Add vacuum to a relaxed oriented bulk cell; returns ``{"structure", "info"}``."""
    cell = as_calc_doc(cell)
    atoms = AseAtomsAdaptor.get_atoms(cell.structure)
    atoms.info.clear()
    atoms.info.update(cell.structure.properties.get("oriented_info", {}))
    slab = make_slab_from_oriented_bulk(
        atoms, vacuum_a=vacuum_a, n_fixed_layers=n_fixed_layers, fix=fix
    )
    return {
        "structure": AseAtomsAdaptor.get_structure(slab),
        "info": _slab_info(
            slab,
            sqs_seed=sqs_seed,
            sqs_max_abs_delta_pair=slab.info.get("sqs", {}).get("max_abs_delta_pair"),
        ),
    }


@job(output_schema=SurfaceEnergySummaryDoc)
def summarize_surface_energies(
    material: str, bulk: AseCalcDoc, docs: list[SurfaceEnergyDoc]
) -> SurfaceEnergySummaryDoc:
    """Collect the slab documents of one material; returns a SurfaceEnergySummaryDoc."""
    bulk = as_calc_doc(bulk)
    rows = []
    lowest: dict[str, float] = {}
    series: dict[str, list[list[float]]] = defaultdict(list)
    n_unconv = 0
    for raw in docs:
        d = SurfaceEnergyDoc.model_validate(raw)
        row = {k: getattr(d, k) for k in _ROW_KEYS}
        row["calculator"] = d.calculator_name
        rows.append(row)
        facet = facet_label(d.miller)
        if not d.converged:
            n_unconv += 1
        elif d.gamma_relaxed_min_j_per_m2 is not None:
            lowest[facet] = min(lowest.get(facet, float("inf")), d.gamma_relaxed_min_j_per_m2)
        key = f"{facet} t{d.termination}" + (f" s{d.sqs_seed}" if d.sqs_seed is not None else "")
        series[key].append(
            [
                d.n_layers,
                d.gamma_unrelaxed_j_per_m2,
                d.gamma_relaxed_j_per_m2 if d.gamma_relaxed_j_per_m2 is not None else float("nan"),
            ]
        )
    conv = {k: sorted(v) for k, v in series.items() if len(v) > 1}
    return SurfaceEnergySummaryDoc(
        material=material,
        bulk_energy_per_atom_ev=bulk.energy_per_atom_ev,
        bulk_lattice_abc_a=list(bulk.structure.lattice.abc),
        bulk_volume_per_atom_a3=bulk.volume_a3 / bulk.n_atoms,
        rows=rows,
        lowest_gamma_relaxed_j_per_m2=lowest,
        thickness_convergence=conv,
        n_unconverged=n_unconv,
        calculator_name=bulk.calculator_name,
        calculator_version=bulk.calculator_version,
        calculator_model=bulk.calculator_model,
    )


@job
def make_slab_jobs(
    maker: SurfaceEnergyMaker,
    material: str,
    bulk: AseCalcDoc,
    composition: dict[str, float],
    kind: str,
    elemental_refs: dict[str, float] | None = None,
    delta_mu_window: dict[str, Any] | None = None,
) -> Response:
    """Cut every slab of every facet from the relaxed bulk and replace itself by their jobs."""
    bulk = as_calc_doc(bulk)
    jobs: list[Any] = []
    docs: list[Any] = []
    eps = bulk.energy_per_atom_ev
    bulk_atoms = AseAtomsAdaptor.get_atoms(bulk.structure)
    for miller in maker.millers:
        facet = facet_label(miller)
        for n_layers, min_thickness_a in maker._thickness_plan(kind, miller):
            if kind == "sqs":
                a_eff = (4.0 * bulk.volume_a3 / bulk.n_atoms) ** (1.0 / 3.0)
                for k in range(maker.sqs_samples):
                    seed = maker.sqs_seed + k
                    cell = make_oriented_sqs(
                        composition,
                        (miller[0], miller[1], miller[2]),
                        lattice="fcc",
                        a_a=a_eff,
                        n_layers=n_layers or maker._sqs_layers(miller),
                        seed=seed,
                    )
                    cell_struct = AseAtomsAdaptor.get_structure(cell)
                    cell_struct.properties = {"oriented_info": _jsonable(cell.info)}
                    label = f"{material} {facet} SQS s{seed} n{len(cell)}"
                    rc = make_calc_job(maker.bulk_relax_maker, cell_struct, label + " cell")
                    rc.append_name(f" {label} cell")
                    cut = cut_slab(rc.output, maker.vacuum_a, maker.n_fixed_layers, maker.fix, seed)
                    cut.append_name(f" {label}")
                    st = make_calc_job(maker.slab_static_maker, cut.output["structure"], label)
                    st.append_name(f" {label}")
                    rl = make_calc_job(maker.slab_relax_maker, cut.output["structure"], label)
                    rl.append_name(f" {label}")
                    ge = compute_surface_energy(
                        st.output,
                        rl.output,
                        output_energy_per_atom(maker.bulk_relax_maker, rc),
                        composition,
                        cut.output["info"],
                        material,
                        "relaxed oriented SQS cell (same atoms, no vacuum)",
                        elemental_refs,
                    )
                    ge.append_name(f" {label}")
                    jobs += [rc, cut, st, rl, ge]
                    docs.append(ge.output)
                continue
            slabs = make_slabs(
                bulk_atoms,
                (miller[0], miller[1], miller[2]),
                n_layers=n_layers,
                min_thickness_a=min_thickness_a,
                vacuum_a=maker.vacuum_a,
                n_fixed_layers=maker.n_fixed_layers,
                fix=maker.fix,
                symmetric=maker.symmetric,
                max_terminations=maker.max_terminations,
            )
            logger.info("%s %s: %d termination(s)", material, facet, len(slabs))
            for slab in slabs:
                info = _slab_info(slab)
                label = f"{material} {facet} t{info['termination']} n{info['n_layers']}"
                struct = AseAtomsAdaptor.get_structure(slab)
                struct.properties = {}
                st = make_calc_job(maker.slab_static_maker, struct, label)
                st.append_name(f" {label}")
                rl = make_calc_job(maker.slab_relax_maker, struct, label)
                rl.append_name(f" {label}")
                ge = compute_surface_energy(
                    st.output,
                    rl.output,
                    eps,
                    composition,
                    info,
                    material,
                    "relaxed bulk",
                    elemental_refs,
                    delta_mu_window,
                )
                ge.append_name(f" {label}")
                jobs += [st, rl, ge]
                docs.append(ge.output)
        logger.info("%s %s: slab jobs created", material, facet)
    summary = summarize_surface_energies(material, bulk, docs)
    summary.append_name(f" {material}")
    flow = Flow([*jobs, summary], output=summary.output, name=f"slabs {material}")
    return Response(replace=flow)


def _jsonable(info: dict[str, Any]) -> dict[str, Any]:
    """Return ``info`` as plain Python types, without the entries JSON cannot hold."""
    import json

    plain = cast("dict[str, Any]", to_builtin(info))
    out = {}
    for k, v in plain.items():
        try:
            json.dumps(v)
        except TypeError:
            continue
        out[k] = v
    return out


# --------------------------------------------------------------------------- flow maker
@job
def _elemental_refs(docs: dict[str, AseCalcDoc]) -> dict[str, float]:
    """Return the energy per atom of each relaxed elemental bulk, eV/atom."""
    return {el: as_calc_doc(d).energy_per_atom_ev for el, d in docs.items()}


@dataclass
class SurfaceEnergyMaker(Maker):
    """Surface energies of a material on several facets (Fig. 5a).

    Steps:

    1. relax the bulk (cell + positions) with ``bulk_relax_maker``;
    2. for alloys, relax each element's own bulk (for γ of non-stoichiometric slabs);
    3. cut slabs for every facet and termination (random alloys: per facet, ``sqs_samples``
       oriented SQS cells built at the relaxed bulk density, each relaxed as a periodic cell
       and cut into a slab with exactly its atoms);
    4. a static (unrelaxed γ) and a relaxation (relaxed γ) of each slab;
    5. γ per slab (:class:`SurfaceEnergyDoc`) and a per-material summary
       (:class:`SurfaceEnergySummaryDoc`, the flow's output).

    Parameters
    ----------
    name
        Flow name.
    bulk_relax_maker
        Relaxes bulk cells (cell + positions). This and the two slab slots take our
        AseRelaxMaker/AseStaticMaker or any Maker with atomate2's contract
        ``make(structure, prev_dir=None)`` (e.g. atomate2's ``ForceFieldRelaxMaker``, VASP
        ``RelaxMaker``); their documents are read with
        :func:`~lithiophilic.workflows.task_docs.as_calc_doc`.
    slab_static_maker
        Energy of the unrelaxed slab.
    slab_relax_maker
        Relaxes slabs (positions; fixed planes from the slab's ``selective_dynamics``,
        which atomate2's Makers turn into ASE ``FixAtoms``); must not relax the cell
        (``relax_cell=False`` for atomate2's Makers). Our default allows unconverged
        relaxations so a campaign finishes: such slabs get no relaxed γ and are counted in
        the summary.
    millers
        Facets, Miller indices of the conventional cell.
    n_layers
        Atomic planes of slabs of simple lattices (one atom per primitive cell: fcc/bcc
        elements); ``None`` uses ``min_thickness_a`` for them too.
    min_thickness_a
        Minimum thickness of slabs of complex structures (more than one atom per primitive
        cell, e.g. γ-brass), Å.
    thickness_series
        Extra ``n_layers`` values for a thickness-convergence series of simple-lattice and
        SQS slabs (empty: none).
    thickness_series_a
        Extra ``min_thickness_a`` values (Å) for a convergence series of complex-structure
        slabs (γ-brass).
    vacuum_a
        Vacuum between periodic images, Å (≥ 8).
    n_fixed_layers
        Fixed atomic planes.
    fix
        ``"center"`` (central planes fixed, both faces relax) or ``"bottom"``.
    symmetric
        Ask for symmetric slabs (non-stoichiometric ones then get γ(Δμ)).
    max_terminations
        Keep at most this many terminations per facet (``None``: all).
    sqs_samples
        Independent SQS samples per facet of a random alloy.
    sqs_n_layers
        Planes of SQS slabs (a multiple of the stacking period: 3 for fcc (111), 2 for
        (100)/(110)); ``None`` uses ``sqs_periods``.
    sqs_periods
        Stacking periods of SQS slabs when ``sqs_n_layers`` is None: 2 gives 6 planes on (111)
        (150 atoms at 64:36, 25 per plane) and 4 on (100)/(110) (100 atoms).
    sqs_seed
        Seed of the first SQS sample (sample k uses ``sqs_seed + k``).
    sqs_n_atoms
        Atoms of the bulk SQS cell relaxed in step 1.
    """

    name: str = "surface energy"
    bulk_relax_maker: Maker = field(
        default_factory=lambda: AseRelaxMaker(
            name="bulk relax",
            relax_cell=True,
            fmax_ev_per_a=defaults.BULK_FMAX_EV_PER_A,
            max_steps=defaults.BULK_MAX_STEPS,
        )
    )
    slab_static_maker: Maker = field(default_factory=lambda: AseStaticMaker(name="slab static"))
    slab_relax_maker: Maker = field(
        default_factory=lambda: AseRelaxMaker(
            name="slab relax",
            fmax_ev_per_a=defaults.SLAB_FMAX_EV_PER_A,
            max_steps=defaults.SLAB_MAX_STEPS,
            allow_unconverged=True,
        )
    )
    millers: list[list[int]] = field(default_factory=lambda: [list(m) for m in defaults.MILLERS])
    n_layers: int | None = defaults.N_LAYERS
    min_thickness_a: float | None = defaults.MIN_THICKNESS_A
    thickness_series: list[int] = field(default_factory=list)
    thickness_series_a: list[float] = field(default_factory=list)
    vacuum_a: float = defaults.VACUUM_A
    n_fixed_layers: int = defaults.N_FIXED_LAYERS
    fix: Literal["center", "bottom"] = "center"
    symmetric: bool = True
    max_terminations: int | None = None
    sqs_samples: int = defaults.SQS_SAMPLES
    sqs_n_layers: int | None = None
    sqs_periods: int = 2
    sqs_seed: int = 0
    sqs_n_atoms: int = defaults.SQS_N_ATOMS

    def __post_init__(self) -> None:
        check_slab_relax_maker(self.slab_relax_maker, "slab_relax_maker")
        self.millers = [list(m) for m in self.millers]
        for m in self.millers:
            if len(m) != 3 or not all(isinstance(i, int) for i in m) or not any(m):
                msg = f"miller: {m} is not a valid Miller index (three integers, not all zero)"
                raise ConfigurationError(msg)
        if self.vacuum_a < defaults.MIN_VACUUM_A:
            msg = f"vacuum_a: {self.vacuum_a} Å is too thin; use at least {defaults.MIN_VACUUM_A} Å"
            raise ConfigurationError(msg)
        if self.fix not in ("center", "bottom"):
            msg = f"fix: {self.fix!r} is not one of 'center', 'bottom'"
            raise ConfigurationError(msg)
        if self.n_fixed_layers < 0:
            msg = f"n_fixed_layers must be >= 0, got {self.n_fixed_layers}"
            raise ConfigurationError(msg)
        for n in [self.n_layers, *self.thickness_series]:
            if n is not None and n <= self.n_fixed_layers + (1 if self.fix == "bottom" else 2) - 1:
                msg = (
                    f"n_layers: {n} planes leave no free plane on each face with "
                    f"n_fixed_layers={self.n_fixed_layers} and fix={self.fix!r}"
                )
                raise ConfigurationError(msg)
        if self.n_layers is None and self.min_thickness_a is None:
            msg = "n_layers and min_thickness_a cannot both be None"
            raise ConfigurationError(msg)
        if self.sqs_n_layers is not None and self.sqs_n_layers <= self.n_fixed_layers + 1:
            msg = f"sqs_n_layers: {self.sqs_n_layers} planes leave no free plane with n_fixed_layers={self.n_fixed_layers}"
            raise ConfigurationError(msg)
        if self.sqs_periods < 1:
            msg = f"sqs_periods must be >= 1, got {self.sqs_periods}"
            raise ConfigurationError(msg)
        if self.sqs_samples < 1:
            msg = f"sqs_samples must be >= 1, got {self.sqs_samples}"
            raise ConfigurationError(msg)

    def _sqs_layers(self, miller: Sequence[int]) -> int:
        """Planes of an SQS slab of this facet: ``sqs_n_layers`` or the facet's default."""
        if self.sqs_n_layers is not None:
            return self.sqs_n_layers
        return self.sqs_periods * _FCC_PERIOD.get(tuple(sorted(abs(i) for i in miller)), 3)

    def _thickness_plan(
        self, kind: str, miller: Sequence[int]
    ) -> list[tuple[int | None, float | None]]:
        """Return (n_layers, min_thickness_a) pairs for ``kind`` ("simple", "complex", "sqs")."""
        if kind == "sqs":
            layers = [self._sqs_layers(miller), *self.thickness_series]
            return [(n, None) for n in dict.fromkeys(layers)]
        if kind == "simple" and self.n_layers is not None:
            return [(n, None) for n in dict.fromkeys([self.n_layers, *self.thickness_series])]
        return [(None, t) for t in dict.fromkeys([self.min_thickness_a, *self.thickness_series_a])]

    def _check_sqs_layers(self) -> None:
        """Check SQS plane counts against the fcc stacking period of common facets."""
        for m in self.millers:
            period = _FCC_PERIOD.get(tuple(sorted(abs(i) for i in m)))
            if period is None:
                continue
            for n in dict.fromkeys([self._sqs_layers(m), *self.thickness_series]):
                if n % period:
                    msg = (
                        f"sqs_n_layers/thickness_series: {n} planes is not a whole number of "
                        f"fcc stacking periods for {facet_label(m)} (use a multiple of {period})"
                    )
                    raise ConfigurationError(msg)

    def with_calculator(self, calculator: CalculatorSpec) -> SurfaceEnergyMaker:
        """Return a copy whose every sub-Maker uses ``calculator``."""
        return replace(
            self,
            bulk_relax_maker=with_calculator_spec(self.bulk_relax_maker, calculator),
            slab_static_maker=with_calculator_spec(self.slab_static_maker, calculator),
            slab_relax_maker=with_calculator_spec(self.slab_relax_maker, calculator),
        )

    def make(self, material: str | Structure, *, name: str | None = None) -> Flow:
        """Build the flow for a named material, a formula, or a bulk ``Structure``.

        Raises
        ------
        ConfigurationError
            For an unknown material/element, or elements the calculator does not cover.
        """
        atoms: Atoms
        if isinstance(material, Structure):
            atoms = AseAtomsAdaptor.get_atoms(material)
            label = name or material.composition.reduced_formula
            kind = "simple" if len(get_primitive(atoms)) == 1 else "complex"
        else:
            atoms = make_bulk(material, seed=self.sqs_seed)
            if "sqs" in atoms.info and len(atoms) != self.sqs_n_atoms:
                atoms = make_bulk(material, seed=self.sqs_seed, n_atoms=self.sqs_n_atoms)
            label = name or material
            if "sqs" in atoms.info:
                kind = "sqs"
            else:
                kind = "simple" if len(get_primitive(atoms)) == 1 else "complex"
        if kind == "sqs":
            self._check_sqs_layers()
        elements = sorted(set(atoms.get_chemical_symbols()))
        for mk in (self.bulk_relax_maker, self.slab_static_maker, self.slab_relax_maker):
            check_maker_elements(mk, elements)
        composition = {el: atoms.get_chemical_symbols().count(el) / len(atoms) for el in elements}
        struct = AseAtomsAdaptor.get_structure(atoms)
        struct.properties = {}
        bulk = make_calc_job(self.bulk_relax_maker, struct, f"{label} bulk")
        bulk.append_name(f" {label}")
        jobs: list[Any] = [bulk]
        refs = None
        if len(elements) > 1:
            ref_docs = {}
            for el in elements:
                ref_struct = AseAtomsAdaptor.get_structure(make_bulk(el))
                ref_struct.properties = {}
                rj = make_calc_job(self.bulk_relax_maker, ref_struct, f"{el} reference bulk")
                rj.append_name(f" {el} (reference)")
                jobs.append(rj)
                ref_docs[el] = rj.output
            rj_all = _elemental_refs(ref_docs)
            jobs.append(rj_all)
            refs = rj_all.output
        window = None
        if len(elements) == 2 and kind != "sqs":  # SQS slabs are stoichiometric
            phase_jobs, window = phase_window_jobs(
                self.bulk_relax_maker, label, composition, bulk.output, refs
            )
            jobs += phase_jobs
        fan = make_slab_jobs(self, label, bulk.output, composition, kind, refs, window)
        fan.append_name(f" {label}")
        jobs.append(fan)
        logger.info(
            "surface-energy flow for %s: facets %s, kind %s",
            label,
            [facet_label(m) for m in self.millers],
            kind,
        )
        return Flow(jobs, output=fan.output, name=f"{self.name} {label}")
