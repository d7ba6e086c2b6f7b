"""DFT verification of MLIP results: γ and E_b recomputed with GPAW on the MLIP geometries.

Each quantity is recomputed from the geometries the MLIP relaxed, with one DFT setting for
every calculation (slab, bulk, elemental and Li references), as single points and, on
request, as DFT relaxations started from the MLIP geometry. Every calculation is its own
``AseStaticMaker``/``AseRelaxMaker`` job, cached under its :func:`~lithiophilic.workflows.base.calc_cache_key`:
a verification that was killed reruns only what is not stored yet.

Reduced slabs (E_b only): the substrate atoms deeper than ``reduced_depth_a`` below the
topmost substrate atom are removed from the relaxed slab+Li and from the clean supercell; the
MLIP single points of the full and the reduced pair measure what the reduction changes.

Documents: :class:`VerifyGammaDoc` (one per slab) and :class:`VerifyBindingDoc` (one per
Li site), built by :func:`verify_gamma_result` and :func:`verify_binding_result`; the jobs of
one target come from :meth:`VerifyMaker.gamma_jobs` / :meth:`VerifyMaker.binding_jobs`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

import numpy as np
from jobflow import job
from pydantic import BaseModel, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials import CalculatorSpec, calculator_provenance
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2
from lithiophilic.workflows.base import AseCalcDoc, AseRelaxMaker, AseStaticMaker
from lithiophilic.workflows.binding.jobs import li_bcc_structure
from lithiophilic.workflows.task_docs import as_calc_doc

__all__ = [
    "VERIFY_DEFINITION",
    "VerifyBindingDoc",
    "VerifyGammaDoc",
    "VerifyMaker",
    "reduce_slab",
    "reduce_slab_pair",
    "stacking_axis",
    "standard_cell",
    "standard_cell_job",
    "verify_binding_result",
    "verify_gamma_result",
]

logger = logging.getLogger(__name__)

VERIFY_DEFINITION = (
    "DFT check of MLIP numbers on the MLIP geometries, one DFT setting for every calculation. "
    "gamma_dft = (E_dft(MLIP relaxed slab) - sum_i N_i mu_i)/(2A), stoichiometric: mu = "
    "E_dft(MLIP relaxed bulk)/atom; non-stoichiometric: at the Delta-mu-min (A-rich) edge, mu_A = "
    "E_dft(MLIP elemental A bulk)/atom and x_A mu_A + x_B mu_B = E_dft(MLIP bulk)/atom (a skin on "
    "Cu: fcc Cu is gamma-brass's Cu-rich neighbour, as the MLIP's own hull says). "
    "E_b(vs bcc Li) = -[E(slab+Li) - E(clean supercell) - eps_Li(bcc)], larger = stronger; "
    "eps_Li(bcc) of the DFT-relaxed bcc Li (cell relaxed; DFT settings without a stress, "
    "LCAO: DFT single point on the MLIP-relaxed bcc Li). 'sp': single points on the MLIP "
    "geometries; 'relaxed': DFT relaxation of positions started from them, cell kept. Reduced "
    "slabs: substrate atoms deeper than reduced_depth_a below the topmost substrate atom "
    "removed from slab+Li and clean supercell alike; mlip_binding_sp_reduced_ev - "
    "mlip_binding_sp_full_ev is what the reduction changes (MLIP, same sites)."
)


ComputedWallTimes = Annotated[
    dict[str, float],
    Field(
        default_factory=dict,
        description="Wall time each calculation took where it was computed, s, also when this "
        "run reused it: the cost of the verify, however many runs it took ({}: a document "
        "from before this field).",
    ),
]
CalculationKeys = Annotated[
    dict[str, str],
    Field(
        default_factory=dict,
        description="Calculation -> its cache key: a calculation shared by several documents "
        "(a bulk reference, bcc Li, a clean slab) is counted once by verify_cost_s.",
    ),
]


class VerifyGammaDoc(BaseModel):
    """γ of one slab: the MLIP's stored value beside DFT on the same geometry."""

    doc_type: Literal["verify_gamma"] = Field("verify_gamma", description="Document family.")
    material: str = Field(description="Material label.")
    miller: list[int] = Field(description="Facet.")
    termination: int = Field(description="Termination index.")
    sqs_seed: int | None = Field(None, description="SQS sample seed (random alloys).")
    n_layers: int = Field(description="Atomic planes of the slab.")
    n_atoms: int = Field(description="Atoms in the slab.")
    area_a2: float = Field(description="Area of one face, Å².")
    method: str = Field(description="'stoichiometric' or 'chemical-potential' (at the edge).")
    reference: str = Field(description="Chemical potentials used (which bulk cells).")
    source_uuid: str = Field(description="uuid of the MLIP SurfaceEnergyDoc verified.")
    mlip_calculator_name: str = Field(description="MLIP registry name.")
    mlip_gamma_j_per_m2: float = Field(
        description="Stored MLIP relaxed γ (Δμ-min edge when non-stoichiometric), J/m²."
    )
    mlip_gamma_sp_j_per_m2: float = Field(
        description="MLIP γ recomputed from single points on the same geometries (check), J/m²."
    )
    dft_gamma_sp_j_per_m2: float = Field(description="DFT γ, single points, J/m².")
    dft_gamma_relaxed_j_per_m2: float | None = Field(
        None,
        description="DFT γ after a DFT relaxation of the slab (None: not run/unconverged), J/m².",
    )
    dft_relax_converged: bool | None = Field(None, description="DFT slab relaxation converged.")
    dft_calculator_name: str = Field(description="DFT registry name.")
    dft_calculator_version: str | None = Field(description="DFT package version.")
    dft_settings: dict[str, Any] = Field(description="DFT settings (one for every calculation).")
    dft_reference_settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Bulk references computed with other DFT settings than dft_settings: "
        "reference -> its settings (an oriented α-brass cell: kpts_gamma, off Γ along the "
        "stacking axis; see VerifyMaker).",
    )
    dft_energies_ev: dict[str, float] = Field(
        description="DFT energies used, eV (per atom: eV/atom)."
    )
    wall_time_s: dict[str, float] = Field(description="Wall time per calculation, s (0: reused).")
    reused: dict[str, bool] = Field(description="Calculation -> reused from the database.")
    computed_wall_time_s: ComputedWallTimes
    cache_keys: CalculationKeys
    definition: str = Field(VERIFY_DEFINITION, description="Formulas used.")


