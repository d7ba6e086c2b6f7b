"""Starting geometries of Li entering a skin: substitution and interstitials, surface and bulk.

Pure functions on ASE Atoms (the skin screen relaxes what they build):

* :func:`bulk_supercell` — the skin's bulk cell repeated until every perpendicular width is at
  least ``min_width_a`` (dilute Li, one defect per supercell);
* :func:`substitution_starts` — one skin atom of the outermost (1) or subsurface (2) plane of
  a slab replaced by Li, one start per plane and element (the atom nearest the cell centre);
* :func:`subsurface_interstitial_start` — a Li between planes 1 and 2, at the in-plane point
  farthest from every atom of both planes (the octahedral hole on fcc(111)/hcp(0001)), at
  their mid-height.

Planes are counted from the top (+z) face, 1 = outermost, on the relaxed slab with
:data:`PLANE_TOL_A`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import cluster_heights

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "DILUTE_MIN_WIDTH_A",
    "PLANE_TOL_A",
    "bulk_supercell",
    "depth_below_outermost_plane_a",
    "planes_from_top",
    "substitution_starts",
    "subsurface_interstitial_start",
]

#: Smallest perpendicular width of the dilute-Li bulk supercell, Å.
DILUTE_MIN_WIDTH_A = 8.0
#: Largest height gap (Å) inside one plane of a relaxed slab.
PLANE_TOL_A = 0.5
_GRID = 36


def bulk_supercell(atoms: Atoms, *, min_width_a: float = DILUTE_MIN_WIDTH_A) -> Atoms:
    """Return ``atoms`` repeated so that each perpendicular cell width is >= ``min_width_a``.

    Raises
    ------
    ConfigurationError
        If ``min_width_a`` is not positive or the cell is not 3D periodic.
    """
    if not (math.isfinite(min_width_a) and min_width_a > 0):
        msg = f"min_width_a: {min_width_a!r} must be a positive distance in Å"
        raise ConfigurationError(msg)
    cell = np.asarray(atoms.cell, dtype=float)
    volume = abs(float(np.linalg.det(cell)))
    if not all(atoms.pbc) or volume < 1e-6:
        msg = "atoms: the bulk cell must be periodic in three dimensions"
        raise ConfigurationError(msg)
    reps = []
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        width = volume / float(np.linalg.norm(np.cross(cell[j], cell[k])))
        reps.append(max(1, math.ceil(min_width_a / width - 1e-9)))
    sup = atoms.repeat(tuple(reps))
    sup.info = {**atoms.info, "supercell": reps}
    return sup


def planes_from_top(slab: Atoms, *, tol_a: float = PLANE_TOL_A) -> list[list[int]]:
    """Return the atom indices of each plane, outermost (+z) first."""
    labels = cluster_heights(slab.positions[:, 2], tol_a)
    top = int(labels.max())
    return [[int(i) for i in np.flatnonzero(labels == p)] for p in range(top, -1, -1)]


def depth_below_outermost_plane_a(
    atoms: Atoms, li_index: int, *, tol_a: float = PLANE_TOL_A
) -> float:
    """Return how far a Li sits below the mean height of the outermost plane of the host, Å.

    The planes are those of the atoms other than Li; positive = below the outermost plane
    (inside the skin), negative = above it (on the surface).
    """
    host = [a.index for a in atoms if a.symbol != "Li"]
    heights = atoms.positions[host, 2]
    labels = cluster_heights(heights, tol_a)
    top = float(heights[labels == labels.max()].mean())
    return top - float(atoms.positions[li_index, 2])


def _lateral_centre(slab: Atoms) -> np.ndarray:
    cell = np.asarray(slab.cell, dtype=float)
    return 0.5 * (cell[0] + cell[1])[:2]


def _lateral_distances(slab: Atoms, point_xy: np.ndarray, indices: list[int]) -> np.ndarray:
    """In-plane distances from ``point_xy`` to ``indices`` under the in-plane periodicity."""
    cell2 = np.asarray(slab.cell, dtype=float)[:2, :2]
    delta = slab.positions[indices, :2] - point_xy
    frac = np.linalg.solve(cell2.T, delta.T).T
    frac -= np.round(frac)
    best = np.full(len(indices), np.inf)
    for s1 in (-1, 0, 1):
        for s2 in (-1, 0, 1):
            vec = (frac + np.array([s1, s2])) @ cell2
            best = np.minimum(best, np.linalg.norm(vec, axis=1))
    return best


def substitution_starts(slab: Atoms, planes: tuple[int, ...] = (1, 2)) -> list[dict[str, Any]]:
    """Return slabs with one skin atom of plane 1 / plane 2 replaced by Li (one per element).

    Returns
    -------
    list of dict
        ``{"plane": n, "element": X, "index": i, "atoms": Atoms}``; the atom is the one of its
        element and plane nearest the lateral centre of the cell (all equivalent on an
        element; one representative per element on an alloy).

    Raises
    ------
    ConfigurationError
        If the slab has fewer planes than asked for.
    """
    layers = planes_from_top(slab)
    if len(layers) < max(planes) + 1:
        msg = f"slab: {len(layers)} planes; substitution in plane {max(planes)} needs more"
        raise ConfigurationError(msg)
    centre = _lateral_centre(slab)
    starts = []
    for plane in planes:
        members = layers[plane - 1]
        for element in sorted({slab[i].symbol for i in members}):
            chosen = [i for i in members if slab[i].symbol == element]
            d = _lateral_distances(slab, centre, chosen)
            index = chosen[int(np.argmin(d))]
            atoms = slab.copy()
            atoms[index].symbol = "Li"
            starts.append({"plane": plane, "element": element, "index": index, "atoms": atoms})
    return starts


def subsurface_interstitial_start(slab: Atoms) -> tuple[Atoms, dict[str, float]]:
    """Return the slab with a Li between planes 1 and 2, in the most open in-plane point.

    The in-plane point maximises the smallest lateral distance to the atoms of planes 1 and 2
    (a 36×36 grid over the cell, the first maximum in grid order: deterministic); the height is
    the mid-point of the two planes' mean heights.

    Returns
    -------
    tuple
        (Atoms with the Li appended last, ``{"lateral_clearance_a", "height_a"}``).

    Raises
    ------
    ConfigurationError
        If the slab has fewer than three planes.
    """
    layers = planes_from_top(slab)
    if len(layers) < 3:
        msg = f"slab: {len(layers)} planes; a subsurface interstitial needs at least 3"
        raise ConfigurationError(msg)
    both = layers[0] + layers[1]
    cell2 = np.asarray(slab.cell, dtype=float)[:2, :2]
    best_xy, best_d = np.zeros(2), -1.0
    for u in range(_GRID):
        for v in range(_GRID):
            xy = np.array([u / _GRID, v / _GRID]) @ cell2
            d = float(_lateral_distances(slab, xy, both).min())
            if d > best_d + 1e-6:
                best_xy, best_d = xy, d
    z = 0.5 * (slab.positions[layers[0], 2].mean() + slab.positions[layers[1], 2].mean())
    atoms = slab.copy()
    atoms.append("Li")
    atoms.positions[-1] = [best_xy[0], best_xy[1], z]
    return atoms, {"lateral_clearance_a": best_d, "height_a": float(z)}
