"""Lattice geometry of ideal Li overlayers (helpers of :mod:`lithiophilic.structures.li_layers`).

Pseudomorphic construction: :func:`check_111` (an fcc(111) top plane) and
:func:`stacking_vector` (top atom -> fcc hollow). bcc110 construction: :func:`search_bcc110`
(smallest supercell of the slab cell holding a strained Li(110) lattice, via
:func:`hnf_2d` and :func:`match_bcc110`), :func:`repeat_slab`, :func:`lattice_points_in_cell`
and :func:`best_registry` (in-plane offset of the first layer).
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import copy_atoms
from lithiophilic.structures.site_geometry import gauss_reduce_2d, inplane_image_shifts, inplane_mic

if TYPE_CHECKING:
    from ase import Atoms

#: Registry scan: grid points per Li lattice vector.
REGISTRY_GRID = 24

#: In-plane vectors per block of the registry scan (bounds its memory, ~16 B each).
_REGISTRY_BLOCK_VECTORS = 500_000


def hnf_2d(n: int) -> list[np.ndarray]:
    """All 2×2 lower-triangular Hermite normal forms of determinant ``n`` (row sublattices)."""
    out = []
    for a in range(1, n + 1):
        if n % a:
            continue
        c = n // a
        for b in range(c):
            out.append(np.array([[a, 0], [b, c]]))
    return out


def nn_distances(points: np.ndarray, cell2d: np.ndarray) -> np.ndarray:
    """Shortest in-plane distance from each point to another point or a periodic image."""
    diffs = points[None, :, :] - points[:, None, :]
    shifts = inplane_image_shifts(cell2d, float(np.linalg.norm(cell2d, axis=1).max()))
    best = np.full(len(points), np.inf)
    for shift in shifts:
        d = np.linalg.norm(diffs + shift, axis=2)
        if not np.any(shift):
            np.fill_diagonal(d, np.inf)
        best = np.minimum(best, d.min(axis=1))
    return best


def neighbor_counts(points: np.ndarray, cell2d: np.ndarray, radius_a: float) -> np.ndarray:
    """Count the in-plane neighbours (images included) within ``radius_a`` of each point."""
    diffs = points[None, :, :] - points[:, None, :]
    counts = np.zeros(len(points), dtype=int)
    for shift in inplane_image_shifts(cell2d, radius_a):
        d = np.linalg.norm(diffs + shift, axis=2)
        if not np.any(shift):
            np.fill_diagonal(d, np.inf)
        counts += (d < radius_a).sum(axis=1)
    return counts


def check_111(slab: Atoms, top: np.ndarray, cell2d: np.ndarray, d_sub: float) -> None:
    """Raise ConfigurationError unless the top plane is close-packed fcc(111) (six neighbours)."""
    miller = slab.info.get("miller")
    if miller is not None:
        hkl = [abs(int(v)) for v in miller]
        if not (len(hkl) == 3 and hkl[0] > 0 and hkl[0] == hkl[1] == hkl[2]):
            msg = (
                f"construction='pseudomorphic' needs an fcc(111) slab; this slab has "
                f"miller={list(miller)} (allowed: (1, 1, 1) and its equivalents); use "
                "construction='bcc110' for other facets"
            )
            raise ConfigurationError(msg)
    counts = neighbor_counts(slab.positions[top, :2], cell2d, 1.15 * d_sub)
    if not np.all(counts == 6):
        msg = (
            "construction='pseudomorphic' needs a close-packed (111) top plane with six in-plane "
            f"neighbours per atom; found {sorted(set(counts.tolist()))} neighbours"
        )
        raise ConfigurationError(msg)


def stacking_vector(slab: Atoms, top: np.ndarray, second: np.ndarray, d_sub: float) -> np.ndarray:
    """In-plane vector from a top-plane atom to the fcc hollow next to it (averaged)."""
    cell2d = np.asarray(slab.cell, dtype=float)[:2, :2]
    pos = slab.positions
    ref: np.ndarray | None = None
    vectors = []
    for i in top:
        u = inplane_mic(pos[second, :2] - pos[i, :2], cell2d)
        if ref is None:
            ref = u[int(np.argmin(np.linalg.norm(u, axis=1)))]
        vectors.append(u[int(np.argmin(np.linalg.norm(u - ref, axis=1)))])
    s = -np.mean(vectors, axis=0)
    r = d_sub / math.sqrt(3.0)
    if abs(np.linalg.norm(s) - r) > 0.2 * r:
        msg = (
            "construction='pseudomorphic': the two top planes are not fcc(111)-stacked (the "
            f"second-plane atoms are {np.linalg.norm(s):.2f} Å from below a top atom in-plane, "
            f"expected {r:.2f} Å)"
        )
        raise ConfigurationError(msg)
    return s


def match_bcc110(lattice: np.ndarray, ideal: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Best correspondence of a 2D lattice with the ideal Li(110) basis.

    Returns the largest |principal strain|, the principal strains and the matched basis (rows,
    corresponding to the ideal rows).
    """
    red = gauss_reduce_2d(lattice)
    options: list[tuple[float, int, np.ndarray, np.ndarray]] = []
    for first, second in ((0, 1), (1, 0)):
        for s1 in (1.0, -1.0):
            for s2 in (1.0, -1.0):
                basis = np.array([s1 * red[first], s2 * red[second]])
                m = np.linalg.solve(ideal, basis)
                strains = np.linalg.svd(m, compute_uv=False) - 1.0
                options.append(
                    (float(np.max(np.abs(strains))), len(options), np.sort(strains), basis)
                )
    worst, _, strains, basis = min(options, key=lambda o: (o[0], o[1]))
    return worst, strains, basis


