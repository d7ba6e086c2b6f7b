"""Helpers for slab construction: plane clustering, face symmetry, tagging, matching (private)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import (
    DEFAULT_LAYER_TOL_A,
    cluster_heights,
    element_counts,
    to_builtin,
)

if TYPE_CHECKING:
    from ase import Atoms

logger = logging.getLogger(__name__)


def surface_area_a2(atoms: Atoms) -> float:
    """Return the in-plane area ``|a × b|`` of a slab cell in Å²."""
    return float(np.linalg.norm(np.cross(atoms.cell[0], atoms.cell[1])))


def _normal(atoms: Atoms) -> np.ndarray:
    n = np.cross(atoms.cell[0], atoms.cell[1])
    return n / np.linalg.norm(n)


def layer_indices(atoms: Atoms, tol_a: float = DEFAULT_LAYER_TOL_A) -> np.ndarray:
    """Group the atoms of a slab into atomic planes along the surface normal (``a × b``).

    The slab must not cross the periodic boundary along ``c`` (true for slabs made here).

    Parameters
    ----------
    atoms
        Slab.
    tol_a
        Largest height difference (Å) between neighbouring atoms of one plane.

    Returns
    -------
    numpy.ndarray
        Plane index per atom, 0 for the bottom plane.
    """
    return cluster_heights(atoms.positions @ _normal(atoms), tol_a)


def is_symmetric_slab(atoms: Atoms, *, symprec: float = 0.01) -> bool:
    """Whether a symmetry operation of the slab maps its top face onto its bottom face.

    True when spglib finds an operation that reverses the surface normal (inversion, a mirror
    parallel to the surface, a 2-fold axis or -4 axis in the plane, ...).

    Parameters
    ----------
    atoms
        Slab with ``c`` perpendicular to ``a`` and ``b``.
    symprec
        spglib distance tolerance, Å.
    """
    import spglib

    cell = (atoms.cell.tolist(), atoms.get_scaled_positions().tolist(), atoms.numbers.tolist())
    sym = spglib.get_symmetry(cell, symprec=symprec)
    if sym is None:
        return False
    return bool(np.any(np.all(sym["rotations"][:, 2, :] == [0, 0, -1], axis=1)))


def check_fixed(n_fixed_layers: int, n_layers: int, fix: str) -> None:
    if fix not in ("bottom", "center"):
        msg = f"fix={fix!r} is not allowed; use 'bottom' or 'center'"
        raise ConfigurationError(msg)
    if not isinstance(n_fixed_layers, int | np.integer) or n_fixed_layers < 0:
        msg = f"n_fixed_layers={n_fixed_layers!r} must be a non-negative integer"
        raise ConfigurationError(msg)
    top = n_layers - 1 if fix == "bottom" else n_layers - 2
    if n_fixed_layers > top:
        reason = (
            "at least one free layer must remain"
            if fix == "bottom"
            else "each face needs at least one free layer"
        )
        msg = (
            f"n_fixed_layers={n_fixed_layers} is too many for a {n_layers}-layer slab with "
            f"fix={fix!r}: allowed 0..{max(top, 0)} ({reason})"
        )
        raise ConfigurationError(msg)


def finish_slab(
    symbols: Sequence[str],
    positions: np.ndarray,
    v1: np.ndarray,
    v2: np.ndarray,
    *,
    vacuum_a: float,
    n_fixed_layers: int,
    fix: str,
    layer_tol_a: float,
    supercell: tuple[int, int],
    symprec: float,
    info: dict[str, Any],
) -> Atoms:
    """Centre a slab in a cell with orthogonal c, repeat it laterally, tag and constrain it."""
    from ase import Atoms
    from ase.constraints import FixAtoms

    pos = np.array(positions, dtype=float)
    zmin, zmax = pos[:, 2].min(), pos[:, 2].max()
    thickness = float(zmax - zmin)
    pos[:, 2] += vacuum_a / 2.0 - zmin
    cell = np.array([[v1[0], v1[1], 0.0], [v2[0], v2[1], 0.0], [0.0, 0.0, thickness + vacuum_a]])
    slab = Atoms(symbols=list(symbols), positions=pos, cell=cell, pbc=True)
    frac = slab.get_scaled_positions(wrap=False)
    frac[:, :2] -= np.floor(frac[:, :2] + 1e-9)
    slab.set_scaled_positions(frac)
    symmetric = is_symmetric_slab(slab, symprec=symprec)
    n1, n2 = supercell
    if (n1, n2) != (1, 1):
        slab = slab.repeat((n1, n2, 1))
    labels = layer_indices(slab, layer_tol_a)
    order = np.lexsort((slab.positions[:, 1], slab.positions[:, 0], labels))
    slab = slab[order]
    labels = labels[order]
    n_layers = int(labels.max()) + 1
    check_fixed(n_fixed_layers, n_layers, fix)
    slab.set_tags(n_layers - labels)
    if n_fixed_layers:
        start = 0 if fix == "bottom" else (n_layers - n_fixed_layers) // 2
        mask = (labels >= start) & (labels < start + n_fixed_layers)
        slab.set_constraint(FixAtoms(mask=mask))
    bottom = [s for s, lab in zip(slab.get_chemical_symbols(), labels, strict=True) if lab == 0]
    top = [
        s for s, lab in zip(slab.get_chemical_symbols(), labels, strict=True) if lab == n_layers - 1
    ]
    slab.info.update(info)
    slab.info.update(
        {
            "n_layers": n_layers,
            "symmetric": symmetric,
            "area_a2": surface_area_a2(slab),
            "vacuum_a": float(vacuum_a),
            "slab_thickness_a": thickness,
            "n_fixed_layers": int(n_fixed_layers),
            "fix": fix,
            "supercell": [int(n1), int(n2)],
            "layer_tol_a": float(layer_tol_a),
            "element_counts": element_counts(slab),
            "surface_composition": {
                "bottom": {s: bottom.count(s) for s in sorted(set(bottom))},
                "top": {s: top.count(s) for s in sorted(set(top))},
            },
        }
    )
    slab.info = to_builtin(slab.info)  # type: ignore[assignment]
    return slab


def is_stoichiometric(counts: dict[str, int], bulk_counts: dict[str, int]) -> bool:
    if set(counts) != set(bulk_counts):
        return False
    n, n_bulk = sum(counts.values()), sum(bulk_counts.values())
    return all(counts[k] * n_bulk == bulk_counts[k] * n for k in counts)


def planes_per_period(heights: np.ndarray, period_a: float, tol_a: float) -> int:
    z = np.sort(np.mod(heights, period_a))
    gaps = np.diff(np.concatenate([z, [z[0] + period_a]]))
    n = int(np.sum(gaps > tol_a))
    if n == 0:
        msg = (
            f"layer_tol_a={tol_a} Å merges all atoms into one plane (interplanar period "
            f"{period_a:.3f} Å); use a smaller layer_tol_a"
        )
        raise ConfigurationError(msg)
    return n


def bulk_formula(bulk: Atoms) -> str:
    from pymatgen.core import Composition

    return Composition(bulk.get_chemical_formula()).reduced_formula


def as_structure(slab: Atoms) -> Any:
    from pymatgen.core import Lattice, Structure

    return Structure(
        Lattice(np.asarray(slab.cell)),
        slab.get_chemical_symbols(),
        slab.positions,
        coords_are_cartesian=True,
    )


def same_slab(s1: Any, s2: Any) -> bool:
    from pymatgen.analysis.structure_matcher import StructureMatcher

    if len(s1) != len(s2) or s1.composition != s2.composition:
        return False
    if abs(s1.lattice.c - s2.lattice.c) > 1e-3:
        return False
    matcher = StructureMatcher(
        ltol=0.01,
        stol=0.05,
        angle_tol=0.5,
        primitive_cell=False,
        scale=False,
        attempt_supercell=False,
    )
    return bool(matcher.fit(s1, s2))
