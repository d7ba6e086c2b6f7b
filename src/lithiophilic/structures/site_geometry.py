"""Slab-surface geometry of adsorption sites: in-plane periodicity and site classification.

Helpers of :mod:`lithiophilic.structures.sites` (which re-exports every name here), for slabs
with ``a`` and ``b`` in the xy plane and ``c`` along +z:

* 2D lattice tools: :func:`check_surface_cell`, :func:`gauss_reduce_2d`,
  :func:`shortest_inplane_vector_a`, :func:`inplane_mic` (minimum-image in-plane vectors),
  :func:`inplane_image_shifts`, :func:`surface_atom_mask`;
* site classification: :func:`classify_position` decides the kind of a candidate position
  (ontop, bridge, fcc, hcp, hollow3, hollow4, other; the table is in the docstring of
  :mod:`lithiophilic.structures.sites`) from its surface neighbours and the atoms below it;
  :func:`z_preserving_ops` and :func:`symmetry_orbits` group candidates into orbits of the
  slab's symmetry operations that keep the surface normal;
* where an adsorbate ended up in 3D: :func:`adsorbate_environment` (neighbour distances over
  the sum of covalent radii, height above the *local* surface).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "LOCAL_SURFACE_RADIUS_A",
    "MAX_NEIGHBOR_RATIO",
    "SAME_POSITION_TOL_A",
    "SiteCandidate",
    "adsorbate_environment",
    "check_surface_cell",
    "classify_position",
    "gauss_reduce_2d",
    "inplane_image_shifts",
    "inplane_mic",
    "shortest_inplane_vector_a",
    "surface_atom_mask",
    "symmetry_orbits",
    "z_preserving_ops",
]

#: Largest in-plane distance (Å) of an atom counted as "directly below" a site.
_BELOW_TOL_A = 0.5
#: Largest in-plane distance (Å) of an ontop site from its atom.
_ONTOP_TOL_A = 0.3
#: In-plane distance (Å) under which two sites are the same position.
SAME_POSITION_TOL_A = 0.1
#: Lateral radius (Å) of the *local* surface under an adsorbate (see :func:`adsorbate_environment`).
LOCAL_SURFACE_RADIUS_A = 3.5
#: Neighbours are listed up to this multiple of the sum of covalent radii.
MAX_NEIGHBOR_RATIO = 1.5


# --------------------------------------------------------------------------- 2D helpers


def check_surface_cell(slab: Atoms, name: str = "slab") -> None:
    """Raise ConfigurationError unless ``a``, ``b`` lie in the xy plane and ``c`` has a z part."""
    cell = np.asarray(slab.cell, dtype=float)
    if slab.cell.rank != 3 or abs(cell[0, 2]) > 1e-6 or abs(cell[1, 2]) > 1e-6 or cell[2, 2] <= 0:
        msg = (
            f"{name}: the cell must have a and b in the xy plane and c pointing up (+z), as made "
            f"by make_slabs; got cell {np.round(cell, 4).tolist()}"
        )
        raise ConfigurationError(msg)
    if len(slab) == 0:
        msg = f"{name} has no atoms"
        raise ConfigurationError(msg)


def gauss_reduce_2d(basis: np.ndarray) -> np.ndarray:
    """Lagrange–Gauss reduction of a 2D lattice basis (rows); the first row is the shortest."""
    u, v = np.array(basis[0], dtype=float), np.array(basis[1], dtype=float)
    if u @ u > v @ v:
        u, v = v, u
    for _ in range(1000):
        mu = round(float(u @ v) / float(u @ u))
        w = v - mu * u
        if mu == 0 or w @ w >= v @ v - 1e-12:
            break
        v = w
        if u @ u > v @ v:
            u, v = v, u
    return np.array([u, v])


def shortest_inplane_vector_a(cell2d: np.ndarray) -> float:
    """Length (Å) of the shortest nonzero vector of the 2D lattice spanned by the rows."""
    reduced = gauss_reduce_2d(np.asarray(cell2d, dtype=float)[:2, :2])
    return float(np.linalg.norm(reduced[0]))


def inplane_mic(vectors: np.ndarray, cell2d: np.ndarray) -> np.ndarray:
    """Minimum-image versions of in-plane (x, y) difference vectors for a 2D cell (rows)."""
    vec = np.atleast_2d(np.asarray(vectors, dtype=float))
    cell2d = np.asarray(cell2d, dtype=float)[:2, :2]
    reduced = gauss_reduce_2d(cell2d)
    frac = np.linalg.solve(reduced.T, vec.T).T
    frac -= np.round(frac)
    base = frac @ reduced
    best = base.copy()
    best_d = np.linalg.norm(base, axis=1)
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            cand = base + i * reduced[0] + j * reduced[1]
            d = np.linalg.norm(cand, axis=1)
            better = d < best_d - 1e-12
            best[better] = cand[better]
            best_d[better] = d[better]
    return best


def inplane_image_shifts(cell2d: np.ndarray, radius_a: float) -> np.ndarray:
    """In-plane lattice translations (x, y) that may bring an image within ``radius_a``."""
    a, b = cell2d[0], cell2d[1]
    area = abs(a[0] * b[1] - a[1] * b[0])
    na = math.ceil(radius_a / (area / np.linalg.norm(b))) + 1
    nb = math.ceil(radius_a / (area / np.linalg.norm(a))) + 1
    return np.array([i * a + j * b for i in range(-na, na + 1) for j in range(-nb, nb + 1)])


def surface_atom_mask(slab: Atoms, surface_height_a: float = 0.9) -> np.ndarray:
    """Atoms within ``surface_height_a`` of the highest atom (AdsorbateSiteFinder's criterion)."""
    z = slab.positions[:, 2]
    return z >= z.max() - surface_height_a


# --------------------------------------------------------------------------- classification


@dataclass
class SiteCandidate:
    """A candidate site: in-plane position, kind, defining atoms and the atom below it."""

    xy: np.ndarray
    kind: str
    neighbor_indices: tuple[int, ...]
    below: int | None


def classify_position(
    xy: np.ndarray,
    slab: Atoms,
    surface_idx: np.ndarray,
    sub_planes: list[np.ndarray],
    neighbor_tol_a: float,
) -> SiteCandidate:
    """Decide the kind of the site at in-plane position ``xy``.

    The kinds are defined in the docstring of :mod:`lithiophilic.structures.sites`;
    ``sub_planes`` holds the indices of the first and second planes below the surface atoms.
    """
    cell2d = np.asarray(slab.cell, dtype=float)[:2, :2]
    pos = slab.positions
    # All periodic images matter: in a 1×1 cell the two atoms of a bridge are one atom.
    d_mic = np.linalg.norm(inplane_mic(pos[surface_idx, :2] - xy, cell2d), axis=1)
    shifts = inplane_image_shifts(cell2d, float(d_mic.min()) + neighbor_tol_a)
    diff = pos[surface_idx, :2][None, :, :] + shifts[:, None, :] - xy
    d_all = np.linalg.norm(diff, axis=2).ravel()
    owner = np.tile(surface_idx, len(shifts))
    d_min = float(d_all.min())
    close = np.flatnonzero(d_all <= d_min + neighbor_tol_a)
    neighbors = tuple(int(owner[i]) for i in close[np.argsort(d_all[close], kind="stable")])
    n = len(neighbors)
    below: int | None = None
    plane_of_below: int | None = None
    for rank, idx in enumerate(sub_planes):
        if len(idx) == 0:
            continue
        d = np.linalg.norm(inplane_mic(pos[idx, :2] - xy, cell2d), axis=1)
        if d.min() < _BELOW_TOL_A:
            below = int(idx[int(np.argmin(d))])
            plane_of_below = rank
            break
    if n == 1 and d_min < _ONTOP_TOL_A:
        kind = "ontop"
        below = None
    elif n == 2:
        kind = "bridge"
        below = None
    elif n == 3:
        if plane_of_below == 0:
            kind = "hcp"
        elif plane_of_below == 1:
            kind = "fcc"
        else:
            kind, below = "hollow3", None
    elif n == 4:
        kind = "hollow4"
        if plane_of_below != 0:
            below = None
    else:
        kind = "other"
        below = None
    return SiteCandidate(
        xy=np.asarray(xy, float), kind=kind, neighbor_indices=neighbors, below=below
    )


def z_preserving_ops(slab: Atoms, symprec: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fractional symmetry operations (R, t) of the slab that keep the surface normal."""
    import spglib

    cell = (
        np.asarray(slab.cell).tolist(),
        slab.get_scaled_positions().tolist(),
        slab.numbers.tolist(),
    )
    sym = spglib.get_symmetry(cell, symprec=symprec)
    if sym is None:
        return [(np.eye(3, dtype=int), np.zeros(3))]
    ops = []
    for rot, trans in zip(sym["rotations"], sym["translations"], strict=True):
        if rot[2, 2] == 1 and rot[2, 0] == 0 and rot[2, 1] == 0:
            tz = trans[2] - round(trans[2])
            if abs(tz) * slab.cell[2, 2] < symprec:
                ops.append((np.asarray(rot), np.asarray(trans, float)))
    return ops


def symmetry_orbits(
    candidates: list[SiteCandidate], slab: Atoms, ops: list[tuple[np.ndarray, np.ndarray]]
) -> list[list[int]]:
    """Group candidate indices into symmetry orbits (in-plane positions, periodic)."""
    cell = np.asarray(slab.cell, dtype=float)
    cell2d = cell[:2, :2]
    xy = np.array([c.xy for c in candidates])
    frac = np.linalg.solve(cell2d.T, xy.T).T
    assigned = np.full(len(candidates), -1)
    orbits: list[list[int]] = []
    for i in range(len(candidates)):
        if assigned[i] >= 0:
            continue
        members = {i}
        f3 = np.array([frac[i, 0], frac[i, 1], 0.0])
        for rot, trans in ops:
            g = rot @ f3 + trans
            img_xy = g[:2] @ cell2d
            d = np.linalg.norm(inplane_mic(xy - img_xy, cell2d), axis=1)
            for j in np.flatnonzero(d < SAME_POSITION_TOL_A):
                if assigned[j] < 0 and candidates[j].kind == candidates[i].kind:
                    members.add(int(j))
        ordered = sorted(members)
        for k in ordered:
            assigned[k] = len(orbits)
        orbits.append(ordered)
    return orbits


# --------------------------------------------------------------------------- 3D environment


def adsorbate_environment(
    relaxed: Atoms,
    adsorbate_index: int,
    *,
    local_radius_a: float = LOCAL_SURFACE_RADIUS_A,
    max_ratio: float = MAX_NEIGHBOR_RATIO,
) -> dict[str, Any]:
    """Describe where an adsorbate sits in 3D: its neighbours and its height above the local surface.

    Neighbour distances are measured with periodic images (minimum image) and divided by the
    sum of the covalent radii (``ase.data.covalent_radii``: Li 1.28, Cu 1.32, Zn 1.22 Å); the
    coordination number at a factor ``f`` is the number of ratios ``<= f``. The *local surface*
    is the highest substrate atom within ``local_radius_a`` of the adsorbate in the plane; on
    a flat fcc(111) surface it is the top layer, in a pocket of a corrugated surface it is the
    pocket's rim, so a Li sunk into a pocket has a small or negative local height even when its
    height above the mean top layer looks like adsorption.

    Parameters
    ----------
    relaxed
        Slab + adsorbate (``a``, ``b`` in the xy plane).
    adsorbate_index
        Index of the adsorbate.
    local_radius_a
        Lateral radius of the local surface, Å.
    max_ratio
        Neighbours up to this distance / (r_ads + r_X) are listed.

    Returns
    -------
    dict
        ``neighbor_distance_ratios`` (ascending, <= ``max_ratio``), ``neighbor_distances_a``,
        ``neighbor_symbols`` (same order), ``local_height_a`` (adsorbate z minus the highest
        substrate z within ``local_radius_a`` laterally; if none, the highest substrate atom),
        ``local_radius_a``.

    Raises
    ------
    ConfigurationError
        For an index out of range or a cell that is not a slab cell.
    """
    from ase.data import covalent_radii
    from ase.geometry import get_distances

    n = len(relaxed)
    if not isinstance(adsorbate_index, int | np.integer) or not -n <= adsorbate_index < n:
        msg = f"adsorbate_index={adsorbate_index!r} is out of range for {n} atoms"
        raise ConfigurationError(msg)
    check_surface_cell(relaxed, "relaxed")
    index = int(adsorbate_index) % n
    others = np.array([i for i in range(n) if i != index], dtype=int)
    pos = relaxed.positions
    ads = pos[index]
    _, dist = get_distances([ads], pos[others], cell=relaxed.cell, pbc=True)
    dist = dist.ravel()
    radii = covalent_radii[relaxed.numbers[index]] + covalent_radii[relaxed.numbers[others]]
    ratio = dist / radii
    keep = np.flatnonzero(ratio <= max_ratio)
    keep = keep[np.argsort(ratio[keep], kind="stable")]
    symbols = relaxed.get_chemical_symbols()
    cell2d = np.asarray(relaxed.cell, dtype=float)[:2, :2]
    lateral = np.linalg.norm(inplane_mic(pos[others, :2] - ads[:2], cell2d), axis=1)
    near = lateral <= local_radius_a
    z_local = float(pos[others[near], 2].max()) if near.any() else float(pos[others, 2].max())
    return {
        "neighbor_distance_ratios": [float(x) for x in ratio[keep]],
        "neighbor_distances_a": [float(x) for x in dist[keep]],
        "neighbor_symbols": [symbols[int(others[i])] for i in keep],
        "local_height_a": float(ads[2] - z_local),
        "local_radius_a": float(local_radius_a),
    }