class VerifyBindingDoc(BaseModel):
    """E_b of one Li site: the MLIP's stored value beside DFT on the same geometry."""

    doc_type: Literal["verify_binding"] = Field("verify_binding", description="Document family.")
    material: str = Field(description="Material label.")
    miller: list[int] = Field(description="Facet.")
    termination: int | None = Field(None, description="Slab termination index.")
    sqs_seed: int | None = Field(None, description="SQS sample seed (random alloys).")
    site_label: str = Field(description="Initial site label.")
    outcome: str | None = Field(description="MLIP outcome class (adsorbed/incorporated/...).")
    selected_as: str = Field(description="'adsorbed top-k' or 'incorporated' (why it is verified).")
    source_uuid: str = Field(description="uuid of the MLIP LiSiteDoc verified.")
    reduced_depth_a: float | None = Field(
        None, description="Substrate kept within this depth below its top, Å (None: full slab)."
    )
    n_atoms_full: int = Field(description="Atoms of the full slab+Li.")
    n_atoms_used: int = Field(description="Atoms of the slab+Li DFT computed.")
    mlip_calculator_name: str = Field(description="MLIP registry name.")
    mlip_binding_energy_bcc_ev: float = Field(description="Stored MLIP E_b vs bcc Li, eV.")
    mlip_binding_sp_full_ev: float = Field(
        description="MLIP E_b from single points on the full geometries (check), eV."
    )
    mlip_binding_sp_reduced_ev: float | None = Field(
        None, description="MLIP E_b on the reduced geometries (None: full slab), eV."
    )
    reduction_change_ev: float | None = Field(
        None, description="mlip_binding_sp_reduced_ev - mlip_binding_sp_full_ev, eV."
    )
    dft_binding_sp_ev: float = Field(description="DFT E_b vs bcc Li, single points, eV.")
    dft_binding_relaxed_ev: float | None = Field(
        None, description="DFT E_b after DFT relaxations (None: not run/unconverged), eV."
    )
    dft_relax_converged: bool | None = Field(None, description="Both DFT relaxations converged.")
    dft_li_bcc_energy_per_atom_ev: float = Field(description="eps_Li(bcc), DFT, eV/atom.")
    dft_li_bcc_lattice_a: float = Field(
        description="bcc Li lattice constant of the reference (DFT-relaxed; LCAO: MLIP's), Å."
    )
    dft_calculator_name: str = Field(description="DFT registry name.")
    dft_calculator_version: str | None = Field(description="DFT package version.")
    dft_settings: dict[str, Any] = Field(description="DFT settings (one for every calculation).")
    dft_energies_ev: dict[str, float] = Field(description="DFT energies used, eV.")
    wall_time_s: dict[str, float] = Field(description="Wall time per calculation, s (0: reused).")
    reused: dict[str, bool] = Field(description="Calculation -> reused from the database.")
    computed_wall_time_s: ComputedWallTimes
    cache_keys: CalculationKeys
    definition: str = Field(VERIFY_DEFINITION, description="Formulas used.")


