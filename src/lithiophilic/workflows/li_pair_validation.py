"""Site-resolved Li–Li pair and trimer interactions, a distilled potential vs its teacher.

Issue 19 item 4: the interaction energies the aggregation kinetics rest on, computed with the
one definition of :mod:`lithiophilic.analysis.pair_interaction`,

    E_int(ij) = E(ij) − E(i) − E(j) + E(0)      (eV per pair, negative = attraction),

on a 5x5x3 (111) slab of Cu and of a Cu0.64Zn0.36 SQS (bottom plane fixed, the same
geometry for both calculators), every configuration relaxed with each calculator. The Li
sit in fcc hollows (the stacking site above the third plane from the top), at offsets
``(m, n)`` in surface primitive cells from a reference hollow:

- ``A (0,0)``, ``B (1,0)``, ``E (0,1)``: three mutually nearest-neighbour hollows (one
  surface lattice spacing, 2.56 Å on Cu, 2.61 Å on the alloy);
- ``C (1,1)``: second neighbour of A (√3 spacings, 4.4–4.5 Å);
- ``D (2,2)``: second neighbour of C and the farthest hollow from A in the 5x5 cell
  (√7 spacings, 6.8–6.9 Å minimum image).

Placements: nearest-neighbour pairs AB, AE, BE (three local environments on the alloy),
second-neighbour pairs AC and CD, the far pair AD (the check that the definition removes the
site energies: E_int → ~0), and the compact trimer ABE (total E_int(S) and its irreducible
three-body term). A relaxation that does not converge, or a Li that leaves its hollow
(lateral displacement > ``max_shift_a``) is reported and that placement gets no interaction.
By default the Li are held laterally on their hollows (relaxed along z, the substrate relaxed),
so that every placement exists for both calculators; the 5x5 cell keeps Li images ≥ 13 Å apart.
Plain functions (no jobflow); the bench ``bench/bench_li_pair_interactions.py`` and
``lithiophilic potentials validate --pairs`` call them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.analysis.pair_interaction import (
    PAIR_INTERACTION_DEFINITION,
    cluster_interaction_energy_ev,
    energy_table,
    many_body_term_ev,
)
from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

__all__ = [
    "PAIR_PLACEMENTS",
    "PAIR_SUBSTRATES",
    "SITE_OFFSETS",
    "compare_pair_interactions",
    "fcc_hollow_xy",
    "pair_substrate",
    "site_resolved_interactions",
]

logger = logging.getLogger(__name__)

#: Hollow label -> offset in surface primitive cells from the reference fcc hollow.
SITE_OFFSETS: dict[str, tuple[int, int]] = {
    "A": (0, 0),
    "B": (1, 0),
    "E": (0, 1),
    "C": (1, 1),
    "D": (2, 2),
}
#: Placement name -> (kind, occupied hollows).
PAIR_PLACEMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "nn_AB": ("nearest-neighbour pair", ("A", "B")),
    "nn_AE": ("nearest-neighbour pair", ("A", "E")),
    "nn_BE": ("nearest-neighbour pair", ("B", "E")),
    "2nn_AC": ("second-neighbour pair", ("A", "C")),
    "2nn_CD": ("second-neighbour pair", ("C", "D")),
    "far_AD": ("far pair", ("A", "D")),
    "trimer_ABE": ("compact trimer", ("A", "B", "E")),
}
#: Substrates of the comparison and their lattice constants (Å), as in the training slabs.
PAIR_SUBSTRATES: dict[str, float] = {"Cu": 3.62, "CuZn": 3.69}
LI_HEIGHT_A = 1.9


def pair_substrate(
    substrate: Literal["Cu", "CuZn"],
    *,
    lateral_size: tuple[int, int] = (5, 5),
    n_layers: int = 3,
    seed: int = 0,
    vacuum_a: float = 14.0,
) -> Atoms:
    """Return the (111) slab of the comparison: Cu, or a Cu0.64Zn0.36 SQS; bottom plane fixed.

    Raises
    ------
    ConfigurationError
        If ``substrate`` is not one of :data:`PAIR_SUBSTRATES`.
    """
    from ase.build import fcc111
    from ase.constraints import FixAtoms

    if substrate not in PAIR_SUBSTRATES:
        msg = f"substrate: {substrate!r} not allowed; choose one of {sorted(PAIR_SUBSTRATES)}"
        raise ConfigurationError(msg)
    a_a = PAIR_SUBSTRATES[substrate]
    if substrate == "Cu":
        slab = fcc111("Cu", size=(*lateral_size, n_layers), a=a_a, vacuum=vacuum_a / 2)
        slab.set_constraint(FixAtoms(indices=[a.index for a in slab if a.tag == n_layers]))
        slab.info["lateral_size"] = list(lateral_size)
        return slab
    from lithiophilic.structures.oriented_sqs import make_oriented_sqs
    from lithiophilic.structures.slabs import make_slab_from_oriented_bulk

    bulk = make_oriented_sqs(
        {"Cu": 0.64, "Zn": 0.36},
        (1, 1, 1),
        a_a=a_a,
        n_layers=n_layers,
        lateral_size=lateral_size,
        seed=seed,
    )
    slab = make_slab_from_oriented_bulk(bulk, vacuum_a=vacuum_a, n_fixed_layers=1, fix="bottom")
    slab.info["lateral_size"] = list(lateral_size)
    return slab


def _planes(z: np.ndarray, tol_a: float = 0.5) -> list[np.ndarray]:
    """Atom indices per atomic plane, top plane first."""
    order = np.argsort(-z)
    planes: list[list[int]] = []
    for i in order:
        if planes and abs(z[planes[-1][0]] - z[i]) < tol_a:
            planes[-1].append(int(i))
        else:
            planes.append([int(i)])
    return [np.array(p) for p in planes]


def fcc_hollow_xy(slab: Atoms, offsets: Mapping[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """Return the lateral positions (Å) of the fcc hollows at ``offsets`` (surface cells).

    The reference hollow lies above the third plane from the top, at the atom of that plane
    nearest the cell centre; the offsets step along the surface primitive vectors
    (``cell[k] / lateral_size[k]``).

    Raises
    ------
    ConfigurationError
        If the slab has fewer than three planes.
    """
    planes = _planes(slab.positions[:, 2])
    if len(planes) < 3:
        msg = f"slab: an fcc hollow needs >= 3 atomic planes, this slab has {len(planes)}"
        raise ConfigurationError(msg)
    n1, n2 = slab.info.get("lateral_size", (1, 1))
    v1, v2 = np.asarray(slab.cell[0]) / n1, np.asarray(slab.cell[1]) / n2
    centre = 0.5 * (np.asarray(slab.cell[0]) + np.asarray(slab.cell[1]))
    third = slab.positions[planes[2]]
    ref = third[np.argmin(np.linalg.norm(third[:, :2] - centre[:2], axis=1))]
    return {k: (ref + m * v1 + n * v2)[:2] for k, (m, n) in offsets.items()}


def _relax(atoms: Atoms, calc: Calculator, fmax: float, steps: int) -> tuple[Atoms, bool, int]:
    from ase.optimize import BFGS

    a = atoms.copy()
    a.calc = calc
    opt = BFGS(a, logfile=None)
    converged = bool(opt.run(fmax=fmax, steps=steps))
    return a, converged, int(opt.nsteps)


def _with_li(slab: Atoms, xy: Sequence[np.ndarray], *, hold_lateral: bool) -> Atoms:
    """``slab`` plus Li above ``xy``; with ``hold_lateral`` the Li relax along z only."""
    from ase import Atom
    from ase.constraints import FixCartesian

    a = slab.copy()
    z = float(slab.positions[:, 2].max()) + LI_HEIGHT_A
    for p in xy:
        a.append(Atom("Li", (float(p[0]), float(p[1]), z)))
    if hold_lateral:
        li = list(range(len(slab), len(a)))
        a.set_constraint([*a.constraints, FixCartesian(li, mask=(True, True, False))])
    return a


def _lateral_shift_a(atoms: Atoms, start_xy: Sequence[np.ndarray]) -> float:
    """Largest minimum-image lateral displacement (Å) of the Li from their start hollows."""
    li = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Li"]
    cell2 = np.asarray(atoms.cell[:2, :2])
    worst = 0.0
    for i, p in zip(li, start_xy, strict=True):
        worst = max(worst, _min_image_a(cell2, atoms.positions[i, :2] - p))
    return worst


def _min_image_a(cell2: np.ndarray, d: np.ndarray) -> float:
    """Minimum-image length (Å) of the lateral vector ``d`` in the (oblique) 2D cell ``cell2``."""
    frac = np.linalg.solve(cell2.T, np.asarray(d, dtype=float))
    frac -= np.round(frac)
    shifts = np.array([(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=float)
    return float(np.linalg.norm((frac + shifts) @ cell2, axis=1).min())


def site_resolved_interactions(
    slab: Atoms,
    calc: Calculator,
    *,
    placements: Mapping[str, tuple[str, Sequence[str]]] | None = None,
    fmax_ev_per_a: float = 0.05,
    max_steps: int = 300,
    max_shift_a: float = 1.0,
    hold_lateral: bool = True,
) -> dict[str, Any]:
    """Relax every occupation the placements need and return their interaction energies.

    With ``hold_lateral`` (default) each Li is held laterally on its hollow and relaxes along
    z, the substrate relaxes freely (except its fixed bottom plane): the placement is defined
    for every calculator, also on alloy hollows that a calculator does not hold as a minimum.
    Without it, a Li that leaves its hollow by more than ``max_shift_a`` voids the placement.

    Returns
    -------
    dict
        ``energies_ev`` (occupation "A+B" -> relaxed energy, "" = clean slab), ``relaxations``
        (converged, steps, Li shift in Å), ``placements`` (name -> kind, sites, Li–Li
        distance in Å, ``e_int_ev`` and for three or more Li ``three_body_ev``; ``None`` with a
        ``failure`` when a needed relaxation failed), ``time_s``.
    """
    placements = dict(placements or PAIR_PLACEMENTS)
    t0 = time.perf_counter()
    xy = fcc_hollow_xy(slab, SITE_OFFSETS)
    needed: set[frozenset[str]] = {frozenset()}
    for _, sites in placements.values():
        needed |= {frozenset(sites), *(frozenset([s]) for s in sites)}
        if len(sites) > 2:
            needed |= {frozenset(p) for p in _pairs(sites)}
    clean, ok, n = _relax(slab, calc, fmax_ev_per_a, max_steps)
    relax: dict[str, dict[str, Any]] = {"": {"converged": ok, "steps": n, "li_shift_a": 0.0}}
    energies = {"": float(clean.get_potential_energy())}
    for occ in sorted(needed - {frozenset()}, key=lambda s: (len(s), sorted(s))):
        label = "+".join(sorted(occ))
        start = [xy[s] for s in sorted(occ)]
        atoms, ok, n = _relax(
            _with_li(clean, start, hold_lateral=hold_lateral), calc, fmax_ev_per_a, max_steps
        )
        shift = _lateral_shift_a(atoms, start)
        relax[label] = {"converged": ok, "steps": n, "li_shift_a": round(shift, 3)}
        energies[label] = float(atoms.get_potential_energy())
        logger.info("%s: %.4f eV (%d steps, shift %.2f Å)", label, energies[label], n, shift)
    good = {k for k, r in relax.items() if r["converged"] and r["li_shift_a"] <= max_shift_a}
    table = energy_table((k.split("+") if k else (), e) for k, e in energies.items() if k in good)
    out_placements = {}
    for name, (kind, sites) in placements.items():
        row: dict[str, Any] = {"kind": kind, "sites": list(sites)}
        row["li_li_distance_a"] = _distance_a(slab, xy[sites[0]], xy[sites[1]])
        bad = sorted(k for k in _labels_needed(sites) if k not in good)
        if bad:
            row["e_int_ev"] = None
            row["failure"] = f"not converged or Li left its hollow: {bad}"
        else:
            row["e_int_ev"] = cluster_interaction_energy_ev(table, sites)
            if len(sites) > 2:
                row["three_body_ev"] = many_body_term_ev(table, sites)
        out_placements[name] = row
    return {
        "energies_ev": energies,
        "relaxations": relax,
        "placements": out_placements,
        "time_s": round(time.perf_counter() - t0, 1),
    }


def _pairs(sites: Sequence[str]) -> list[tuple[str, str]]:
    s = list(sites)
    return [(s[i], s[j]) for i in range(len(s)) for j in range(i + 1, len(s))]


def _labels_needed(sites: Sequence[str]) -> set[str]:
    labels = {"", "+".join(sorted(sites)), *sites}
    if len(sites) > 2:
        labels |= {"+".join(sorted(p)) for p in _pairs(sites)}
    return labels


def _distance_a(slab: Atoms, p: np.ndarray, q: np.ndarray) -> float:
    return round(_min_image_a(np.asarray(slab.cell[:2, :2]), np.asarray(q) - np.asarray(p)), 3)


def compare_pair_interactions(
    model: Calculator,
    teacher: Calculator | Mapping[str, dict[str, Any]],
    *,
    substrates: Sequence[str] = tuple(PAIR_SUBSTRATES),
    seed: int = 0,
    fmax_ev_per_a: float = 0.05,
    placements: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return the site-resolved interactions of ``model`` and ``teacher`` and their errors.

    Parameters
    ----------
    model, teacher
        Calculators; ``teacher`` may instead be a finished teacher result per substrate (the
        ``teacher`` entries of an earlier comparison with the same slabs), reused as is.
    substrates
        Any of :data:`PAIR_SUBSTRATES`.
    seed
        Seed of the alloy SQS.
    fmax_ev_per_a
        Relaxation threshold, eV/Å.
    placements
        Names of :data:`PAIR_PLACEMENTS` to compute (``None``: all).

    Returns
    -------
    dict
        ``definition``, per substrate ``teacher``/``model`` (see
        :func:`site_resolved_interactions`) and ``errors_ev`` (placement -> model − teacher),
        ``max_abs_error_ev`` per substrate and overall.
    """
    bad = sorted(set(placements or ()) - set(PAIR_PLACEMENTS))
    if bad:
        msg = f"placements: {bad} not allowed; choose from {sorted(PAIR_PLACEMENTS)}"
        raise ConfigurationError(msg)
    chosen = {k: v for k, v in PAIR_PLACEMENTS.items() if placements is None or k in placements}
    out: dict[str, Any] = {
        "definition": PAIR_INTERACTION_DEFINITION,
        "placements": {k: {"kind": v[0], "sites": list(v[1])} for k, v in chosen.items()},
        "site_offsets_surface_cells": {k: list(v) for k, v in SITE_OFFSETS.items()},
        "slab": "5x5x3 (111), bottom plane fixed; Cu a = 3.62 Å, Cu0.64Zn0.36 SQS a = 3.69 Å",
        "relaxation": "substrate relaxed (bottom plane fixed), Li held on their hollows "
        "laterally and relaxed along z, BFGS to fmax",
        "fmax_ev_per_a": fmax_ev_per_a,
        "seed": seed,
        "substrates": {},
    }
    worst_all = 0.0
    for substrate in substrates:
        slab = pair_substrate(substrate, seed=seed)  # type: ignore[arg-type]
        if isinstance(teacher, Mapping):
            t = teacher[substrate]
        else:
            t = site_resolved_interactions(
                slab, teacher, placements=chosen, fmax_ev_per_a=fmax_ev_per_a
            )
        m = site_resolved_interactions(slab, model, placements=chosen, fmax_ev_per_a=fmax_ev_per_a)
        errors = {}
        for name in chosen:
            for key in ("e_int_ev", "three_body_ev"):
                tv, mv = t["placements"][name].get(key), m["placements"][name].get(key)
                if tv is not None and mv is not None:
                    errors[name if key == "e_int_ev" else f"{name}_three_body"] = mv - tv
        worst = max((abs(v) for v in errors.values()), default=float("nan"))
        worst_all = max(worst_all, worst) if errors else worst_all
        out["substrates"][substrate] = {
            "formula": slab.get_chemical_formula(),
            "teacher": t,
            "model": m,
            "errors_ev": errors,
            "max_abs_error_ev": worst,
        }
    out["max_abs_error_ev"] = worst_all
    return out
