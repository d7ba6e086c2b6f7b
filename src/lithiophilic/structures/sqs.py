"""Special quasirandom structures (SQS) of substitutional solid solutions, with icet.

An SQS is the decoration of a finite periodic cell whose cluster correlations (pairs, triplets
within the cutoffs) come closest to those of the infinite random alloy. It is one sample of the
random alloy: results should be averaged over several seeds.

Default cluster space (:func:`default_cutoffs_a`): pairs up to and including the 4th neighbour
shell (fcc: a/√2, a, a√1.5, a√2) and triplets whose sides are all nearest-neighbour bonds.

References
----------
.. [1] A. Zunger, S.-H. Wei, L. G. Ferreira, J. E. Bernard, Phys. Rev. Lett. 65, 353 (1990).
.. [2] M. Ångqvist et al., "ICET", Adv. Theory Simul. 2, 1900015 (2019).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import to_builtin
from lithiophilic.structures._lattice import shortest_vector_a
from lithiophilic.structures._sqs_cache import cached_annealing, sqs_cache_key
from lithiophilic.structures._sqs_cells import (
    check_composition,
    compact_supercells,
    correlation_report,
    exact_size_hint,
    is_exact,
    snap_to_lattice,
)

if TYPE_CHECKING:
    from ase import Atoms
    from icet import ClusterSpace

logger = logging.getLogger(__name__)

__all__ = [
    "default_cutoffs_a",
    "make_sqs",
    "primitive_lattice",
    "sqs_correlation_report",
]

Lattice = Literal["fcc", "bcc", "hcp"]
_LATTICES = ("fcc", "bcc", "hcp")
#: Ideal hcp c/a.
IDEAL_C_OVER_A = float(np.sqrt(8.0 / 3.0))
#: Number of compact supercells handed to the annealer in :func:`make_sqs`.
N_CANDIDATE_SUPERCELLS = 4


def check_lattice(lattice: str) -> None:
    """Raise :class:`ConfigurationError` unless ``lattice`` is fcc, bcc or hcp."""
    if lattice not in _LATTICES:
        msg = f"lattice={lattice!r} is not supported; allowed: {', '.join(_LATTICES)}"
        raise ConfigurationError(msg)


def primitive_lattice(
    lattice: Lattice, *, a_a: float, symbol: str = "Cu", c_over_a: float | None = None
) -> Atoms:
    """Build the primitive cell of an fcc, bcc or hcp lattice occupied by ``symbol``.

    Parameters
    ----------
    lattice
        "fcc", "bcc" or "hcp".
    a_a
        Lattice constant, Å (cubic edge for fcc/bcc, in-plane a for hcp).
    symbol
        Element placed on every site.
    c_over_a
        hcp c/a; ``None`` means the ideal √(8/3). Ignored for cubic lattices.

    Returns
    -------
    ase.Atoms
        1 atom (fcc, bcc) or 2 atoms (hcp), in the frame of ``ase.build.bulk``.

    Raises
    ------
    ConfigurationError
        If ``lattice`` is unknown or ``a_a`` is not positive.
    """
    from ase.build import bulk

    check_lattice(lattice)
    if a_a is None or not a_a > 0:
        msg = f"a_a={a_a!r} must be a positive lattice constant in Å"
        raise ConfigurationError(msg)
    if lattice == "hcp":
        ca = IDEAL_C_OVER_A if c_over_a is None else float(c_over_a)
        return bulk(symbol, "hcp", a=a_a, c=a_a * ca)
    return bulk(symbol, lattice, a=a_a)


def default_cutoffs_a(
    lattice: Lattice, *, a_a: float, c_over_a: float | None = None
) -> list[float]:
    """Return the default icet cutoffs: pairs through the 4th shell, nearest-neighbour triplets.

    Each cutoff lies halfway between two neighbour shells of the lattice, so small strains do not
    change the cluster space.

    Parameters
    ----------
    lattice
        "fcc", "bcc" or "hcp".
    a_a
        Lattice constant, Å.
    c_over_a
        hcp c/a (``None``: ideal).

    Returns
    -------
    list of float
        ``[pair_cutoff_a, triplet_cutoff_a]``.
    """
    from ase.neighborlist import neighbor_list

    prim = primitive_lattice(lattice, a_a=a_a, c_over_a=c_over_a)
    d = neighbor_list("d", prim, 3.0 * a_a)
    shells = np.unique(np.round(d, 4))
    pair = 0.5 * (shells[3] + shells[4])
    triplet = 0.5 * (shells[0] + shells[1])
    return [float(pair), float(triplet)]


def cluster_space(
    lattice: Lattice,
    species: Sequence[str],
    *,
    a_a: float,
    cutoffs_a: Sequence[float] | None,
    c_over_a: float | None,
) -> tuple[ClusterSpace, Atoms, list[float]]:
    """Build the icet cluster space of a single-sublattice alloy on ``lattice``."""
    from icet import ClusterSpace

    prim = primitive_lattice(lattice, a_a=a_a, symbol=species[0], c_over_a=c_over_a)
    cutoffs = (
        default_cutoffs_a(lattice, a_a=a_a, c_over_a=c_over_a)
        if cutoffs_a is None
        else [float(c) for c in cutoffs_a]
    )
    if not cutoffs or any(not c > 0 for c in cutoffs):
        msg = f"cutoffs_a={cutoffs_a!r} must be a non-empty list of positive distances in Å"
        raise ConfigurationError(msg)
    cs = ClusterSpace(prim, cutoffs, list(species))
    return cs, prim, cutoffs


def default_n_steps(n_atoms: int) -> int:
    """Return the default number of annealing steps, ``max(5000, 200·n_atoms)``."""
    return int(max(5000, 200 * n_atoms))


def sqs_correlation_report(
    atoms: Atoms,
    *,
    composition: Mapping[str, float] | None = None,
    lattice: Lattice = "fcc",
    a_a: float | None = None,
    cutoffs_a: Sequence[float] | None = None,
    c_over_a: float | None = None,
) -> dict[str, Any]:
    """Compare the cluster correlations of a decorated cell with the random alloy.

    If ``atoms.info["sqs"]["supercell_matrix"]`` exists (cells made by this module), the cell is
    mapped back onto that supercell of the ideal lattice first, so rotated, strained or relaxed
    cells are handled; otherwise ``atoms`` must be an unrotated supercell of the lattice.

    Parameters
    ----------
    atoms
        Decorated supercell of the lattice.
    composition
        Target fractions; ``None`` means the composition of ``atoms``.
    lattice
        "fcc", "bcc" or "hcp".
    a_a
        Lattice constant of the ideal lattice, Å; ``None`` derives it from the volume per atom.
    cutoffs_a
        icet cutoffs (pairs, triplets, ...), Å; ``None`` means :func:`default_cutoffs_a`.
    c_over_a
        hcp c/a (``None``: ideal).

    Returns
    -------
    dict
        ``orbits`` (list of dicts: ``index``, ``order``, ``radius_a``, ``multiplicity``, ``sqs``,
        ``target``, ``delta`` = sqs − target, and ``distance_a`` for pairs),
        ``max_abs_delta_pair``, ``rms_delta_pair``, ``max_abs_delta`` (orders ≥ 2),
        ``cutoffs_a``, ``lattice``, ``a_a``. Plain Python types only.

    Raises
    ------
    ConfigurationError
        If the composition or lattice is invalid or the atoms do not map onto the lattice.
    """
    from ase.build import make_supercell

    symbols = atoms.get_chemical_symbols()
    if composition is None:
        composition = {s: symbols.count(s) / len(symbols) for s in sorted(set(symbols))}
    comp = check_composition(composition)
    check_lattice(lattice)
    if a_a is None:
        v = atoms.get_volume() / len(atoms)
        if lattice == "hcp":
            ca = IDEAL_C_OVER_A if c_over_a is None else c_over_a
            a_a = float(np.cbrt(4.0 * v / (np.sqrt(3.0) * ca)))
        else:
            a_a = float(np.cbrt(v * (4 if lattice == "fcc" else 2)))
    cs, prim, cutoffs = cluster_space(
        lattice, sorted(comp), a_a=a_a, cutoffs_a=cutoffs_a, c_over_a=c_over_a
    )
    sqs_info = atoms.info.get("sqs", {})
    if "supercell_matrix" in sqs_info:
        matrix = np.array(sqs_info["supercell_matrix"], dtype=int)
    else:
        p = np.asarray(atoms.cell) @ np.linalg.inv(np.asarray(prim.cell))
        if not np.allclose(p, np.round(p), atol=1e-3):
            msg = (
                "atoms is not an unrotated supercell of the "
                f"{lattice} lattice with a_a={a_a:.4f} Å and has no info['sqs']['supercell_matrix']"
            )
            raise ConfigurationError(msg)
        matrix = np.round(p).astype(int)
    ideal = make_supercell(prim, matrix, wrap=True)
    if len(ideal) != len(atoms):
        msg = f"supercell_matrix gives {len(ideal)} sites but atoms has {len(atoms)}"
        raise ConfigurationError(msg)
    scaled = atoms.copy()
    scaled.set_cell(ideal.cell, scale_atoms=True)
    snapped = snap_to_lattice(scaled, ideal)
    report = correlation_report(cs, snapped, comp)
    report.update({"cutoffs_a": cutoffs, "lattice": lattice, "a_a": float(a_a)})
    return to_builtin(report)  # type: ignore[return-value]


def check_exact(comp: Mapping[str, float], n_atoms: int, step: int, what: str) -> None:
    """Raise :class:`ConfigurationError` naming ``what`` unless ``n_atoms`` holds ``comp``."""
    if not is_exact(comp, n_atoms):
        msg = (
            f"{what}={n_atoms} cannot hold the composition {dict(comp)} exactly "
            f"(x·N must be an integer within 1e-6 for every element); "
            f"{exact_size_hint(comp, n_atoms, step)}"
        )
        raise ConfigurationError(msg)


def run_annealing(
    cs: ClusterSpace,
    supercells: list[Atoms],
    comp: Mapping[str, float],
    *,
    seed: int,
    n_steps: int,
) -> Atoms:
    """Run icet's SQS annealing on the candidate supercells and log the time taken.

    With ``$LITHIOPHILIC_SQS_CACHE`` set, the result is cached under the hash of every input
    (cluster space, candidate cells, composition, seed, steps, icet version), so a re-run
    performs no search.
    """
    return _annealing(cs, supercells, comp, seed=seed, n_steps=n_steps)[0]


def _annealing(
    cs: ClusterSpace,
    supercells: list[Atoms],
    comp: Mapping[str, float],
    *,
    seed: int,
    n_steps: int,
) -> tuple[Atoms, str]:
    """Return :func:`run_annealing`'s result and its file-cache key."""

    def anneal() -> Atoms:
        from icet.tools.structure_generation import generate_sqs_from_supercells

        start = time.perf_counter()
        best = generate_sqs_from_supercells(
            cs,
            supercells,
            dict(comp),
            n_steps=n_steps,
            random_seed=int(seed),
        )
        logger.info(
            "SQS annealing: %d atoms, %d candidate cells, %d steps, %.2f s",
            len(best),
            len(supercells),
            n_steps,
            time.perf_counter() - start,
        )
        return best

    key = sqs_cache_key(cs, supercells, comp, seed=seed, n_steps=n_steps)
    return cached_annealing(key, anneal), key


