"""Composition checks, compact supercell search and correlation reports for SQS (private)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms
    from icet import ClusterSpace

logger = logging.getLogger(__name__)

#: Tolerance on x·N being an integer.
EXACT_TOL = 1e-6
#: Tolerance on fractions summing to 1.
SUM_TOL = 1e-3


def check_composition(
    composition: Mapping[str, float], *, min_species: int = 2
) -> dict[str, float]:
    """Validate element fractions and return them sorted by symbol, renormalised to sum 1.

    Raises
    ------
    ConfigurationError
        For an unknown element, a fraction that is not positive, fewer than ``min_species``
        elements, or fractions that do not sum to 1 within 1e-3.
    """
    from ase.data import atomic_numbers

    try:
        items = [(str(k), float(v)) for k, v in dict(composition).items()]
    except (TypeError, ValueError):
        msg = f"composition must map element symbols to fractions, got {composition!r}"
        raise ConfigurationError(msg) from None
    for symbol, value in items:
        if symbol not in atomic_numbers or symbol == "X":
            msg = f"composition: {symbol!r} is not a chemical element symbol"
            raise ConfigurationError(msg)
        if not value > 0:
            msg = f"composition: fraction of {symbol} is {value}, it must be > 0"
            raise ConfigurationError(msg)
    if len(items) < min_species:
        msg = (
            f"composition {dict(items)} has {len(items)} element(s); a solid solution needs at "
            f"least {min_species}"
        )
        raise ConfigurationError(msg)
    total = sum(v for _, v in items)
    if abs(total - 1.0) > SUM_TOL:
        msg = f"composition {dict(items)} sums to {total:.6g}; fractions must sum to 1 (±{SUM_TOL})"
        raise ConfigurationError(msg)
    return {k: v / total for k, v in sorted(items)}


def is_exact(composition: Mapping[str, float], n_atoms: int) -> bool:
    """Whether ``x·n_atoms`` is an integer (within 1e-6) for every element."""
    counts = [x * n_atoms for x in composition.values()]
    return all(abs(c - round(c)) <= EXACT_TOL for c in counts)


def exact_size_hint(composition: Mapping[str, float], n_atoms: int, step: int = 1) -> str:
    """Describe the exact cell sizes (multiples of ``step``) nearest to ``n_atoms``."""
    limit = max(2000, 4 * n_atoms)
    sizes = [m for m in range(step, limit + 1, step) if is_exact(composition, m)]
    if not sizes:
        return f"no cell size up to {limit} atoms (in steps of {step}) is exact"
    below = [m for m in sizes if m < n_atoms][-2:]
    above = [m for m in sizes if m > n_atoms][:2]
    return "nearest exact sizes: " + ", ".join(str(m) for m in below + above)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _hnf_matrices(n: int) -> Iterator[np.ndarray]:
    """Supercell matrices (rows) of determinant ``n``: transposed Hermite normal forms.

    Hart & Forcade's lower-triangular HNF ``H`` (``0 <= b < c``, ``0 <= d, e < f``) holds the
    supercell vectors in its columns, so each supercell appears once as the rows of ``H.T``.
    """
    for a in _divisors(n):
        for c in _divisors(n // a):
            f = n // (a * c)
            for b in range(c):
                for d in range(f):
                    for e in range(f):
                        yield np.array([[a, 0, 0], [b, c, 0], [d, e, f]]).T


def compact_supercells(cell: np.ndarray, n_cells: int, *, n_keep: int = 4) -> list[np.ndarray]:
    """Return the ``n_keep`` most compact supercell matrices of ``n_cells`` primitive cells.

    Compactness is the length of the shortest lattice vector of the supercell (the closest
    periodic image), ties broken by the smallest height of the reduced cell, so flat or needle
    cells are avoided.
    """
    from ase.geometry import minkowski_reduce

    cell = np.asarray(cell, float)
    hnfs = np.array(list(_hnf_matrices(n_cells)))
    volume = abs(np.linalg.det(cell)) * n_cells
    radius = 1.15 * np.cbrt(volume)  # Hermite bound for 3D lattices: λ1 ≤ 2^(1/6) V^(1/3)
    # Primitive lattice vectors inside the radius, sorted by length (one of each ±pair).
    inv = np.linalg.inv(cell)
    span = int(np.ceil(radius * np.max(np.linalg.norm(inv, axis=0)))) + 1
    rng = np.arange(-span, span + 1)
    grid = np.array(np.meshgrid(rng, rng, rng, indexing="ij")).reshape(3, -1).T
    lengths = np.linalg.norm(grid @ cell, axis=1)
    keep = (lengths > 1e-9) & (lengths <= radius)
    grid, lengths = grid[keep], lengths[keep]
    order = np.argsort(lengths, kind="stable")
    grid, lengths = grid[order], lengths[order]

    inv_h = np.linalg.inv(hnfs)
    shortest = np.full(len(hnfs), np.inf)
    chunk = max(1, 2_000_000 // max(1, len(grid)))
    for start in range(0, len(hnfs), chunk):
        block = inv_h[start : start + chunk]
        coeff = np.einsum("kj,nji->nki", grid, block)
        member = np.all(np.abs(coeff - np.round(coeff)) < 1e-6, axis=2)
        has = member.any(axis=1)
        first = np.argmax(member, axis=1)
        shortest[start : start + chunk] = np.where(has, lengths[first], radius)

    best = shortest.max()
    tied = np.flatnonzero(shortest >= best - 1e-6)
    scored = []
    for idx in tied[:500]:
        rcell, _ = minkowski_reduce(hnfs[idx] @ cell)
        heights = volume / np.linalg.norm(np.cross(rcell[[1, 2, 0]], rcell[[2, 0, 1]]), axis=1)
        scored.append((-heights.min(), int(idx)))
    scored.sort()
    chosen = [hnfs[i] for _, i in scored[:n_keep]]
    logger.debug(
        "%d supercells of %d cells; shortest image distance %.3f Å, kept %d",
        len(hnfs),
        n_cells,
        best,
        len(chosen),
    )
    return chosen


def _random_cluster_vector(cs: ClusterSpace, composition: Mapping[str, float]) -> np.ndarray:
    """Cluster vector of the infinite random alloy (single sublattice)."""
    from ase.data import atomic_numbers

    species = sorted(composition, key=lambda s: atomic_numbers[s])
    n_species = len(species)
    cv = [1.0]
    for orbit in cs.as_list:
        if orbit["order"] < 1:
            continue
        product = 1.0
        for mc_index in orbit["multicomponent_vector"]:
            product *= sum(
                composition[s] * cs.evaluate_cluster_function(n_species, mc_index, i)
                for i, s in enumerate(species)
            )
        cv.append(product)
    return np.array(cv)


def correlation_report(
    cs: ClusterSpace, atoms: Atoms, composition: Mapping[str, float]
) -> dict[str, Any]:
    """Per orbit: SQS correlation, random-alloy target and difference; plus summary maxima."""
    cv = np.asarray(cs.get_cluster_vector(atoms))
    target = _random_cluster_vector(cs, composition)
    orbits = []
    for orbit in cs.as_list:
        if orbit["order"] < 1:
            continue
        idx = orbit["index"]
        entry = {
            "index": int(idx),
            "order": int(orbit["order"]),
            "radius_a": float(orbit["radius"]),
            "multiplicity": int(orbit["multiplicity"]),
            "sqs": float(cv[idx]),
            "target": float(target[idx]),
            "delta": float(cv[idx] - target[idx]),
        }
        if orbit["order"] == 2:
            entry["distance_a"] = 2.0 * float(orbit["radius"])
        orbits.append(entry)
    pair = [abs(o["delta"]) for o in orbits if o["order"] == 2]
    multi = [abs(o["delta"]) for o in orbits if o["order"] >= 2]
    return {
        "orbits": orbits,
        "max_abs_delta_pair": max(pair) if pair else 0.0,
        "rms_delta_pair": float(np.sqrt(np.mean(np.square(pair)))) if pair else 0.0,
        "max_abs_delta": max(multi) if multi else 0.0,
    }


def snap_to_lattice(atoms: Atoms, ideal: Atoms, *, max_shift_a: float = 1.0) -> Atoms:
    """Copy the decoration of ``atoms`` onto the ideal sites of ``ideal`` (same cell shape)."""
    frac = atoms.get_scaled_positions(wrap=True)
    ideal_frac = ideal.get_scaled_positions(wrap=True)
    diff = frac[:, None, :] - ideal_frac[None, :, :]
    diff -= np.round(diff)
    dist = np.linalg.norm(diff @ np.asarray(ideal.cell), axis=2)
    nearest = np.argmin(dist, axis=1)
    if (
        len(set(nearest.tolist())) != len(atoms)
        or dist[np.arange(len(atoms)), nearest].max() > max_shift_a
    ):
        msg = (
            "atoms do not map one-to-one onto the lattice sites of the cluster space "
            "(wrong lattice, a_a or supercell_matrix?)"
        )
        raise ConfigurationError(msg)
    snapped = ideal.copy()
    symbols = [""] * len(atoms)
    for i, j in enumerate(nearest):
        symbols[j] = atoms[i].symbol
    snapped.set_chemical_symbols(symbols)
    return snapped