#: Results of :func:`search_bcc110` made in this process, by their inputs (a layer series
#: searches the same slab cell once per layer count).
_SEARCH_MEMO: dict[tuple[Any, ...], dict[str, Any]] = {}
_SEARCH_MEMO_SIZE = 64


def search_bcc110(
    cell2d: np.ndarray, d_li: float, a_li: float, max_strain: float, max_cells: int
) -> dict[str, Any]:
    """Smallest supercell of ``cell2d`` in which a strained Li(110) lattice fits.

    The same inputs give the same answer; it is remembered in this process (a copy is
    returned), since the search takes ~0.4 s and a Li layer series repeats it per layer.
    """
    cell2d = np.ascontiguousarray(cell2d, dtype=float)
    key = (cell2d.tobytes(), float(d_li), float(a_li), float(max_strain), int(max_cells))
    if key not in _SEARCH_MEMO:
        if len(_SEARCH_MEMO) >= _SEARCH_MEMO_SIZE:
            _SEARCH_MEMO.pop(next(iter(_SEARCH_MEMO)))
        _SEARCH_MEMO[key] = _search_bcc110(cell2d, d_li, a_li, max_strain, max_cells)
    return copy.deepcopy(_SEARCH_MEMO[key])


def _search_bcc110(
    cell2d: np.ndarray, d_li: float, a_li: float, max_strain: float, max_cells: int
) -> dict[str, Any]:
    theta = math.acos(-1.0 / 3.0)
    ideal = np.array([[d_li, 0.0], [d_li * math.cos(theta), d_li * math.sin(theta)]])
    area_li = a_li**2 / math.sqrt(2.0)
    area0 = abs(float(np.linalg.det(cell2d)))
    overall: dict[str, Any] | None = None
    for m in range(1, max_cells + 1):
        best_m: dict[str, Any] | None = None
        for hs in hnf_2d(m):
            t = hs @ cell2d
            reduced = gauss_reduce_2d(t)
            if np.linalg.det(reduced) < 0:
                reduced[1] = -reduced[1]
            lengths = np.linalg.norm(reduced, axis=1)
            aniso = abs(math.log(lengths[1] / lengths[0]))
            n_ideal = m * area0 / area_li
            lo = max(1, math.floor(n_ideal / (1 + max_strain) ** 2))
            hi = max(lo, math.ceil(n_ideal / (1 - min(max_strain, 0.5)) ** 2))
            for n in range(lo, hi + 1):
                for hl in hnf_2d(n):
                    worst, strains, basis = match_bcc110(np.linalg.solve(hl, reduced), ideal)
                    key = (round(worst, 6), round(aniso, 6), abs(n - n_ideal))
                    if best_m is None or key < best_m["key"]:
                        best_m = {
                            "key": key,
                            "m": m,
                            "n": n,
                            "cell2d": reduced,
                            "li_basis": basis,
                            "strains": strains,
                            "max_strain": worst,
                        }
        if best_m is None:
            continue
        if overall is None or best_m["max_strain"] < overall["max_strain"]:
            overall = best_m
        if best_m["max_strain"] <= max_strain + 1e-9:
            return best_m
    best_txt = (
        "none"
        if overall is None
        else f"{overall['max_strain']:.3f} with {overall['m']} cell(s) and {overall['n']} Li"
    )
    msg = (
        f"construction='bcc110': no supercell of up to max_cells={max_cells} slab cells holds a "
        f"Li(110) layer with principal strains ≤ max_strain={max_strain} (best: {best_txt}); "
        "raise max_strain or max_cells"
    )
    raise ConfigurationError(msg)