# --------------------------------------------------------------------------- structures
def reduce_slab(structure: Structure, depth_a: float, *, adsorbate: str = "Li") -> Structure:
    """Return ``structure`` without substrate atoms deeper than ``depth_a`` below the top one.

    The topmost *substrate* atom (not ``adsorbate``) is the origin, so a slab+Li and its clean
    slab lose the same atoms. Constraints are dropped (single points).

    Raises
    ------
    ConfigurationError
        If ``depth_a`` is not positive.
    """
    if not depth_a > 0:
        msg = f"reduced_depth_a must be > 0 Å, got {depth_a}"
        raise ConfigurationError(msg)
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.constraints = []
    z = atoms.positions[:, 2]
    sub = np.array([s != adsorbate for s in atoms.get_chemical_symbols()])
    top = float(z[sub].max())
    keep = ~sub | (z >= top - depth_a)
    reduced = atoms[keep]
    out = AseAtomsAdaptor.get_structure(reduced)
    out.properties = {}
    return out


def reduce_slab_pair(
    with_li: Structure, clean: Structure, depth_a: float, *, adsorbate: str = "Li"
) -> tuple[Structure, Structure]:
    """Cut a relaxed slab+Li and its clean slab to the same substrate atoms.

    The cut plane lies ``depth_a`` below the clean slab's topmost atom. Each substrate atom of
    the slab+Li is matched to one clean-slab atom of the same element (minimum-image distance,
    one-to-one assignment), and the slab+Li keeps exactly the matches of the clean atoms kept.
    Cutting each structure at its own topmost atom (:func:`reduce_slab`) loses different atoms
    when the Li rumples the surface (a random alloy); this does not. Where both cuts keep the
    same atoms the two functions return the same structures.

    Raises
    ------
    ConfigurationError
        If ``depth_a`` is not positive.
    CalculationFailed
        If the substrates differ in composition or an atom moved more than 2 Å from its match.
    """
    from ase.geometry import get_distances
    from scipy.optimize import linear_sum_assignment

    if not depth_a > 0:
        msg = f"reduced_depth_a must be > 0 Å, got {depth_a}"
        raise ConfigurationError(msg)
    a = AseAtomsAdaptor.get_atoms(with_li)
    b = AseAtomsAdaptor.get_atoms(clean)
    a.constraints, b.constraints = [], []
    sym_a, sym_b = np.array(a.get_chemical_symbols()), np.array(b.get_chemical_symbols())
    sub_a = np.flatnonzero(sym_a != adsorbate)
    if sorted(sym_a[sub_a]) != sorted(sym_b):
        msg = "reduce_slab_pair: the slab+Li substrate and the clean slab differ in composition"
        raise CalculationFailed(msg)
    _, dist = get_distances(a.positions[sub_a], b.positions, cell=b.cell, pbc=b.pbc)
    cost = np.where(sym_a[sub_a][:, None] == sym_b[None, :], dist, 1e6)
    rows, cols = linear_sum_assignment(cost)
    if cost[rows, cols].max() > 2.0:
        msg = (
            "reduce_slab_pair: a substrate atom of the slab+Li is "
            f"{cost[rows, cols].max():.2f} Å from its clean-slab match (> 2 Å)"
        )
        raise CalculationFailed(msg)
    zb = b.positions[:, 2]
    keep_b = zb >= zb.max() - depth_a
    keep_a = sym_a == adsorbate
    keep_a[sub_a[rows[keep_b[cols]]]] = True
    out = []
    for atoms, keep in ((a, keep_a), (b, keep_b)):
        s = AseAtomsAdaptor.get_structure(atoms[keep])
        s.properties = {}
        out.append(s)
    return out[0], out[1]


