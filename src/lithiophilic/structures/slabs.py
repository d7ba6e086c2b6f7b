"""Periodic slab models: one slab per distinct termination, with layer tags and fixed layers.

Conventions shared by every slab made here:

* Miller indices refer to the conventional standard cell of the bulk (pymatgen
  ``SpacegroupAnalyzer.get_conventional_standard_structure``); (2, 0, 0) is the (1, 0, 0) family.
* An *atomic plane* (layer) is a group of atoms whose heights along the surface normal differ by
  no more than ``layer_tol_a`` from a neighbour in the group (single-linkage clustering).
* ``a`` and ``b`` span the surface, ``c`` is perpendicular to it and along +z, ``a`` along +x;
  ``pbc = (True, True, True)``.
* ``vacuum_a`` is the *total* vacuum gap between the top atom and the bottom atom of the next
  periodic image: ``c = slab_thickness_a + vacuum_a``, with ``vacuum_a / 2`` below and above the
  slab (the slab is centred in z). It must be at least 8 Å.
* Tags are layer numbers with the top layer = 1 (ASE convention); atoms are sorted bottom to top.
* ``fix="bottom"`` fixes the ``n_fixed_layers`` lowest planes; ``fix="center"`` fixes the
  ``n_fixed_layers`` central planes (if the free planes cannot be split evenly, the extra one is
  on top), leaving both faces free to relax.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import (
    DEFAULT_LAYER_TOL_A,
    DEFAULT_VACUUM_A,
    cluster_heights,
    copy_atoms,
    element_counts,
    validate_miller,
    validate_vacuum,
)
from lithiophilic.structures._lattice import miller_in_basis, surface_basis, surface_frame
from lithiophilic.structures._slab_tools import (
    as_structure,
    bulk_formula,
    check_fixed,
    finish_slab,
    is_stoichiometric,
    is_symmetric_slab,
    layer_indices,
    planes_per_period,
    same_slab,
    surface_area_a2,
)

if TYPE_CHECKING:
    from ase import Atoms

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MIN_THICKNESS_A",
    "is_symmetric_slab",
    "layer_indices",
    "make_slab_from_oriented_bulk",
    "make_slabs",
    "surface_area_a2",
]

#: Slab thickness (Å) used when neither ``n_layers`` nor ``min_thickness_a`` is given.
DEFAULT_MIN_THICKNESS_A = 10.0

Fix = Literal["bottom", "center"]


def _bulk_to_primitive(bulk: Atoms, symprec: float) -> tuple[Atoms, np.ndarray]:
    """Conventional standard cell (matrix) and the primitive cell in the same frame."""
    from ase import Atoms
    from pymatgen.core import Lattice, Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    cell = np.asarray(bulk.cell)
    if bulk.cell.rank != 3:
        msg = "bulk must be a 3D periodic crystal with a full cell"
        raise ConfigurationError(msg)
    structure = Structure(
        Lattice(cell), bulk.get_chemical_symbols(), bulk.positions, coords_are_cartesian=True
    )
    conv = SpacegroupAnalyzer(structure, symprec=symprec).get_conventional_standard_structure()
    prim = conv.get_primitive_structure(tolerance=max(symprec, 1e-3))
    prim_atoms = Atoms(
        [str(site.specie) for site in prim],
        positions=prim.cart_coords,
        cell=prim.lattice.matrix,
        pbc=True,
    )
    return prim_atoms, np.asarray(conv.lattice.matrix)


def _choose_plane_count(
    build: Callable[[int], Atoms],
    counts: Sequence[int],
    fallback: int,
    bulk_counts: dict[str, int],
    *,
    require_symmetric: bool,
) -> int | None:
    """Pick the first symmetric and stoichiometric count, else the first symmetric one.

    Without ``require_symmetric`` the first count is taken. ``None`` if no count is symmetric.
    """
    if not require_symmetric:
        return counts[0] if counts else fallback
    first_symmetric = None
    for count in counts:
        probe = build(count)
        if not probe.info["symmetric"]:
            continue
        if is_stoichiometric(element_counts(probe), bulk_counts):
            return count
        if first_symmetric is None:
            first_symmetric = count
    return first_symmetric


def _check_slab_arguments(
    n_layers: int | None,
    min_thickness_a: float | None,
    n_fixed_layers: int,
    fix: str,
    supercell: tuple[int, int],
    max_terminations: int | None,
) -> float | None:
    """Check the settings of :func:`make_slabs`; return ``min_thickness_a`` (defaulted)."""
    if fix not in ("bottom", "center"):
        msg = f"fix={fix!r} is not allowed; use 'bottom' or 'center'"
        raise ConfigurationError(msg)
    if n_layers is not None and min_thickness_a is not None:
        msg = "give either n_layers or min_thickness_a, not both"
        raise ConfigurationError(msg)
    if n_layers is not None:
        if not isinstance(n_layers, int | np.integer) or n_layers < 1:
            msg = f"n_layers={n_layers!r} must be a positive integer (number of atomic planes)"
            raise ConfigurationError(msg)
        check_fixed(n_fixed_layers, int(n_layers), fix)
    elif min_thickness_a is None:
        min_thickness_a = DEFAULT_MIN_THICKNESS_A
    if min_thickness_a is not None and not min_thickness_a > 0:
        msg = f"min_thickness_a={min_thickness_a!r} must be a positive thickness in Å"
        raise ConfigurationError(msg)
    if len(tuple(supercell)) != 2 or not all(
        isinstance(v, int | np.integer) and v >= 1 for v in supercell
    ):
        msg = f"supercell={supercell!r} must be two positive integers (n1, n2)"
        raise ConfigurationError(msg)
    if max_terminations is not None and max_terminations < 1:
        msg = f"max_terminations={max_terminations!r} must be None or >= 1"
        raise ConfigurationError(msg)
    return min_thickness_a


@dataclass
class _Stack:
    """A stack of whole stacking periods of the bulk in the slab frame, split into planes.

    ``labels`` numbers the atomic plane of each atom (bottom up) and ``plane_z`` holds the
    mean height of each plane; :meth:`build` cuts a slab of ``count`` planes from ``start``.
    """

    cell_r: np.ndarray
    positions: np.ndarray
    symbols: list[str]
    labels: np.ndarray
    plane_z: np.ndarray
    period: float
    planes_per_period: int
    bulk_counts: dict[str, int]
    vacuum_a: float
    layer_tol_a: float
    symprec: float

    def build(self, start: int, count: int, **kwargs: Any) -> Atoms:
        """Return the slab of planes ``start`` to ``start + count - 1`` (settings overridable)."""
        mask = (self.labels >= start) & (self.labels < start + count)
        symbols = [s for s, m in zip(self.symbols, mask, strict=True) if m]
        settings: dict[str, Any] = {
            "vacuum_a": self.vacuum_a,
            "n_fixed_layers": 0,
            "fix": "bottom",
            "layer_tol_a": self.layer_tol_a,
            "supercell": (1, 1),
            "symprec": self.symprec,
            "info": {},
        }
        settings.update(kwargs)
        return finish_slab(
            symbols, self.positions[mask], self.cell_r[0], self.cell_r[1], **settings
        )


def _oriented_stack(
    bulk: Atoms,
    hkl: tuple[int, int, int],
    n_layers: int | None,
    target_a: float,
    *,
    vacuum_a: float,
    layer_tol_a: float,
    symprec: float,
) -> _Stack:
    """Orient the bulk with (hkl) normal to +z and stack enough periods for any termination."""
    prim, conv_cell = _bulk_to_primitive(bulk, symprec)
    hkl_prim = miller_in_basis(hkl, conv_cell, np.asarray(prim.cell))
    basis = surface_basis(np.asarray(prim.cell), hkl_prim)
    cell_o = basis.matrix @ np.asarray(prim.cell)
    rot = surface_frame(cell_o[0], basis.normal)
    cell_r = cell_o @ rot.T
    frac = np.linalg.solve(cell_o.T, prim.positions.T).T
    frac -= np.floor(frac + 1e-9)
    pos_r = frac @ cell_r
    period = float(cell_r[2, 2])
    ppp = planes_per_period(pos_r[:, 2], period, layer_tol_a)
    # Plane count needed, per termination, is at most N0 + 2 periods; build a stack with margin.
    if n_layers is not None:
        n_max = int(n_layers) + 2 * ppp
    else:
        n_max = (math.ceil(target_a / period) + 3) * ppp
    n_periods = n_max // ppp + 4
    stack_pos = np.concatenate([pos_r + k * cell_r[2] for k in range(n_periods)])
    labels = cluster_heights(stack_pos[:, 2], layer_tol_a)
    return _Stack(
        cell_r=cell_r,
        positions=stack_pos,
        symbols=prim.get_chemical_symbols() * n_periods,
        labels=labels,
        plane_z=np.array([stack_pos[labels == j, 2].mean() for j in range(labels.max() + 1)]),
        period=period,
        planes_per_period=ppp,
        bulk_counts=element_counts(prim),
        vacuum_a=vacuum_a,
        layer_tol_a=layer_tol_a,
        symprec=symprec,
    )


def _plane_count(
    stack: _Stack,
    s: int,
    n_layers: int | None,
    target_a: float,
    *,
    symmetric: bool,
    what: str,
) -> int:
    """Planes of the slab of termination ``s`` (see :func:`make_slabs`); logs a polar fallback."""
    ppp = stack.planes_per_period
    start = ppp + s
    if n_layers is not None:
        n0 = fallback = int(n_layers)
    else:
        n0 = 1
        while stack.plane_z[start + n0 - 1] - stack.plane_z[start] < target_a - 1e-9:
            n0 += 1
        fallback = math.ceil(n0 / ppp) * ppp
    counts = list(range(n0, n0 + 2 * ppp)) if symmetric else [fallback]
    chosen = _choose_plane_count(
        functools.partial(stack.build, start),
        counts,
        fallback,
        stack.bulk_counts,
        require_symmetric=symmetric,
    )
    if chosen is None:
        chosen = fallback
        logger.warning(
            "%s termination starting at plane %d: no symmetric slab with %d-%d planes; "
            "returning the stoichiometric %d-plane slab (symmetric=False)",
            what,
            s,
            counts[0],
            counts[-1],
            fallback,
        )
    return chosen


def make_slabs(
    bulk: Atoms,
    miller: tuple[int, int, int],
    *,
    n_layers: int | None = None,
    min_thickness_a: float | None = None,
    vacuum_a: float = DEFAULT_VACUUM_A,
    n_fixed_layers: int = 0,
    fix: Fix = "center",
    supercell: tuple[int, int] = (1, 1),
    symmetric: bool = True,
    max_terminations: int | None = None,
    layer_tol_a: float = DEFAULT_LAYER_TOL_A,
    symprec: float = 0.01,
) -> list[Atoms]:
    """Cut one slab per distinct termination of a bulk crystal.

    The slab is a stack of whole atomic planes of the bulk with the surface primitive cell
    (times ``supercell``) in-plane. A termination is the plane the stack starts from; starting
    planes that give congruent slabs (pymatgen ``StructureMatcher``) are one termination.

    Thickness: ``n_layers`` counts atomic planes (z-clustered with ``layer_tol_a``) and is exact
    when ``symmetric=False``. With ``min_thickness_a`` the slab is the thinnest stack with
    ``slab_thickness_a >= min_thickness_a`` (atom centre to atom centre), rounded up to whole
    stacking periods when ``symmetric=False`` (so it is stoichiometric). With ``symmetric=True``
    the plane count, starting from ``n_layers`` or from the thinnest stack, is increased (by less
    than two stacking periods) until the two faces are symmetry-equivalent, preferring a count
    that is also stoichiometric; if none exists (polar directions such as γ-brass [111]) the
    stoichiometric slab is returned flagged ``symmetric=False`` and a warning is logged. For fcc
    and bcc lattices every plane count is already symmetric and stoichiometric, so ``n_layers``
    is exact: Cu(111), (100), (110) with ``n_layers=N`` have N atoms in 1×1. Lattices with a
    basis may need more planes (hcp (10-10): an even count). For complex structures (γ-brass)
    use ``min_thickness_a``; ``info["n_layers"]`` always reports the planes in the slab.

    Parameters
    ----------
    bulk
        Bulk crystal (any cell; it is standardised first).
    miller
        (h, k, l) in the conventional standard cell.
    n_layers
        Number of atomic planes (see above). Exclusive with ``min_thickness_a``.
    min_thickness_a
        Minimum slab thickness, Å. ``None`` with ``n_layers=None`` means 10 Å.
    vacuum_a
        Total vacuum gap between periodic images, Å (≥ 8).
    n_fixed_layers
        Number of planes held fixed by a ``FixAtoms`` constraint.
    fix
        "bottom" or "center" (see module docstring).
    supercell
        Lateral repeats (n1, n2) of the surface primitive cell.
    symmetric
        Prefer slabs whose two faces are equivalent (see above).
    max_terminations
        Keep at most this many terminations (in order of the starting plane); ``None``: all.
    layer_tol_a
        Plane clustering tolerance, Å.
    symprec
        Symmetry tolerance (standardisation, face equivalence), Å.

    Returns
    -------
    list of ase.Atoms
        One slab per termination. ``info``: ``miller``, ``termination``, ``shift`` (fractional
        height of the cut within the stacking period), ``n_layers``, ``planes_per_period``,
        ``symmetric``, ``stoichiometric``, ``area_a2``, ``vacuum_a``, ``slab_thickness_a``,
        ``n_fixed_layers``, ``fix``, ``supercell``, ``bulk_formula``, ``element_counts``,
        ``surface_composition`` (bottom/top plane counts), ``material`` (if the bulk has one).

    Raises
    ------
    ConfigurationError
        For a bad ``miller``, ``vacuum_a`` < 8 Å, too many ``n_fixed_layers``, both or invalid
        thickness settings, or a bad ``supercell``/``fix``/``max_terminations``.
    """
    hkl = validate_miller(miller)
    vacuum_a = validate_vacuum(vacuum_a)
    min_thickness_a = _check_slab_arguments(
        n_layers, min_thickness_a, n_fixed_layers, fix, supercell, max_terminations
    )
    if "sqs" in bulk.info:
        logger.warning(
            "make_slabs on an SQS: Miller indices refer to the SQS cell's own standard cell, not "
            "the parent lattice; use make_oriented_sqs + make_slab_from_oriented_bulk instead"
        )
    target_a = 0.0 if min_thickness_a is None else float(min_thickness_a)
    stack = _oriented_stack(
        bulk, hkl, n_layers, target_a, vacuum_a=vacuum_a, layer_tol_a=layer_tol_a, symprec=symprec
    )
    ppp = stack.planes_per_period
    info_base: dict[str, Any] = {
        "miller": list(hkl),
        "bulk_formula": bulk_formula(bulk),
        "planes_per_period": ppp,
    }
    if "material" in bulk.info:
        info_base["material"] = bulk.info["material"]

    what = f"{info_base['bulk_formula']}{hkl}"
    slabs: list[Atoms] = []
    kept: list[Any] = []
    for s in range(ppp):
        start = ppp + s
        chosen = _plane_count(stack, s, n_layers, target_a, symmetric=symmetric, what=what)
        structure = as_structure(stack.build(start, chosen))
        if any(same_slab(structure, other) for other in kept):
            logger.debug("termination starting at plane %d duplicates an earlier one", s)
            continue
        kept.append(structure)
        cut = 0.5 * (stack.plane_z[start - 1] + stack.plane_z[start])
        info = dict(info_base)
        info["shift"] = round(float(np.mod(cut, stack.period) / stack.period), 6)
        info["termination"] = len(slabs)
        slab = stack.build(
            start,
            chosen,
            n_fixed_layers=n_fixed_layers,
            fix=fix,
            supercell=(int(supercell[0]), int(supercell[1])),
            info=info,
        )
        slab.info["stoichiometric"] = is_stoichiometric(element_counts(slab), stack.bulk_counts)
        slabs.append(slab)
        if max_terminations is not None and len(slabs) >= max_terminations:
            break
    logger.info(
        "%s%s: %d termination(s), %s atoms",
        info_base["bulk_formula"],
        hkl,
        len(slabs),
        [len(s) for s in slabs],
    )
    return slabs


#: Largest |cos| between c and a or b accepted by make_slab_from_oriented_bulk (~1°).
_MAX_TILT_COS = 0.02


def make_slab_from_oriented_bulk(
    bulk_cell: Atoms,
    *,
    vacuum_a: float = DEFAULT_VACUUM_A,
    n_fixed_layers: int = 0,
    fix: Fix = "center",
    layer_tol_a: float = DEFAULT_LAYER_TOL_A,
    symprec: float = 0.01,
) -> Atoms:
    """Turn a periodic cell whose ``c`` is normal to its atomic planes into a slab.

    The slab holds exactly the atoms of ``bulk_cell`` (so ``E_bulk/N`` of that cell is an exact
    reference), cut at the widest gap between planes and centred with ``vacuum_a`` of vacuum.
    Use it with :func:`lithiophilic.structures.oriented_sqs.make_oriented_sqs`. An SQS slab is
    generally not symmetric (its faces carry different decorations): ``info["symmetric"]`` says so.

    Parameters
    ----------
    bulk_cell
        Periodic cell with ``c ⟂ a, b``.
    vacuum_a
        Total vacuum gap between periodic images, Å (≥ 8).
    n_fixed_layers
        Number of planes held fixed.
    fix
        "bottom" or "center".
    layer_tol_a
        Plane clustering tolerance, Å.
    symprec
        Tolerance of the face-equivalence test, Å.

    Returns
    -------
    ase.Atoms
        The slab; ``info`` as in :func:`make_slabs` (``termination`` 0, ``shift`` of the cut,
        ``stoichiometric`` True) plus the ``info`` of ``bulk_cell`` (e.g. ``sqs``, ``material``).

    Raises
    ------
    ConfigurationError
        If ``c`` is tilted from the normal of ``a`` and ``b`` by more than ~1° (small tilts,
        e.g. from a cell relaxation, are projected out), ``vacuum_a`` < 8 Å or
        ``n_fixed_layers`` is too large.
    """
    vacuum_a = validate_vacuum(vacuum_a)
    if fix not in ("bottom", "center"):
        msg = f"fix={fix!r} is not allowed; use 'bottom' or 'center'"
        raise ConfigurationError(msg)
    cell = np.asarray(bulk_cell.cell, dtype=float)
    lengths = np.linalg.norm(cell, axis=1)
    cos_ac = abs(cell[0] @ cell[2]) / (lengths[0] * lengths[2])
    cos_bc = abs(cell[1] @ cell[2]) / (lengths[1] * lengths[2])
    # A cell-relaxed SQS cell may shear slightly: c is then replaced by its component along
    # the normal (atoms keep their Cartesian positions; the tilt only shifts the planes
    # in-plane, which the periodic slab does not see).  Large tilts are an input error.
    if max(cos_ac, cos_bc) > _MAX_TILT_COS:
        msg = (
            f"bulk_cell: c is not perpendicular to a and b (|cos(a,c)|={cos_ac:.2e}, "
            f"|cos(b,c)|={cos_bc:.2e}); build it with make_oriented_sqs or orient c along the "
            "surface normal"
        )
        raise ConfigurationError(msg)
    normal = np.cross(cell[0], cell[1])
    normal /= np.linalg.norm(normal)
    if normal @ cell[2] < 0:
        normal = -normal
    rot = surface_frame(cell[0], normal)
    cell_r = cell @ rot.T
    frac = bulk_cell.get_scaled_positions(wrap=True)
    pos = frac @ cell_r
    period = float(cell_r[2, 2])
    z = pos[:, 2]
    order = np.sort(z)
    gaps = np.diff(np.concatenate([order, [order[0] + period]]))
    widest = gaps.max()
    # Among equally wide gaps prefer the one across the cell boundary, so the planes keep the
    # order they have in bulk_cell; otherwise take the lowest.
    candidates = np.flatnonzero(gaps > widest - 1e-6)
    pick = len(gaps) - 1 if candidates[-1] == len(gaps) - 1 else candidates[0]
    cut = float(np.mod(order[pick] + gaps[pick] / 2.0, period))
    pos[:, 2] = np.mod(z - cut, period)
    info = copy_atoms(bulk_cell).info
    for key in ("oriented_bulk", "planes_per_period"):
        info.pop(key, None)
    info.update(
        {
            "termination": 0,
            "shift": round(cut / period, 6),
            "bulk_formula": bulk_formula(bulk_cell),
            "n_atoms_bulk": len(bulk_cell),
        }
    )
    info.setdefault("miller", None)
    slab = finish_slab(
        bulk_cell.get_chemical_symbols(),
        pos,
        cell_r[0],
        cell_r[1],
        vacuum_a=vacuum_a,
        n_fixed_layers=n_fixed_layers,
        fix=fix,
        layer_tol_a=layer_tol_a,
        supercell=(1, 1),
        symprec=symprec,
        info=info,
    )
    slab.info["stoichiometric"] = True
    return slab
