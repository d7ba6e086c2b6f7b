"""Oriented bulk SQS cells: fully periodic, ``c`` normal to (hkl), an exact number of planes.

Such a cell is the bulk reference of an alloy slab: adding vacuum along ``c`` with
:func:`lithiophilic.structures.slabs.make_slab_from_oriented_bulk` gives a stoichiometric slab
made of exactly the same atoms.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import DEFAULT_LAYER_TOL_A, to_builtin, validate_miller
from lithiophilic.structures._lattice import (
    SurfaceBasis,
    miller_in_basis,
    shortest_vector_a,
    surface_basis,
    surface_frame,
)
from lithiophilic.structures._slab_tools import planes_per_period
from lithiophilic.structures._sqs_cells import check_composition, correlation_report, is_exact
from lithiophilic.structures.sqs import (
    Lattice,
    check_exact,
    cluster_space,
    default_n_steps,
    run_annealing,
)

if TYPE_CHECKING:
    from ase import Atoms

logger = logging.getLogger(__name__)

__all__ = ["FCC111_STACKING", "MIN_LATERAL_SIDE_A", "check_n_layers", "make_oriented_sqs"]

#: Smallest side (Å) of the lateral cell chosen by :func:`make_oriented_sqs`.
MIN_LATERAL_SIDE_A = 5.0
#: Atomic planes in one stacking period of fcc(111) (ABC): an oriented SQS tile has a multiple.
FCC111_STACKING = 3


def _conventional_cell(lattice: Lattice, prim: Atoms, a_a: float) -> np.ndarray:
    """Cell the Miller indices refer to: the cubic cell (fcc, bcc) or the hexagonal cell (hcp)."""
    if lattice == "hcp":
        return np.asarray(prim.cell)
    return np.eye(3) * a_a


def _layers_per_period(
    prim: Atoms, basis_matrix: np.ndarray, normal: np.ndarray, tol_a: float
) -> int:
    """Count the atomic planes in one stacking period of the oriented primitive cell."""
    cell = basis_matrix @ np.asarray(prim.cell)
    period = float(cell[2] @ normal)
    return planes_per_period(prim.positions @ normal, period, tol_a)


def _choose_lateral(
    comp: Mapping[str, float],
    atoms_per_layer: int,
    n_layers: int,
    v1: np.ndarray,
    v2: np.ndarray,
    max_cells: int = 400,
) -> tuple[int, int]:
    """Smallest n1×n2 surface cell (sides ≥ 5 Å, most square) that holds the composition."""
    l1, l2 = float(np.linalg.norm(v1)), float(np.linalg.norm(v2))
    for area in range(1, max_cells + 1):
        if not is_exact(comp, area * atoms_per_layer * n_layers):
            continue
        options = [
            (n1, area // n1)
            for n1 in range(1, area + 1)
            if area % n1 == 0
            and n1 * l1 >= MIN_LATERAL_SIDE_A
            and (area // n1) * l2 >= MIN_LATERAL_SIDE_A
        ]
        if options:
            return min(options, key=lambda o: (abs(np.log(o[0] * l1 / (o[1] * l2))), o[0]))
    msg = (
        f"no lateral supercell up to {max_cells} surface cells makes n_layers={n_layers} × "
        f"{atoms_per_layer} atom(s) per cell hold the composition {dict(comp)} exactly"
    )
    raise ConfigurationError(msg)


def make_oriented_sqs(
    composition: Mapping[str, float],
    miller: Sequence[int],
    *,
    lattice: Lattice = "fcc",
    a_a: float,
    n_layers: int,
    lateral_size: tuple[int, int] | None = None,
    seed: int = 0,
    cutoffs_a: Sequence[float] | None = None,
    n_steps: int | None = None,
    c_over_a: float | None = None,
    layer_tol_a: float = DEFAULT_LAYER_TOL_A,
) -> Atoms:
    """Generate a fully periodic bulk SQS whose third cell vector is normal to (hkl).

    The cell is ``lateral_size`` surface primitive cells wide and exactly ``n_layers`` atomic
    planes high, with ``c`` perpendicular to the planes and along +z (``a`` along +x); the
    decoration is optimised on this fixed cell. It is the bulk reference of an alloy slab: add
    vacuum with :func:`lithiophilic.structures.slabs.make_slab_from_oriented_bulk` and the slab
    has exactly these atoms.

    Parameters
    ----------
    composition
        Element fractions (at least two elements, summing to 1).
    miller
        (h, k, l) in the conventional cell (cubic for fcc/bcc, hexagonal for hcp).
    lattice
        "fcc", "bcc" or "hcp".
    a_a
        Lattice constant, Å.
    n_layers
        Atomic planes along c; a multiple of the stacking period with a perpendicular repeat
        (fcc: 3 for (111), 2 for (100) and (110)).
    lateral_size
        (n1, n2) repeats of the surface primitive cell; ``None`` picks the smallest, most square
        cell with sides ≥ 5 Å for which the atom count holds the composition exactly.
    seed
        Random seed (same seed, same decoration).
    cutoffs_a
        icet cutoffs, Å; ``None`` means :func:`lithiophilic.structures.sqs.default_cutoffs_a`.
    n_steps
        Monte Carlo steps; ``None`` means ``max(5000, 200·n_atoms)``.
    c_over_a
        hcp c/a (``None``: ideal).
    layer_tol_a
        Height tolerance for grouping atoms into planes, Å.

    Returns
    -------
    ase.Atoms
        The oriented SQS. ``info``: ``composition``, ``lattice``, ``a_a``, ``miller``,
        ``n_layers``, ``lateral_size``, ``oriented_bulk`` (True) and ``sqs`` (``seed``,
        ``supercell_matrix``, ``n_steps`` and the entries of
        :func:`lithiophilic.structures.sqs.sqs_correlation_report`).

    Raises
    ------
    ConfigurationError
        For a bad composition or Miller index, ``n_layers`` not a multiple of the stacking
        period, or a cell size that cannot hold the composition.
    """
    comp = check_composition(composition)
    hkl = validate_miller(miller)
    cs, prim, cutoffs = cluster_space(
        lattice, sorted(comp), a_a=a_a, cutoffs_a=cutoffs_a, c_over_a=c_over_a
    )
    basis, perp_row, perp_repeat, per_period = _oriented_basis(lattice, prim, a_a, hkl, layer_tol_a)
    repeat = perp_repeat * per_period
    check_n_layers(n_layers, repeat, lattice, hkl)
    atoms_per_layer = len(prim) // per_period
    cell = np.asarray(prim.cell)
    v1, v2 = basis.matrix[0] @ cell, basis.matrix[1] @ cell
    n1, n2 = _lateral_repeats(lateral_size, comp, atoms_per_layer, n_layers, v1, v2)
    n_atoms = n1 * n2 * n_layers * atoms_per_layer
    check_exact(
        comp, n_atoms, n1 * n2 * repeat * atoms_per_layer, "n_atoms (lateral_size × n_layers)"
    )

    matrix = np.array(
        [n1 * basis.matrix[0], n2 * basis.matrix[1], (n_layers // repeat) * perp_row], dtype=int
    )
    supercell = _oriented_supercell(prim, matrix, n_atoms)
    steps = default_n_steps(n_atoms) if n_steps is None else int(n_steps)
    best = run_annealing(cs, [supercell], comp, seed=seed, n_steps=steps)
    report = correlation_report(cs, best, comp)

    atoms = _in_surface_frame(best, v1, basis.normal)
    report.update(
        {
            "seed": int(seed),
            "n_atoms": int(n_atoms),
            "n_steps": steps,
            "cutoffs_a": cutoffs,
            "lattice": lattice,
            "a_a": float(a_a),
            "supercell_matrix": matrix,
            "shortest_image_distance_a": shortest_vector_a(np.asarray(atoms.cell)),
        }
    )
    atoms.info.update(
        {
            "composition": {k: float(v) for k, v in comp.items()},
            "lattice": lattice,
            "a_a": float(a_a),
            "miller": list(hkl),
            "n_layers": int(n_layers),
            "lateral_size": [n1, n2],
            "oriented_bulk": True,
            "sqs": to_builtin(report),
        }
    )
    logger.info(
        "oriented SQS %s%s: %d atoms (%dx%d, %d planes), max |Δ pair| = %.4f",
        lattice,
        hkl,
        n_atoms,
        n1,
        n2,
        n_layers,
        report["max_abs_delta_pair"],
    )
    return atoms


def _oriented_basis(
    lattice: Lattice, prim: Atoms, a_a: float, hkl: tuple[int, int, int], layer_tol_a: float
) -> tuple[SurfaceBasis, np.ndarray, int, int]:
    """Return the surface basis of (hkl) in ``prim`` and its stacking.

    Returns
    -------
    tuple
        ``(basis, perp_row, perp_repeat, planes_per_period)``: the basis; the integer row (in
        ``prim``'s basis) of the shortest lattice vector perpendicular to the planes and the
        number of interplanar periods it spans (3 for fcc(111), 2 for fcc(100)); the atomic
        planes in one period.

    Raises
    ------
    ConfigurationError
        If no lattice vector of ``prim`` is perpendicular to the (hkl) planes.
    """
    conv = _conventional_cell(lattice, prim, a_a)
    hkl_prim = miller_in_basis(hkl, conv, np.asarray(prim.cell))
    basis = surface_basis(np.asarray(prim.cell), hkl_prim)
    if basis.perp_repeat is None or basis.perp_row is None:
        msg = f"miller={hkl} of {lattice} has no lattice vector perpendicular to the planes"
        raise ConfigurationError(msg)
    per_period = _layers_per_period(prim, basis.matrix, basis.normal, layer_tol_a)
    return basis, basis.perp_row, basis.perp_repeat, per_period


def check_n_layers(n_layers: int, repeat: int, lattice: Lattice, hkl: tuple[int, ...]) -> None:
    """Raise unless ``n_layers`` is a positive multiple of the stacking repeat ``repeat``."""
    if not isinstance(n_layers, int | np.integer) or n_layers < 1 or n_layers % repeat:
        msg = (
            f"n_layers={n_layers!r} must be a positive multiple of {repeat} for {lattice}{hkl}: "
            f"the stacking repeats every {repeat} atomic planes (allowed: {repeat}, {2 * repeat}, "
            f"{3 * repeat}, ...)"
        )
        raise ConfigurationError(msg)


def _lateral_repeats(
    lateral_size: tuple[int, int] | None,
    comp: Mapping[str, float],
    atoms_per_layer: int,
    n_layers: int,
    v1: np.ndarray,
    v2: np.ndarray,
) -> tuple[int, int]:
    """Return (n1, n2): ``lateral_size`` checked, or the cell of :func:`_choose_lateral`."""
    if lateral_size is None:
        return _choose_lateral(comp, atoms_per_layer, n_layers, v1, v2)
    n1, n2 = (int(v) for v in lateral_size)
    if n1 < 1 or n2 < 1:
        msg = f"lateral_size={lateral_size!r} must be two positive integers"
        raise ConfigurationError(msg)
    return n1, n2


def _oriented_supercell(prim: Atoms, matrix: np.ndarray, n_atoms: int) -> Atoms:
    """Return the undecorated oriented cell ``matrix`` × ``prim`` (``n_atoms`` atoms)."""
    from ase.build import make_supercell

    supercell = make_supercell(prim, matrix, wrap=True)
    if len(supercell) != n_atoms:  # pragma: no cover - guaranteed by construction
        msg = f"internal error: oriented cell has {len(supercell)} atoms, expected {n_atoms}"
        raise ConfigurationError(msg)
    return supercell


def _in_surface_frame(best: Atoms, v1: np.ndarray, normal: np.ndarray) -> Atoms:
    """Rotate ``best`` so ``a`` is along +x and ``c`` along +z; sort atoms by plane, x, y.

    ``info`` is cleared; the cell is cleaned of rounding noise (``a`` on x, ``b`` in the
    xy-plane, ``c`` on z) and the atoms are wrapped into it.
    """
    rot = surface_frame(v1, normal)
    atoms = best.copy()
    atoms.info.clear()
    atoms.set_cell(np.asarray(best.cell) @ rot.T, scale_atoms=True)
    atoms.cell[2] = [0.0, 0.0, float(np.linalg.norm(atoms.cell[2]))]
    atoms.cell[0, 1:] = 0.0
    atoms.cell[1, 2] = 0.0
    atoms.set_scaled_positions(best.get_scaled_positions(wrap=True))
    atoms.wrap(eps=1e-6)
    order = np.lexsort(
        (atoms.positions[:, 1], atoms.positions[:, 0], np.round(atoms.positions[:, 2], 3))
    )
    return atoms[order]
