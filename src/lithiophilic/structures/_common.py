"""Small helpers shared by the structure builders (private)."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms

logger = logging.getLogger(__name__)

#: Smallest vacuum gap (Å) accepted between periodic slab images.
MIN_VACUUM_A = 8.0
#: Default vacuum gap (Å) between periodic slab images.
DEFAULT_VACUUM_A = 10.0
#: Default tolerance (Å) for grouping atoms into planes by their height.
DEFAULT_LAYER_TOL_A = 0.3


def copy_atoms(atoms: Atoms) -> Atoms:
    """Return a copy of ``atoms`` whose ``info`` is deep-copied (``Atoms.copy`` is shallow)."""
    new = atoms.copy()
    new.info = copy.deepcopy(atoms.info)
    return new


def validate_miller(miller: Sequence[int]) -> tuple[int, int, int]:
    """Check a Miller index and divide it by the gcd of its entries.

    Parameters
    ----------
    miller
        Three integers, not all zero. ``(2, 0, 0)`` is the same plane family as ``(1, 0, 0)``.

    Returns
    -------
    tuple of int
        The reduced index.

    Raises
    ------
    ConfigurationError
        If ``miller`` is not three integers or is ``(0, 0, 0)``.
    """
    try:
        values = list(miller)
    except TypeError:
        values = None
    ok = (
        values is not None
        and len(values) == 3
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values)
    )
    if not ok:
        msg = f"miller must be three integers (h, k, l), got {miller!r}"
        raise ConfigurationError(msg)
    ints = [int(v) for v in values]  # type: ignore[union-attr]
    if not any(ints):
        msg = f"miller must not be (0, 0, 0), got {tuple(ints)}; use e.g. (1, 1, 1) or (1, 0, 0)"
        raise ConfigurationError(msg)
    g = math.gcd(*ints)
    return (ints[0] // g, ints[1] // g, ints[2] // g)


def validate_vacuum(vacuum_a: float) -> float:
    """Check the vacuum gap.

    Raises
    ------
    ConfigurationError
        If ``vacuum_a`` is below :data:`MIN_VACUUM_A`.
    """
    if not np.isfinite(vacuum_a) or vacuum_a < MIN_VACUUM_A:
        msg = (
            f"vacuum_a={vacuum_a!r} Å is too thin: the vacuum gap between periodic slab images "
            f"must be at least {MIN_VACUUM_A} Å"
        )
        raise ConfigurationError(msg)
    return float(vacuum_a)


def element_counts(atoms: Atoms) -> dict[str, int]:
    """Count atoms per element, sorted by symbol."""
    symbols = atoms.get_chemical_symbols()
    return {s: symbols.count(s) for s in sorted(set(symbols))}


def min_distance_a(atoms: Atoms) -> float:
    """Return the smallest interatomic distance in Å, periodic images included."""
    from ase.neighborlist import neighbor_list

    if len(atoms) == 0:
        return float("nan")
    cutoff = 4.0
    while True:
        d = neighbor_list("d", atoms, cutoff, self_interaction=False)
        if len(d) > 0:
            return float(d.min())
        cutoff *= 2.0
        if cutoff > 64.0:
            return float("inf")


def cluster_heights(heights: np.ndarray, tol_a: float) -> np.ndarray:
    """Group heights into planes: a gap larger than ``tol_a`` starts a new plane.

    Returns
    -------
    numpy.ndarray
        Plane index per height, 0 for the lowest plane.
    """
    heights = np.asarray(heights, dtype=float)
    order = np.argsort(heights, kind="stable")
    labels = np.empty(len(heights), dtype=int)
    current = 0
    for rank, idx in enumerate(order):
        if rank > 0 and heights[idx] - heights[order[rank - 1]] > tol_a:
            current += 1
        labels[idx] = current
    return labels


def to_builtin(value: object) -> object:
    """Convert numpy scalars and arrays (also nested in dicts/lists) to plain Python types."""
    if isinstance(value, dict):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_builtin(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_builtin(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