#: SQS made in this process: key of every input of :func:`make_sqs` -> (the SQS, the file-cache
#: key of its annealing, the annealed cell). Kept in insertion order, at most ``_MEMO_SIZE``.
_MEMO: dict[tuple[Any, ...], tuple[Atoms, str, Atoms]] = {}
_MEMO_SIZE = 64


def clear_sqs_memo() -> None:
    """Forget the SQS :func:`make_sqs` made in this process (the next call builds again)."""
    _MEMO.clear()


def _memo_key(composition: Mapping[str, float], **inputs: Any) -> tuple[Any, ...] | None:
    """Return the memo key of :func:`make_sqs`'s inputs; None if one is not hashable."""
    supercell = inputs.pop("supercell")
    cutoffs = inputs.pop("cutoffs_a")
    try:
        key = (
            tuple(composition.items()),  # in the given order: info["composition"] keeps it
            None if supercell is None else tuple(map(tuple, np.asarray(supercell).tolist())),
            None if cutoffs is None else tuple(cutoffs),
            *sorted(inputs.items()),
            N_CANDIDATE_SUPERCELLS,
        )
        hash(key)
    except (TypeError, ValueError):  # make_sqs reports a malformed input itself
        return None
    return key


def _copy(atoms: Atoms) -> Atoms:
    """Return a copy of ``atoms`` whose ``info`` (nested dicts too) is its own."""
    out = atoms.copy()
    out.info = copy.deepcopy(atoms.info)
    return out