def standard_cell(structure: Structure, *, symprec: float = 1e-3) -> Structure:
    """Return the standard primitive cell of a bulk ``structure`` (same crystal, same energy/atom).

    GPAW's symmetry analysis can fail on an MLIP-relaxed cell written in a non-standard
    setting (``SymmetryAnalysisBug``); the bulk references are computed in the standard
    setting, by the MLIP and by DFT alike. A cell whose volume per atom would change by more
    than 0.1 % is returned unchanged.
    """
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    try:
        prim = SpacegroupAnalyzer(structure, symprec=symprec).get_primitive_standard_structure()
    except Exception:  # spglib gives up on some cells: keep the cell as it is
        return structure
    v0 = structure.volume / len(structure)
    if abs(prim.volume / len(prim) - v0) > 1e-3 * v0 or prim.composition.reduced_formula != (
        structure.composition.reduced_formula
    ):
        return structure
    prim.properties = {}
    return prim


def _reduced_2d(u: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """Return the Gauss-reduced 2D lattice (u, v): its two lengths and |cos| of their angle."""
    u, v = np.asarray(u, float), np.asarray(v, float)
    while True:
        if u @ u > v @ v:
            u, v = v, u
        m = round(float(u @ v) / float(u @ u))
        if m == 0:
            break
        v = v - m * u
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    return nu, nv, abs(float(u @ v)) / (nu * nv)


def stacking_axis(bulk: Structure, slab: Structure, *, rtol: float = 1e-3) -> int | None:
    """Return the axis of ``bulk`` along which the slab's planes stack, or ``None``.

    The axis whose two other cell vectors span the slab's surface lattice (that of its first
    two cell vectors), compared after a Gauss reduction (lengths and angle within ``rtol``):
    the oriented bulk cell of a slab (an α-brass SQS reference). ``None`` if no axis or more
    than one does (a primitive fcc cell against a 1x1 (111) slab: all three).
    """
    target = np.array(_reduced_2d(*slab.lattice.matrix[:2]))
    m = bulk.lattice.matrix
    hits = [
        k
        for k in range(3)
        if np.allclose(_reduced_2d(m[(k + 1) % 3], m[(k + 2) % 3]), target, rtol=rtol, atol=rtol)
    ]
    return hits[0] if len(hits) == 1 else None


@job
def standard_cell_job(structure: Structure) -> Structure:
    """Return :func:`standard_cell` of a structure computed by an earlier job.

    E_b's bcc Li reference is relaxed by the MLIP (cell included), which leaves its cell a
    little off cubic: GPAW then finds 2 symmetries instead of 48 and computes ~500
    irreducible k-points instead of 35 (the quick Cu chunk, bench/results/verify_levers.json).
    """
    return standard_cell(structure)


def _doc(d: Any) -> AseCalcDoc:
    return as_calc_doc(d)


def _time(d: AseCalcDoc) -> float:
    return 0.0 if d.reused_from_uuid else float(d.wall_time_s)


def _costs(named: dict[str, AseCalcDoc]) -> dict[str, Any]:
    """Return the ``computed_wall_time_s`` and ``cache_keys`` fields of ``named``."""
    return {
        "computed_wall_time_s": {k: float(v.wall_time_s) for k, v in named.items()},
        "cache_keys": {k: v.cache_key for k, v in named.items()},
    }


def verify_cost_s(docs: Iterable[Mapping[str, Any]]) -> tuple[float, int]:
    """Return the wall time the calculations of verify documents took, s, and their number.

    Each calculation counts once (by cache key) at the wall time it took where it was
    computed, whichever run computed it. Documents from before ``computed_wall_time_s``
    contribute their ``wall_time_s`` (this run's calculations only).
    """
    seen: dict[str, float] = {}
    for i, d in enumerate(docs):
        keys = d.get("cache_keys") or {}
        walls = d.get("computed_wall_time_s") or d.get("wall_time_s") or {}
        for name, wall in walls.items():
            seen[keys.get(name) or f"{i} {name}"] = float(wall)
    return sum(seen.values()), len(seen)


# --------------------------------------------------------------------------- result jobs
@job(output_schema=VerifyGammaDoc)
def verify_gamma_result(
    target: dict[str, Any],
    dft: dict[str, Any],
    mlip: dict[str, Any],
    dft_relaxed: Any = None,
) -> VerifyGammaDoc:
    """Turn the DFT and MLIP single points of a slab and its references into a VerifyGammaDoc.

    ``dft`` / ``mlip``: ``slab``, ``bulk`` and (non-stoichiometric) ``elemental`` documents;
    ``target``: the MLIP row (material, miller, termination, counts, area_a2, ...).
    """
    d = {k: _doc(v) for k, v in dft.items()}
    m = {k: _doc(v) for k, v in mlip.items()}

    def gamma(docs: dict[str, AseCalcDoc], slab: AseCalcDoc) -> float:
        return _gamma_j_per_m2(slab.energy_ev, docs, target)

    relaxed = _doc(dft_relaxed) if dft_relaxed is not None else None
    g_rel = None
    if relaxed is not None and relaxed.converged:
        g_rel = gamma(d, relaxed)
    prov = calculator_provenance(CalculatorSpec(target["dft_name"], target["dft_kwargs"]))
    energies = {f"{k}_per_atom": v.energy_per_atom_ev for k, v in d.items()}
    energies["slab"] = d["slab"].energy_ev
    times = {f"dft {k}": _time(v) for k, v in d.items()} | {
        f"mlip {k}": _time(v) for k, v in m.items()
    }
    reused = {f"dft {k}": bool(v.reused_from_uuid) for k, v in d.items()}
    named = {f"dft {k}": v for k, v in d.items()} | {f"mlip {k}": v for k, v in m.items()}
    if relaxed is not None:
        times["dft slab relax"] = _time(relaxed)
        reused["dft slab relax"] = bool(relaxed.reused_from_uuid)
        named["dft slab relax"] = relaxed
        energies["slab_relaxed"] = relaxed.energy_ev
    return VerifyGammaDoc(
        material=target["material"],
        miller=list(target["miller"]),
        termination=int(target.get("termination") or 0),
        sqs_seed=target.get("sqs_seed"),
        n_layers=int(target["n_layers"]),
        n_atoms=d["slab"].n_atoms,
        area_a2=float(target["area_a2"]),
        method=target["method"],
        reference=target["reference"],
        source_uuid=target["uuid"],
        mlip_calculator_name=target["calculator_name"],
        mlip_gamma_j_per_m2=float(target["mlip_gamma_j_per_m2"]),
        mlip_gamma_sp_j_per_m2=gamma(m, m["slab"]),
        dft_gamma_sp_j_per_m2=gamma(d, d["slab"]),
        dft_gamma_relaxed_j_per_m2=g_rel,
        dft_relax_converged=None if relaxed is None else relaxed.converged,
        dft_calculator_name=prov["calculator_name"],
        dft_calculator_version=prov["calculator_version"],
        dft_settings=prov["settings"],
        dft_reference_settings={
            k: v.calculator_settings
            for k, v in d.items()
            if k != "slab" and v.calculator_settings.get("kpts_gamma")
        },
        dft_energies_ev=energies,
        wall_time_s=times,
        reused=reused,
        **_costs(named),
    )


def _gamma_j_per_m2(
    slab_energy_ev: float, docs: dict[str, AseCalcDoc], target: dict[str, Any]
) -> float:
    """γ of a slab energy with the chemical potentials of ``docs`` (see VERIFY_DEFINITION)."""
    counts = {el: int(n) for el, n in target["counts"].items()}
    eps = docs["bulk"].energy_per_atom_ev
    if target["method"] == "stoichiometric":
        mu = dict.fromkeys(counts, eps)
    else:
        rich = target["rich_element"]
        comp = docs["bulk"].structure.composition.fractional_composition
        other = next(el for el in counts if el != rich)
        mu_rich = docs["elemental"].energy_per_atom_ev
        mu = {rich: mu_rich, other: (eps - comp[rich] * mu_rich) / comp[other]}
    excess = slab_energy_ev - sum(n * mu[el] for el, n in counts.items())
    return excess / (2.0 * float(target["area_a2"])) * EV_PER_A2_TO_J_PER_M2


@job(output_schema=VerifyBindingDoc)
def verify_binding_result(
    target: dict[str, Any],
    dft: dict[str, Any],
    mlip: dict[str, Any],
    li_bcc: Any,
    dft_relaxed: dict[str, Any] | None = None,
) -> VerifyBindingDoc:
    """Turn single points of slab+Li and clean slab into a VerifyBindingDoc.

    ``dft``: ``with_li``, ``clean`` (the geometries DFT computes: reduced or full); ``mlip``:
    ``with_li_full``, ``clean_full`` and, for reduced slabs, ``with_li``, ``clean``;
    ``li_bcc``: the DFT-relaxed bcc Li; ``dft_relaxed``: ``with_li``, ``clean`` relaxations.
    """
    d = {k: _doc(v) for k, v in dft.items()}
    m = {k: _doc(v) for k, v in mlip.items()}
    li = _doc(li_bcc)
    eps_li = li.energy_per_atom_ev
    mu_mlip = float(target["mlip_mu_li_ev"])

    def eb(with_li: AseCalcDoc, clean: AseCalcDoc, mu: float) -> float:
        return -(with_li.energy_ev - clean.energy_ev - mu)

    full = eb(m["with_li_full"], m["clean_full"], mu_mlip)
    red = eb(m["with_li"], m["clean"], mu_mlip) if "with_li" in m else None
    rel_docs = {k: _doc(v) for k, v in (dft_relaxed or {}).items()}
    rel_ok = all(v.converged for v in rel_docs.values()) if rel_docs else None
    eb_rel = eb(rel_docs["with_li"], rel_docs["clean"], eps_li) if rel_ok else None
    prov = calculator_provenance(CalculatorSpec(target["dft_name"], target["dft_kwargs"]))
    times = {f"dft {k}": _time(v) for k, v in d.items()} | {
        f"mlip {k}": _time(v) for k, v in m.items()
    }
    times["dft Li bcc relax"] = _time(li)
    times |= {f"dft {k} relax": _time(v) for k, v in rel_docs.items()}
    reused = {k: bool(v.reused_from_uuid) for k, v in {**d, "Li bcc": li}.items()}
    reused |= {f"{k} relax": bool(v.reused_from_uuid) for k, v in rel_docs.items()}
    named = {f"dft {k}": v for k, v in d.items()} | {f"mlip {k}": v for k, v in m.items()}
    named |= {"dft Li bcc relax": li} | {f"dft {k} relax": v for k, v in rel_docs.items()}
    energies = {k: v.energy_ev for k, v in d.items()} | {"li_bcc_per_atom": eps_li}
    energies |= {f"{k}_relaxed": v.energy_ev for k, v in rel_docs.items()}
    return VerifyBindingDoc(
        material=target["material"],
        miller=list(target["miller"]),
        termination=target.get("termination"),
        sqs_seed=target.get("sqs_seed"),
        site_label=target["site_label"],
        outcome=target.get("outcome"),
        selected_as=target["selected_as"],
        source_uuid=target["uuid"],
        reduced_depth_a=target.get("reduced_depth_a"),
        n_atoms_full=m["with_li_full"].n_atoms,
        n_atoms_used=d["with_li"].n_atoms,
        mlip_calculator_name=target["calculator_name"],
        mlip_binding_energy_bcc_ev=float(target["binding_energy_bcc_ev"]),
        mlip_binding_sp_full_ev=full,
        mlip_binding_sp_reduced_ev=red,
        reduction_change_ev=None if red is None else red - full,
        dft_binding_sp_ev=eb(d["with_li"], d["clean"], eps_li),
        dft_binding_relaxed_ev=eb_rel,
        dft_relax_converged=rel_ok,
        dft_li_bcc_energy_per_atom_ev=eps_li,
        dft_li_bcc_lattice_a=(2.0 * li.volume_a3 / li.n_atoms) ** (1.0 / 3.0),
        dft_calculator_name=prov["calculator_name"],
        dft_calculator_version=prov["calculator_version"],
        dft_settings=prov["settings"],
        dft_energies_ev=energies,
        wall_time_s=times,
        reused=reused,
        **_costs(named),
    )


# --------------------------------------------------------------------------- the Maker
@dataclass
class VerifyMaker:
    """The jobs that verify one γ or one E_b target with DFT (every calculation its own job).

    Parameters
    ----------
    dft
        The DFT calculator (e.g. ``CalculatorSpec("gpaw", {"ecut_ev": 400})``).
    mlip
        The MLIP whose numbers are verified (its single points on the same geometries are the
        consistency check and, for reduced slabs, the measure of the reduction).
    reduced_depth_a
        E_b on reduced slabs: keep substrate atoms within this depth of the top (None: full).
    relax
        Also relax with DFT from the MLIP geometries (positions; cell kept).
    dft_forces
        Also compute DFT forces in the single points (the residual force on each MLIP
        geometry, ``max_force_ev_per_a``); off, GPAW LCAO skips 3-6 SCF iterations' worth of
        work per calculation. γ and E_b use energies only.
    fmax_ev_per_a, max_steps
        DFT relaxation thresholds.

    Notes
    -----
    k-points of a γ bulk reference (GPAW): the oriented bulk cell of a slab (its
    :func:`stacking_axis` found) keeps the slab's Γ-centred in-plane mesh, so their in-plane
    sampling errors cancel, and with an even number of points along the stacking axis it is
    sampled off Γ (Monkhorst-Pack, ``kpts_gamma``): on a cell without symmetry time reversal
    then halves the irreducible k-points, and with them the memory and the time (the 150-atom
    α-brass (111) SQS reference on 2x2x2: 4 points instead of 8; with 8 its GPAW rank 0 reached
    11.5 GB and was killed on a 24 GB machine). Any other bulk cell is computed as before.
    """

    dft: CalculatorSpec = field(default_factory=lambda: CalculatorSpec("gpaw"))
    mlip: CalculatorSpec = field(default_factory=CalculatorSpec)
    reduced_depth_a: float | None = None
    relax: bool = False
    dft_forces: bool = True
    fmax_ev_per_a: float = defaults.SLAB_FMAX_EV_PER_A
    max_steps: int = defaults.SLAB_MAX_STEPS
    name: str = "verify"

    def __post_init__(self) -> None:
        if self.reduced_depth_a is not None and not self.reduced_depth_a > 0:
            msg = f"reduced_depth_a must be > 0 Å or None, got {self.reduced_depth_a}"
            raise ConfigurationError(msg)

    def _static(self, spec: CalculatorSpec, structure: Structure, label: str) -> Any:
        forces = self.dft_forces or spec != self.dft  # MLIP forces cost nothing extra
        maker = AseStaticMaker(name=f"{self.name} static", calculator=spec, forces=forces)
        j = maker.make(structure, label=label)
        j.append_name(f" {label}")
        return j

    def _relax(self, structure: Structure, label: str, *, cell: bool = False) -> Any:
        maker = AseRelaxMaker(
            name=f"{self.name} relax",
            calculator=self.dft,
            relax_cell=cell,
            fmax_ev_per_a=self.fmax_ev_per_a,
            max_steps=self.max_steps,
            allow_unconverged=True,
        )
        j = maker.make(structure, label=label)
        j.append_name(f" {label}")
        return j

    def _target(self, target: dict[str, Any]) -> dict[str, Any]:
        return {**target, "dft_name": self.dft.name, "dft_kwargs": dict(self.dft.kwargs)}

    @property
    def dft_has_stress(self) -> bool:
        """Whether the DFT setting computes a stress (GPAW LCAO does not: no cell relaxation)."""
        return calculator_provenance(self.dft)["settings"].get("mode", "pw") != "lcao"

    def li_reference_jobs(self) -> list[Any]:
        """Return the jobs of E_b's Li reference; the last one's output is the bcc Li document.

        A DFT cell relaxation of bcc Li; for a DFT setting without a stress (LCAO) a DFT single
        point on the MLIP-relaxed bcc Li instead (like every other verify number), in its
        standard cell (:func:`standard_cell_job`: the same crystal with its symmetry exact).
        """
        if self.dft_has_stress:
            return [self._relax(li_bcc_structure(), "verify Li bcc", cell=True)]
        maker = AseRelaxMaker(
            name=f"{self.name} relax", calculator=self.mlip, relax_cell=True, max_steps=200
        )
        mlip = maker.make(li_bcc_structure(), label="verify mlip Li bcc")
        mlip.append_name(" verify mlip Li bcc")
        std = standard_cell_job(mlip.output.structure)
        std.name = f"{self.name} standard cell Li bcc"
        return [mlip, std, self._static(self.dft, std.output, "verify dft Li bcc")]

    def li_reference_job(self) -> Any:
        """Return the job whose output is E_b's bcc Li reference (see :meth:`li_reference_jobs`)."""
        return self.li_reference_jobs()[-1]

    def gamma_jobs(
        self, target: dict[str, Any], slab: Structure, refs: dict[str, Structure]
    ) -> list[Any]:
        """Return the jobs verifying γ of one slab; the last one's output is a VerifyGammaDoc.

        ``refs``: ``bulk`` (and ``elemental`` for a non-stoichiometric slab) MLIP structures.
        """
        tag = f"{target['material']} {target['facet']} t{target.get('termination', 0)}"
        if target.get("sqs_seed") is not None:
            tag += f" s{target['sqs_seed']}"
        jobs: list[Any] = []
        dft: dict[str, Any] = {}
        mlip: dict[str, Any] = {}
        cells = {k: standard_cell(v) for k, v in refs.items()}
        for key, struct in {"slab": slab, **cells}.items():
            own = self.dft if key == "slab" else self.reference_spec(struct, slab)
            for spec, out, who in ((own, dft, "dft"), (self.mlip, mlip, "mlip")):
                j = self._static(spec, struct, f"verify {who} {tag} {key}")
                jobs.append(j)
                out[key] = j.output
        relaxed = None
        if self.relax:
            r = self._relax(slab, f"verify dft {tag} slab")
            jobs.append(r)
            relaxed = r.output
        res = verify_gamma_result(self._target(target), dft, mlip, relaxed)
        res.append_name(f" {tag}")
        return [*jobs, res]

    def reference_spec(self, bulk: Structure, slab: Structure) -> CalculatorSpec:
        """Return the DFT setting of a γ bulk reference of ``slab`` (see the Notes above)."""
        if self.dft.name != "gpaw":
            return self.dft
        axis = stacking_axis(bulk, slab)
        if axis is None:
            return self.dft
        from lithiophilic.potentials.dft.common import dft_choices

        atoms = AseAtomsAdaptor.get_atoms(bulk)
        mesh = dft_choices(atoms, self.dft.settings(), self.dft.name)["kpts"]  # GPAW's own
        if mesh[axis] % 2:
            return self.dft  # odd: the mesh holds Γ either way
        gamma = [k != axis for k in range(3)]
        return CalculatorSpec(self.dft.name, {**self.dft.kwargs, "kpts_gamma": gamma})

    def binding_jobs(
        self, target: dict[str, Any], with_li: Structure, clean: Structure, li_bcc: Any
    ) -> list[Any]:
        """Return the jobs verifying E_b of one Li site; the last one's output is a VerifyBindingDoc."""
        tag = f"{target['material']} {target['facet']} Li@{target['site_label']}"
        jobs: list[Any] = []
        mlip: dict[str, Any] = {}
        for key, struct in (("with_li_full", with_li), ("clean_full", clean)):
            j = self._static(self.mlip, struct, f"verify mlip {tag} {key}")
            jobs.append(j)
            mlip[key] = j.output
        used = {"with_li": with_li, "clean": clean}
        if self.reduced_depth_a is not None:
            red_li, red_clean = reduce_slab_pair(with_li, clean, self.reduced_depth_a)
            used = {"with_li": red_li, "clean": red_clean}
            for key, struct in used.items():
                j = self._static(self.mlip, struct, f"verify mlip {tag} {key} reduced")
                jobs.append(j)
                mlip[key] = j.output
        dft: dict[str, Any] = {}
        for key, struct in used.items():
            j = self._static(self.dft, struct, f"verify dft {tag} {key}")
            jobs.append(j)
            dft[key] = j.output
        relaxed = None
        if self.relax:
            relaxed = {}
            for key, struct in used.items():
                r = self._relax(_fix_bottom(struct), f"verify dft {tag} {key}")
                jobs.append(r)
                relaxed[key] = r.output
        t = self._target({**target, "reduced_depth_a": self.reduced_depth_a})
        res = verify_binding_result(t, dft, mlip, li_bcc, relaxed)
        res.append_name(f" {tag}")
        return [*jobs, res]

    def with_dft(self, dft: CalculatorSpec) -> VerifyMaker:
        """Return a copy computing with ``dft``."""
        return replace(self, dft=dft)


def _fix_bottom(structure: Structure, depth_a: float = 1.0) -> Structure:
    """Return ``structure`` with the substrate atoms within ``depth_a`` of its bottom fixed."""
    z = np.array([s.coords[2] for s in structure])
    fixed = z <= z.min() + depth_a
    out = structure.copy()
    out.add_site_property("selective_dynamics", [[not f] * 3 for f in fixed])
    return out
