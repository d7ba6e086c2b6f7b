"""Lattice geometry for oriented cells: in-plane bases, stacking periods, rotations (private).

A plane family (hkl) of a lattice with cell rows ``a_i`` has the normal ``G = sum_i h_i b_i``
(``b_i`` the reciprocal vectors without 2π). A lattice vector ``u @ cell`` (``u`` integer) lies in
the plane when ``h · u = 0`` and climbs exactly one interplanar period when ``h · u = 1``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lithiophilic.errors import ConfigurationError

logger = logging.getLogger(__name__)

#: Largest number of stacking periods searched for a lattice vector perpendicular to the planes.
MAX_PERP_REPEAT = 24


@dataclass(frozen=True)
class SurfaceBasis:
    """Integer basis of a lattice adapted to a plane family.

    Parameters
    ----------
    matrix
        3×3 integer rows ``u1, u2, u3`` in the lattice basis: ``u1, u2`` span the in-plane lattice
        (Gauss-reduced), ``u3`` climbs one interplanar period; ``det = +1`` (same number of atoms).
    normal
        Unit plane normal (Cartesian, frame of the input cell), pointing along ``u3``.
    period_a
        Height of ``u3`` along the normal (the lattice-plane spacing), Å.
    perp_repeat
        Smallest number of periods after which a lattice vector is perpendicular to the planes
        (3 for fcc(111), 2 for fcc(100)); ``None`` if none within :data:`MAX_PERP_REPEAT`.
    perp_row
        Integer row of that perpendicular lattice vector, or ``None``.
    """

    matrix: np.ndarray
    normal: np.ndarray
    period_a: float
    perp_repeat: int | None
    perp_row: np.ndarray | None


def miller_in_basis(
    miller: Sequence[int], conv_cell: np.ndarray, cell: np.ndarray
) -> tuple[int, int, int]:
    """Express a plane family given in ``conv_cell`` as coprime Miller indices of ``cell``.

    Both cells must share the Cartesian frame (``cell`` a sub- or superlattice of ``conv_cell``).
    """
    g_cart = np.linalg.solve(np.asarray(conv_cell, float), np.asarray(miller, float))
    h = np.asarray(cell, float) @ g_cart
    for mult in range(1, 241):
        scaled = h * mult
        if np.allclose(scaled, np.round(scaled), atol=1e-6):
            ints = [int(v) for v in np.round(scaled)]
            g = math.gcd(*ints)
            return (ints[0] // g, ints[1] // g, ints[2] // g)
    msg = (
        f"miller={tuple(miller)} could not be expressed with integer indices in the primitive "
        f"cell (got {h.tolist()}); is the cell a sublattice of the conventional cell?"
    )
    raise ConfigurationError(msg)


def _unimodular(h: Sequence[int]) -> np.ndarray:
    """Return an integer unimodular matrix ``U`` (columns) with ``h @ U = (0, 0, 1)``."""
    m = np.array(h, dtype=int)
    u = np.eye(3, dtype=int)
    while np.count_nonzero(m) > 1:
        nz = np.flatnonzero(m)
        j = nz[np.argmin(np.abs(m[nz]))]
        for i in nz:
            if i != j:
                q = m[i] // m[j]
                m[i] -= q * m[j]
                u[:, i] -= q * u[:, j]
    j = int(np.flatnonzero(m)[0])
    if j != 2:
        m[[j, 2]] = m[[2, j]]
        u[:, [j, 2]] = u[:, [2, j]]
    if m[2] < 0:
        m[2] = -m[2]
        u[:, 2] = -u[:, 2]
    if m[2] != 1:
        msg = f"Miller indices {tuple(h)} are not coprime"
        raise ConfigurationError(msg)
    return u


def surface_basis(cell: np.ndarray, miller: Sequence[int]) -> SurfaceBasis:
    """Build the plane-adapted integer basis of ``cell`` for coprime indices ``miller``."""
    cell = np.asarray(cell, dtype=float)
    h = np.array(miller, dtype=int)
    u = _unimodular([int(v) for v in h])
    u1, u2, u3 = u[:, 0].copy(), u[:, 1].copy(), u[:, 2].copy()
    g = np.linalg.solve(cell, h.astype(float))
    normal = g / np.linalg.norm(g)

    # Gauss (Lagrange) reduction of the in-plane basis.
    for _ in range(1000):
        v1, v2 = u1 @ cell, u2 @ cell
        if v1 @ v1 > v2 @ v2 + 1e-12:
            u1, u2 = u2, u1
            continue
        mu = round(float(v1 @ v2) / float(v1 @ v1))
        if mu == 0:
            break
        u2 = u2 - mu * u1
    v1, v2 = u1 @ cell, u2 @ cell
    if np.cross(v1, v2) @ normal < 0:
        u1, u2 = u2, u1
        v1, v2 = v2, v1

    # Make u3 as perpendicular as possible.
    v3 = u3 @ cell
    period_a = float(v3 @ normal)
    frac = _inplane_fractions(v3 - period_a * normal, v1, v2)
    shift = np.round(frac).astype(int)
    u3 = u3 - shift[0] * u1 - shift[1] * u2
    frac = frac - shift

    perp_repeat: int | None = None
    perp_row: np.ndarray | None = None
    for p in range(1, MAX_PERP_REPEAT + 1):
        pf = p * frac
        if np.allclose(pf, np.round(pf), atol=1e-6):
            k = np.round(pf).astype(int)
            perp_repeat = p
            perp_row = p * u3 - k[0] * u1 - k[1] * u2
            break
    matrix = np.array([u1, u2, u3], dtype=int)
    if round(np.linalg.det(matrix)) != 1:  # pragma: no cover - guaranteed by construction
        msg = f"internal error: surface basis for {tuple(miller)} has det {np.linalg.det(matrix)}"
        raise ConfigurationError(msg)
    return SurfaceBasis(matrix, normal, period_a, perp_repeat, perp_row)


def _inplane_fractions(w: np.ndarray, v1: np.ndarray, v2: np.ndarray) -> np.ndarray:
    """Solve ``w = f1 v1 + f2 v2`` for a vector ``w`` in the plane of ``v1, v2``."""
    basis = np.array([v1, v2]).T
    f, *_ = np.linalg.lstsq(basis, w, rcond=None)
    return f


def surface_frame(v1: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Rotation matrix (rows ``e1, e2, e3``) taking ``v1`` to +x and ``normal`` to +z."""
    e1 = v1 / np.linalg.norm(v1)
    e3 = normal / np.linalg.norm(normal)
    e2 = np.cross(e3, e1)
    return np.array([e1, e2, e3])


def shortest_vector_a(cell: np.ndarray) -> float:
    """Length (Å) of the shortest nonzero lattice vector of ``cell``."""
    from ase.geometry import minkowski_reduce

    rcell, _ = minkowski_reduce(np.asarray(cell, float))
    rng = np.arange(-1, 2)
    combos = np.array(np.meshgrid(rng, rng, rng)).reshape(3, -1).T
    combos = combos[np.any(combos != 0, axis=1)]
    return float(np.min(np.linalg.norm(combos @ rcell, axis=1)))
