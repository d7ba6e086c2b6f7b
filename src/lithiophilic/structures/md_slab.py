"""Large slabs with dispersed Li adatoms for the aggregation MD (pure functions, ASE Atoms).

* :func:`make_md_bulk` — the periodic cell the slab is cut from: the bulk of an element or ordered
  compound, or, for a random alloy, an oriented SQS tile (``c`` ⟂ (hkl), e.g. 5×5 surface cells ×
  6 planes = 150 atoms, exact for the paper's solid solution,
  ``defaults.PAPER_ROLES["solid_solution"]``) that :func:`make_md_slab` repeats laterally.
  Tiling keeps the SQS pair correlations of the tile; the alloy decoration then repeats every
  tile (≈ 13 Å for a 5×5 (111) tile of that alloy), which the Li see as a superlattice.
* :func:`make_md_slab` — the slab (``a`` along x, ``c`` along z, bottom planes fixed) with
  ``info["z_top_a"]`` (height of the top plane) and ``info["n_top_atoms"]``.
* :func:`add_dispersed_li` — N Li atoms at random in-plane positions with a minimum in-plane
  spacing (periodic, any in-plane cell), ``height_a`` above the top plane.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import validate_miller
from lithiophilic.structures._slab_tools import layer_indices, surface_area_a2
from lithiophilic.structures.materials import _find_named, make_bulk, parse_composition
from lithiophilic.structures.oriented_sqs import make_oriented_sqs
from lithiophilic.structures.slabs import make_slab_from_oriented_bulk, make_slabs

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "add_dispersed_li",
    "check_spacing_exceeds_cutoffs",
    "coverage_to_n_li",
    "fcc111_area_a2",
    "make_md_bulk",
    "make_md_slab",
    "max_dispersed_li",
    "scale_lattice",
]

logger = logging.getLogger(__name__)


def make_md_bulk(
    material: str,
    *,
    miller: Sequence[int] = (1, 1, 1),
    n_layers: int = 6,
    sqs_tile: tuple[int, int] = (5, 5),
    seed: int = 0,
    a_a: float | None = None,
) -> Atoms:
    """Return the periodic cell an MD slab of ``material`` is cut from.

    Parameters
    ----------
    material
        Named material, element or solid-solution formula (see
        :func:`lithiophilic.structures.make_bulk`).
    miller
        Surface (conventional-cell Miller index); used for the oriented SQS tile.
    n_layers
        Atomic planes of the oriented SQS tile (= of the slab).
    sqs_tile
        Surface cells of the SQS tile (solid solutions only).
    seed
        SQS seed.
    a_a
        Lattice constant, Å (``None``: registry value or Vegard's law).

    Returns
    -------
    ase.Atoms
        Bulk cell; ``info["material"]``, ``info["a_a"]``; an SQS tile also ``oriented_bulk``.

    Raises
    ------
    ConfigurationError
        For an unknown material or an SQS tile that cannot hold the composition exactly.
    """
    name = material.strip()
    spec = _find_named(name, None)
    if spec is None:
        composition = parse_composition(name)
        spec = _find_named(name, composition)
    else:
        composition = dict(spec.composition)
    is_ss = (spec is not None and spec.kind == "solid_solution") or (
        spec is None and len(composition) > 1
    )
    if not is_ss:
        return make_bulk(name, a_a=a_a, seed=seed)
    from lithiophilic.structures.materials import vegard_lattice_constant_a

    lattice = spec.lattice if spec is not None else "fcc"
    if a_a is None:
        a_a = spec.a_a if spec is not None else vegard_lattice_constant_a(composition, lattice)
    atoms = make_oriented_sqs(
        composition,
        validate_miller(miller),
        lattice=lattice,  # type: ignore[arg-type]
        a_a=float(a_a),
        n_layers=n_layers,
        lateral_size=sqs_tile,
        seed=seed,
    )
    atoms.info.update({"material": spec.name if spec is not None else name, "a_a": float(a_a)})
    return atoms


def scale_lattice(bulk: Atoms, a_a: float) -> Atoms:
    """Return a copy of ``bulk`` uniformly scaled to lattice constant ``a_a`` (Å)."""
    old = float(bulk.info["a_a"])
    atoms = bulk.copy()
    atoms.set_cell(np.asarray(bulk.cell) * (a_a / old), scale_atoms=True)
    atoms.info["a_a"] = float(a_a)
    return atoms


def make_md_slab(
    bulk: Atoms,
    *,
    miller: Sequence[int] = (1, 1, 1),
    lateral_size: tuple[int, int] = (15, 15),
    n_layers: int = 6,
    n_fixed_layers: int = 2,
    vacuum_a: float = 30.0,
) -> Atoms:
    """Cut a large slab with the bottom ``n_fixed_layers`` planes fixed.

    Parameters
    ----------
    bulk
        From :func:`make_md_bulk` (an oriented SQS tile is repeated laterally and must divide
        ``lateral_size``).
    miller
        Surface; ignored for an oriented SQS tile (its own).
    lateral_size
        Surface primitive cells along a and b.
    n_layers
        Atomic planes (for an oriented SQS tile: those of the tile).
    n_fixed_layers
        Bottom planes held fixed.
    vacuum_a
        Total vacuum, Å.

    Returns
    -------
    ase.Atoms
        The slab; ``info``: slab info plus ``z_top_a``, ``n_top_atoms``, ``lateral_size``.

    Raises
    ------
    ConfigurationError
        For a bad size, a lateral size the SQS tile does not divide, or too many fixed planes.
    """
    n1, n2 = (int(v) for v in lateral_size)
    if n1 < 1 or n2 < 1:
        msg = f"lateral_size={lateral_size!r} must be two positive integers"
        raise ConfigurationError(msg)
    if bulk.info.get("oriented_bulk"):
        t1, t2 = bulk.info["lateral_size"]
        if n1 % t1 or n2 % t2:
            msg = (
                f"lateral_size={lateral_size!r} must be a multiple of the SQS tile "
                f"{(t1, t2)} (e.g. {(3 * t1, 3 * t2)})"
            )
            raise ConfigurationError(msg)
        tiled = bulk.repeat((n1 // t1, n2 // t2, 1))
        tiled.info = dict(bulk.info)
        slab = make_slab_from_oriented_bulk(
            tiled, vacuum_a=vacuum_a, n_fixed_layers=n_fixed_layers, fix="bottom"
        )
    else:
        slab = make_slabs(
            bulk,
            validate_miller(miller),
            n_layers=n_layers,
            vacuum_a=vacuum_a,
            n_fixed_layers=n_fixed_layers,
            fix="bottom",
            supercell=(n1, n2),
            symmetric=False,
            max_terminations=1,
        )[0]
    layers = layer_indices(slab)
    top = layers == layers.max()
    slab.info.update(
        {
            "z_top_a": float(slab.positions[top, 2].mean()),
            "n_top_atoms": int(top.sum()),
            "lateral_size": [n1, n2],
        }
    )
    logger.info(
        "MD slab %s: %d atoms, %d planes, area %.0f Å2",
        slab.get_chemical_formula(),
        len(slab),
        int(layers.max()) + 1,
        surface_area_a2(slab),
    )
    return slab


def coverage_to_n_li(slab: Atoms, coverage: float) -> int:
    """Return the Li count for ``coverage`` monolayers (Li per top-plane substrate atom)."""
    if not 0 < coverage <= 1:
        msg = f"coverage={coverage} must be in (0, 1] monolayer"
        raise ConfigurationError(msg)
    return max(1, round(coverage * int(slab.info["n_top_atoms"])))


def max_dispersed_li(area_a2: float, min_spacing_a: float) -> int:
    """Return how many Li random sequential addition fits on ``area_a2`` with ``min_spacing_a``.

    Random sequential addition of discs of diameter d jams at a covered fraction of 0.547.
    """
    return int(0.547 * area_a2 / (math.pi * (min_spacing_a / 2) ** 2))


def check_spacing_exceeds_cutoffs(
    min_spacing_a: float, cutoffs_a: Sequence[float], *, field: str = "li_min_spacing_a"
) -> None:
    """Refuse a Li placement spacing that does not exceed every Li–Li analysis cutoff.

    The analysed run starts from the placement (Li held apart in-plane), so every Li is
    isolated in the first frame only if the minimum spacing exceeds the largest cutoff.

    Raises
    ------
    ConfigurationError
        Naming ``field`` if ``min_spacing_a`` ≤ max(``cutoffs_a``).
    """
    if cutoffs_a and not min_spacing_a > max(cutoffs_a):
        msg = (
            f"{field}={min_spacing_a} Å must exceed the largest Li-Li analysis cutoff "
            f"({max(cutoffs_a)} Å of {sorted(cutoffs_a)}), else Li start clustered; raise "
            f"{field} or lower the cutoffs"
        )
        raise ConfigurationError(msg)


def fcc111_area_a2(a_a: float, lateral_size: tuple[int, int]) -> float:
    """Return the area of ``lateral_size`` fcc(111) surface primitive cells, Å²."""
    return lateral_size[0] * lateral_size[1] * math.sqrt(3) / 4 * a_a**2


def add_dispersed_li(
    slab: Atoms,
    n_li: int,
    *,
    min_spacing_a: float = 4.0,
    height_a: float = 2.2,
    seed: int = 0,
    max_attempts: int = 200,
) -> Atoms:
    """Return a copy of ``slab`` with ``n_li`` Li atoms dispersed at random on top.

    Random sequential addition: candidate in-plane positions (uniform in the periodic cell)
    are accepted if their minimum-image in-plane distance to every placed Li is at least
    ``min_spacing_a``.  Li sit ``height_a`` above the top plane (``info["z_top_a"]``).

    Raises
    ------
    ConfigurationError
        If ``n_li`` < 1, or ``n_li`` Li do not fit with ``min_spacing_a`` (the message gives the
        hard-disc bound and the area).
    """
    from ase import Atoms as AseAtoms

    from lithiophilic.structures.sites import inplane_mic

    if not isinstance(n_li, int | np.integer) or n_li < 1:
        msg = f"n_li={n_li!r} must be a positive integer"
        raise ConfigurationError(msg)
    if not min_spacing_a > 0:
        msg = f"min_spacing_a={min_spacing_a} must be > 0 Å"
        raise ConfigurationError(msg)
    cell2d = np.asarray(slab.cell)[:2, :2]
    area = surface_area_a2(slab)
    jam = max_dispersed_li(area, min_spacing_a)
    if n_li > jam:
        msg = (
            f"n_li={n_li} Li cannot be dispersed with min_spacing_a={min_spacing_a} Å on "
            f"{area:.0f} Å2 (random placement fits at most ~{jam}); lower n_li or the spacing, "
            "or enlarge the slab"
        )
        raise ConfigurationError(msg)
    rng = np.random.default_rng(seed)
    placed = np.zeros((0, 2))
    for _ in range(max_attempts):
        cand = rng.random((4 * n_li, 2)) @ cell2d
        for xy in cand:
            if len(placed):
                d = np.linalg.norm(inplane_mic(placed - xy, cell2d), axis=1)
                if d.min() < min_spacing_a:
                    continue
            placed = np.vstack([placed, xy])
            if len(placed) == n_li:
                break
        if len(placed) == n_li:
            break
    else:
        msg = (
            f"n_li={n_li} Li could not be placed with min_spacing_a={min_spacing_a} Å in "
            f"{max_attempts} rounds (area {area:.0f} Å2); lower n_li or the spacing"
        )
        raise ConfigurationError(msg)
    z = float(slab.info["z_top_a"]) + height_a
    li = AseAtoms(
        "Li" * n_li, positions=np.column_stack([placed, np.full(n_li, z)]), cell=slab.cell
    )
    out = slab.copy()
    out += li
    out.info = dict(slab.info)
    out.info.update({"n_li": int(n_li), "li_min_spacing_a": float(min_spacing_a)})
    return out