def lattice_points_in_cell(basis: np.ndarray, cell2d: np.ndarray, n: int) -> np.ndarray:
    """Return the ``n`` points of the lattice spanned by ``basis`` inside the cell ``cell2d``."""
    frac_basis = np.linalg.solve(cell2d.T, basis.T).T
    span = int(np.ceil(2 * n)) + 2
    found: list[np.ndarray] = []
    for i in range(-span, span + 1):
        for j in range(-span, span + 1):
            f = i * frac_basis[0] + j * frac_basis[1]
            f = f - np.floor(f + 1e-8)
            if not any(np.allclose(f, g, atol=1e-6) for g in found):
                found.append(f)
            if len(found) == n:
                return np.array(found) @ cell2d
    msg = f"internal: found {len(found)} of {n} Li lattice points in the cell"  # pragma: no cover
    raise ConfigurationError(msg)  # pragma: no cover


def repeat_slab(slab: Atoms, matrix2d: np.ndarray) -> tuple[Atoms, np.ndarray]:
    """Repeat a slab with an integer in-plane matrix, rotate ``a`` onto +x, keep constraints.

    Returns the new slab and the 2×2 rotation applied to in-plane vectors (``v @ rot.T``).
    """
    from ase.build import make_supercell
    from ase.constraints import FixAtoms

    fixed: set[int] = set()
    for constraint in slab.constraints:
        if isinstance(constraint, FixAtoms):
            fixed.update(int(i) for i in constraint.get_indices())
    work = slab.copy()
    work.set_constraint()
    work.new_array("_orig_index", np.arange(len(work)))
    p = np.eye(3, dtype=int)
    p[:2, :2] = matrix2d
    big = make_supercell(work, p, wrap=True, order="atom-major")
    cell = np.asarray(big.cell, dtype=float)
    angle = -math.atan2(cell[0, 1], cell[0, 0])
    rot = np.array(
        [[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]]
    )
    big.set_cell(cell @ rot.T, scale_atoms=False)
    big.positions = big.positions @ rot.T
    frac = big.get_scaled_positions(wrap=False)
    frac[:, :2] -= np.floor(frac[:, :2] + 1e-9)
    big.set_scaled_positions(frac)
    orig = big.arrays.pop("_orig_index")
    if fixed:
        big.set_constraint(FixAtoms(mask=np.isin(orig, sorted(fixed))))
    big.info = copy_atoms(slab).info
    return big, rot[:2, :2]


def best_registry(
    points: np.ndarray,
    li_basis: np.ndarray,
    surface_xy: np.ndarray,
    cell2d: np.ndarray,
    d_li_m: float,
) -> tuple[np.ndarray, float]:
    """Offset of the Li layer (within one Li cell) that lets it sit lowest; and that height.

    Scans a ``REGISTRY_GRID`` × ``REGISTRY_GRID`` grid of offsets (first index outer); for each,
    a Li at in-plane distance r from its nearest top atom sits sqrt(d² − r²) above it, and
    the layer sits at its highest Li. Lowest layer wins, then the largest mean r, then the
    first offset. The offsets are evaluated in blocks of whole arrays.
    """
    grid = np.arange(REGISTRY_GRID) / REGISTRY_GRID
    f1, f2 = (g.ravel() for g in np.meshgrid(grid, grid, indexing="ij"))
    offsets = f1[:, None] * li_basis[0] + f2[:, None] * li_basis[1]
    n_p, n_s = len(points), len(surface_xy)
    block = max(1, _REGISTRY_BLOCK_VECTORS // max(1, n_p * n_s))
    heights, mean_r = [], []
    for start in range(0, len(offsets), block):
        off = offsets[start : start + block]
        diff = (points[None, :, :] + off[:, None, :])[:, :, None, :] - surface_xy[None, None]
        r = np.linalg.norm(inplane_mic(diff.reshape(-1, 2), cell2d), axis=1)
        r_min = r.reshape(len(off), n_p, n_s).min(axis=2)
        heights.extend(np.sqrt(np.clip(d_li_m**2 - r_min**2, 0.0, None)).max(axis=1).tolist())
        mean_r.extend(r_min.mean(axis=1).tolist())
    keys = [
        (round(h, 4), -round(m, 4), i) for i, (h, m) in enumerate(zip(heights, mean_r, strict=True))
    ]
    best = min(keys)[2]
    return offsets[best], float(heights[best])