def make_sqs(
    composition: Mapping[str, float],
    *,
    lattice: Lattice = "fcc",
    a_a: float,
    n_atoms: int | None = None,
    seed: int = 0,
    cutoffs_a: Sequence[float] | None = None,
    supercell: Sequence[Sequence[int]] | np.ndarray | None = None,
    n_steps: int | None = None,
    c_over_a: float | None = None,
) -> Atoms:
    """Generate a bulk SQS of a substitutional solid solution.

    Without ``supercell`` the annealer searches the :data:`N_CANDIDATE_SUPERCELLS` most compact
    supercells of ``n_atoms`` atoms (largest shortest periodic-image distance, then the least flat
    reduced cell). The returned cell is Minkowski-reduced, in the frame of ``ase.build.bulk``.

    Parameters
    ----------
    composition
        Element fractions, e.g. ``{"Cu": 0.64, "Zn": 0.36}``; at least two elements, summing to 1.
    lattice
        "fcc", "bcc" or "hcp".
    a_a
        Lattice constant, Å.
    n_atoms
        Cell size; ``None`` means 50, or the size of ``supercell``. ``x·n_atoms`` must be an
        integer for every element (64:36 is exact for 25, 50, 75, 100 atoms).
    seed
        Random seed of the initial decoration and of the annealing; same seed, same SQS.
    cutoffs_a
        icet cutoffs (pairs, triplets, ...), Å; ``None`` means :func:`default_cutoffs_a`.
    supercell
        3×3 integer matrix (rows) on the primitive cell to use instead of the search.
    n_steps
        Monte Carlo steps; ``None`` means ``max(5000, 200·n_atoms)`` (≈1 s for 50 atoms).
    c_over_a
        hcp c/a (``None``: ideal).

    Returns
    -------
    ase.Atoms
        The SQS. ``info``: ``composition``, ``lattice``, ``a_a`` and ``sqs`` (dict: ``seed``,
        ``n_atoms``, ``n_steps``, ``supercell_matrix``, ``shortest_image_distance_a`` and the
        :func:`sqs_correlation_report` entries).

    Raises
    ------
    ConfigurationError
        For a bad composition, lattice or cutoff, or a size that cannot hold the composition.

    Notes
    -----
    Identical inputs in one process return a copy of the SQS made the first time (the same
    cell, bit for bit) without a new search; ``$LITHIOPHILIC_SQS_CACHE``, when set, is still
    filled as without this memo. :func:`clear_sqs_memo` forgets them.
    """
    inputs = {
        "lattice": lattice,
        "a_a": a_a,
        "n_atoms": n_atoms,
        "seed": seed,
        "cutoffs_a": cutoffs_a,
        "supercell": supercell,
        "n_steps": n_steps,
        "c_over_a": c_over_a,
    }
    key = _memo_key(composition, **inputs)
    if key is not None and key in _MEMO:
        atoms, cache_key, best = _MEMO[key]
        cached_annealing(cache_key, lambda: best.copy())  # the file cache as without the memo
        logger.info(
            "SQS %s on %s, seed %d: made before in this process", dict(composition), lattice, seed
        )
        return _copy(atoms)
    atoms, cache_key, best = _build_sqs(composition, **inputs)
    if key is not None:
        while len(_MEMO) >= _MEMO_SIZE:
            del _MEMO[next(iter(_MEMO))]
        _MEMO[key] = (_copy(atoms), cache_key, best.copy())
    return atoms


def _build_sqs(
    composition: Mapping[str, float],
    *,
    lattice: Lattice,
    a_a: float,
    n_atoms: int | None,
    seed: int,
    cutoffs_a: Sequence[float] | None,
    supercell: Sequence[Sequence[int]] | np.ndarray | None,
    n_steps: int | None,
    c_over_a: float | None,
) -> tuple[Atoms, str, Atoms]:
    """Make the SQS of :func:`make_sqs`; also return its file-cache key and the annealed cell."""
    from ase.build import make_supercell
    from ase.geometry import minkowski_reduce

    comp = check_composition(composition)
    cs, prim, cutoffs = cluster_space(
        lattice, sorted(comp), a_a=a_a, cutoffs_a=cutoffs_a, c_over_a=c_over_a
    )
    n_prim = len(prim)
    if supercell is not None:
        matrix = np.asarray(supercell)
        if matrix.shape != (3, 3) or not np.allclose(matrix, np.round(matrix)):
            msg = f"supercell must be a 3x3 integer matrix, got {supercell!r}"
            raise ConfigurationError(msg)
        det = round(float(np.linalg.det(matrix)))
        if det == 0:
            msg = f"supercell={np.asarray(supercell).tolist()} is singular (determinant 0)"
            raise ConfigurationError(msg)
        size = abs(det) * n_prim
        if n_atoms is not None and n_atoms != size:
            msg = f"n_atoms={n_atoms} disagrees with supercell, which holds {size} atoms"
            raise ConfigurationError(msg)
        n_atoms = size
        check_exact(comp, n_atoms, n_prim, "n_atoms")
        candidates = [make_supercell(prim, np.round(matrix).astype(int))]
    else:
        n_atoms = 50 if n_atoms is None else int(n_atoms)
        if n_atoms < 1 or n_atoms % n_prim:
            msg = f"n_atoms={n_atoms} must be a positive multiple of {n_prim} for {lattice}"
            raise ConfigurationError(msg)
        check_exact(comp, n_atoms, n_prim, "n_atoms")
        matrices = compact_supercells(
            np.asarray(prim.cell), n_atoms // n_prim, n_keep=N_CANDIDATE_SUPERCELLS
        )
        candidates = [make_supercell(prim, m) for m in matrices]
    steps = default_n_steps(n_atoms) if n_steps is None else int(n_steps)
    best, cache_key = _annealing(cs, candidates, comp, seed=seed, n_steps=steps)
    report = correlation_report(cs, best, comp)

    rcell, _ = minkowski_reduce(np.asarray(best.cell))
    if np.linalg.det(rcell) < 0:
        rcell = -rcell
    atoms = best.copy()
    atoms.set_cell(rcell, scale_atoms=False)
    atoms.wrap(eps=1e-6)
    atoms.info.clear()
    matrix_out = np.round(rcell @ np.linalg.inv(np.asarray(prim.cell))).astype(int)
    report.update(
        {
            "seed": int(seed),
            "n_atoms": int(n_atoms),
            "n_steps": steps,
            "cutoffs_a": cutoffs,
            "lattice": lattice,
            "a_a": float(a_a),
            "supercell_matrix": matrix_out,
            "shortest_image_distance_a": shortest_vector_a(rcell),
        }
    )
    atoms.info.update(
        {
            "composition": {k: float(v) for k, v in comp.items()},
            "lattice": lattice,
            "a_a": float(a_a),
            "sqs": to_builtin(report),
        }
    )
    logger.info(
        "SQS %s on %s: %d atoms, seed %d, max |Δ pair| = %.4f",
        dict(comp),
        lattice,
        n_atoms,
        seed,
        report["max_abs_delta_pair"],
    )
    return atoms, cache_key, best
