"""Multilayer Li on a slab: ideal Li overlayers for the layer-by-layer binding energy (Fig. 5d,e).

Two constructions, both returning a new slab with whole Li layers on the top (+z) face:

``"pseudomorphic"`` (fcc(111) substrates only)
    One Li per surface atom in every layer; each Li layer occupies the three-fold hollows of
    the layer below. ``stacking="continue"`` continues the substrate's ABC stacking (the first
    Li layer on the fcc hollows, each Li above a hollow of the layer below with no atom under
    it two layers down); ``stacking="hcp"`` stacks AB (first Li layer on the hcp hollows, above
    the substrate's second plane). The Li layer carries the substrate's in-plane nearest-neighbour
    distance d_sub, so its mismatch to bcc Li is d_sub/d_Li − 1 with d_Li = a√3/2 (Cu(111):
    2.556 Å vs 2.979 Å for a = 3.44 Å, −14.2 %; Cu0.64Zn0.36(111), a = 3.69 Å: −12.4 %),
    and it is ~1.5× denser than a bcc Li(110) plane.

``"bcc110"``
    A commensurate, strained bcc Li(110) layer (the densest bcc plane, quasi-hexagonal:
    primitive vectors of length a√3/2 at 109.47°, a²/√2 per atom), stacked AB as in bcc
    (each layer shifted by half the short diagonal a/2, spacing a/√2). The lateral cell is the
    smallest supercell of the slab's in-plane cell (Hermite normal forms of index 1, 2, …,
    ``max_cells``) holding a whole number of Li(110) cells with every principal in-plane strain
    of the Li lattice at most ``max_strain``; among cells of the same size the least strained
    wins. The registry (in-plane offset) of the first layer is the one that lets it sit lowest
    without any Li closer than the Li–substrate distance below to a surface atom. Measured
    with a_Li = 3.44 Å (``info["li_layers"]["strain"]`` has the numbers of any slab):

    * Cu(111) 1×1 (d_sub = 2.556 Å), default ``max_strain`` 5 %: a 9-atom oblique supercell
      (matrix [[1, 3], [−3, 0]]) with 6 Li per layer; principal strains −2.2 %, +3.7 % (areal
      +1.4 %), imposed Li nn distances 3.07/2.98 Å, mismatch +1.6 %.
    * fcc(111) 1×1 with a = 3.69 Å (Cu0.64Zn0.36): no cell up to 12 atoms within 5 %; with
      ``max_strain=0.06`` the same 9-atom cell with 6 Li, strains −0.2 %, +5.9 % (areal
      +5.7 %), nn 3.14/3.04 Å, mismatch +3.7 %.
    * a 5×5 Cu0.64Zn0.36(111) SQS slab (a = 3.69 Å): 5 % needs a doubled cell (50 surface
      atoms, 36 Li per layer, strains −3.0 %, +0.9 %); ``max_strain=0.11`` keeps the slab cell
      with 21 Li per layer (strains −10.6 %, −6.2 %).

Spacings (``spacing_a=None``): Li–Li distances are those of bcc Li (d_Li = a√3/2). The
Li–substrate bond is d_LiM = (d_Li + d_sub)/2, the mean of the two metals' nearest-neighbour
distances (additive metallic radii; Li–Cu 2.77 Å). Pseudomorphic: the first layer sits at
√(d_LiM² − r²) above the top plane and each further layer √(d_Li² − r²) above the previous,
r = d_sub/√3 the in-plane hollow–atom distance (Cu(111): 2.34 Å and 2.59 Å). bcc110: the
first layer sits as low as allowed with all Li–surface distances ≥ d_LiM, the next ones
a/√2 apart. ``spacing_a`` replaces all of these by one value.

Bookkeeping: Li atoms are appended after the substrate atoms (layer by layer, bottom up) and
tagged ``-k`` for Li layer k (k = 1 on the substrate); substrate tags are unchanged (top plane
= 1). The total vacuum gap between the top Li layer and the periodic image of the slab bottom
equals the input slab's (``c`` is enlarged).

Growth: :func:`grow_li_layer` turns the ideal n-layer film into the start of a layer-by-layer
series: substrate and layers 1…n−1 from the relaxed (n−1)-layer film, layer n on its ideal
sites moved with layer n−1 (see :class:`~lithiophilic.workflows.binding.LiMultilayerMaker`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.errors import AnalysisError, ConfigurationError
from lithiophilic.structures._common import (
    DEFAULT_LAYER_TOL_A,
    copy_atoms,
    element_counts,
    to_builtin,
)
from lithiophilic.structures._li_overlayer import (
    best_registry,
    check_111,
    lattice_points_in_cell,
    nn_distances,
    repeat_slab,
    search_bcc110,
    stacking_vector,
)
from lithiophilic.structures._slab_tools import layer_indices, surface_area_a2
from lithiophilic.structures.site_geometry import (
    check_surface_cell,
    inplane_image_shifts,
    inplane_mic,
)

if TYPE_CHECKING:
    from ase import Atoms

logger = logging.getLogger(__name__)

__all__ = [
    "CONSTRUCTIONS",
    "DEFAULT_LI_BCC_A_A",
    "MAX_LI_LAYERS",
    "add_li_layers",
    "bcc_li_nn_distance_a",
    "grow_li_layer",
    "lattice_mismatch",
    "li_layer_distortion",
    "search_bcc110",
]

Construction = Literal["pseudomorphic", "bcc110"]
Stacking = Literal["continue", "hcp"]
#: Implemented constructions.
CONSTRUCTIONS: tuple[str, ...] = ("pseudomorphic", "bcc110")
#: Stacking options of the pseudomorphic construction.
STACKINGS: tuple[str, ...] = ("continue", "hcp")
#: Largest number of Li layers accepted by :func:`add_li_layers`.
MAX_LI_LAYERS = 10
#: Lattice constant of bcc Li used when none is given, Å (exp. 3.44–3.51 Å).
DEFAULT_LI_BCC_A_A = 3.44
#: Largest principal strain of the bcc110 overlayer accepted by default.
DEFAULT_MAX_STRAIN = 0.05
#: Largest supercell index (of the slab cell) searched by the bcc110 construction.
DEFAULT_MAX_CELLS = 12


def bcc_li_nn_distance_a(li_bcc_a_a: float = DEFAULT_LI_BCC_A_A) -> float:
    """Return the nearest-neighbour distance a√3/2 of bcc Li, Å."""
    return float(li_bcc_a_a) * math.sqrt(3.0) / 2.0


def lattice_mismatch(substrate_nn_distance_a: float, li_nn_distance_a: float) -> float:
    """Return the relative mismatch (d_sub − d_Li)/d_Li of a Li layer forced onto a substrate.

    Negative: the substrate compresses the Li layer.

    Parameters
    ----------
    substrate_nn_distance_a
        Li in-plane nearest-neighbour distance imposed by the substrate (for a pseudomorphic
        layer, the substrate's in-plane nearest-neighbour distance), Å.
    li_nn_distance_a
        Reference Li nearest-neighbour distance (bcc Li: a√3/2), Å.

    Raises
    ------
    ConfigurationError
        If a distance is not positive.
    """
    for name, value in (
        ("substrate_nn_distance_a", substrate_nn_distance_a),
        ("li_nn_distance_a", li_nn_distance_a),
    ):
        if not (np.isfinite(value) and value > 0):
            msg = f"{name}={value!r} must be a positive distance in Å"
            raise ConfigurationError(msg)
    return (float(substrate_nn_distance_a) - float(li_nn_distance_a)) / float(li_nn_distance_a)


# --------------------------------------------------------------------------- main builder


@dataclass
class _Overlayer:
    """Li layers of one construction: where they go and what describes them."""

    substrate: Atoms
    top: np.ndarray
    layer_xy: list[np.ndarray]
    h1: float
    h: float
    li_per_layer: int
    imposed: list[float]
    mismatch: float
    area_per_li: float
    strain_info: dict[str, Any] | None = None
    matrix: np.ndarray = field(default_factory=lambda: np.eye(2, dtype=int))


def _check_li_layer_arguments(
    n_layers_li: int,
    construction: str,
    stacking: str,
    li_bcc_a_a: float,
    spacing_a: float | None,
    max_strain: float,
    max_cells: int,
) -> None:
    """Raise ConfigurationError for an argument of :func:`add_li_layers` out of its range."""
    if (
        isinstance(n_layers_li, bool)
        or not isinstance(n_layers_li, int | np.integer)
        or not 0 <= n_layers_li <= MAX_LI_LAYERS
    ):
        msg = f"n_layers_li={n_layers_li!r} must be an integer in the range 0–{MAX_LI_LAYERS}"
        raise ConfigurationError(msg)
    if construction not in CONSTRUCTIONS:
        msg = f"construction={construction!r} is unknown; allowed: {', '.join(CONSTRUCTIONS)}"
        raise ConfigurationError(msg)
    if stacking not in STACKINGS:
        msg = f"stacking={stacking!r} is unknown; allowed: {', '.join(STACKINGS)}"
        raise ConfigurationError(msg)
    if construction == "bcc110" and stacking != "continue":
        msg = f"stacking={stacking!r} is not allowed with construction='bcc110' (bcc AB stacking); use 'continue'"
        raise ConfigurationError(msg)
    if not (np.isfinite(li_bcc_a_a) and 2.5 < li_bcc_a_a < 5.0):
        msg = f"li_bcc_a_a={li_bcc_a_a!r} must be a bcc Li lattice constant in Å (2.5–5.0)"
        raise ConfigurationError(msg)
    if spacing_a is not None and not (np.isfinite(spacing_a) and spacing_a > 0.5):
        msg = f"spacing_a={spacing_a!r} must be None or a layer spacing in Å (> 0.5)"
        raise ConfigurationError(msg)
    if not (np.isfinite(max_strain) and 0 < max_strain < 0.5):
        msg = f"max_strain={max_strain!r} must be a strain between 0 and 0.5"
        raise ConfigurationError(msg)
    if not isinstance(max_cells, int | np.integer) or max_cells < 1:
        msg = f"max_cells={max_cells!r} must be a positive integer"
        raise ConfigurationError(msg)


def _pseudomorphic_layers(
    slab: Atoms,
    labels: np.ndarray,
    n_layers_li: int,
    stacking: str,
    spacing_a: float | None,
    *,
    d_sub: float,
    d_li: float,
    d_li_m: float,
) -> _Overlayer:
    """Return the pseudomorphic layers: one Li per surface atom, each layer in hollows."""
    top = np.flatnonzero(labels == labels.max())
    cell2d = np.asarray(slab.cell, dtype=float)[:2, :2]
    check_111(slab, top, cell2d, d_sub)
    if labels.max() < 1:
        msg = "construction='pseudomorphic' needs a slab with at least two atomic planes"
        raise ConfigurationError(msg)
    second = np.flatnonzero(labels == labels.max() - 1)
    s = stacking_vector(slab, top, second, d_sub)
    substrate = copy_atoms(slab)
    r = float(np.linalg.norm(s))
    h1 = math.sqrt(d_li_m**2 - r**2) if spacing_a is None else float(spacing_a)
    h = math.sqrt(d_li**2 - r**2) if spacing_a is None else float(spacing_a)
    base_xy = substrate.positions[top, :2]
    shifts = []
    for k in range(1, n_layers_li + 1):
        if stacking == "continue":
            shifts.append(k * s)
        else:
            shifts.append(-s if k % 2 else np.zeros(2))
    li_per_layer = len(top)
    return _Overlayer(
        substrate=substrate,
        top=top,
        layer_xy=[base_xy + sh for sh in shifts],
        h1=h1,
        h=h,
        li_per_layer=li_per_layer,
        imposed=[d_sub],
        mismatch=lattice_mismatch(d_sub, d_li),
        area_per_li=surface_area_a2(slab) / li_per_layer,
    )


def _bcc110_layers(
    slab: Atoms,
    n_layers_li: int,
    spacing_a: float | None,
    li_bcc_a_a: float,
    max_strain: float,
    max_cells: int,
    layer_tol_a: float,
    *,
    d_li: float,
    d_li_m: float,
) -> _Overlayer:
    """Return strained bcc Li(110) layers, AB-stacked, on the smallest fitting supercell."""
    cell2d = np.asarray(slab.cell, dtype=float)[:2, :2]
    found = search_bcc110(cell2d, d_li, li_bcc_a_a, max_strain, int(max_cells))
    matrix = np.rint(np.linalg.solve(cell2d.T, found["cell2d"].T).T).astype(int)
    if abs(round(float(np.linalg.det(matrix)))) == 1:
        # Same lattice as the slab cell: keep the slab (and its frame) as it is.
        substrate = copy_atoms(slab)
        matrix = np.eye(2, dtype=int)
        li_basis = found["li_basis"]
    else:
        substrate, rot2d = repeat_slab(slab, matrix)
        li_basis = found["li_basis"] @ rot2d.T
    new_cell2d = np.asarray(substrate.cell, dtype=float)[:2, :2]
    sub_labels = layer_indices(substrate, layer_tol_a)
    top_new = np.flatnonzero(sub_labels == sub_labels.max())
    li_per_layer = int(found["n"])
    points = lattice_points_in_cell(li_basis, new_cell2d, li_per_layer)
    offset, h_reg = best_registry(
        points, li_basis, substrate.positions[top_new, :2], new_cell2d, d_li_m
    )
    h1 = h_reg if spacing_a is None else float(spacing_a)
    h = li_bcc_a_a / math.sqrt(2.0) if spacing_a is None else float(spacing_a)
    ab = 0.5 * (li_basis[0] + li_basis[1])
    layer_xy = [points + offset + (ab if k % 2 == 0 else 0.0) for k in range(1, n_layers_li + 1)]
    imposed = [float(v) for v in np.linalg.norm(li_basis, axis=1)]
    area_per_li = surface_area_a2(substrate) / li_per_layer
    return _Overlayer(
        substrate=substrate,
        top=top_new,
        layer_xy=layer_xy,
        h1=h1,
        h=h,
        li_per_layer=li_per_layer,
        imposed=imposed,
        mismatch=lattice_mismatch(float(np.mean(imposed)), d_li),
        area_per_li=area_per_li,
        strain_info={
            "principal": [float(v) for v in found["strains"]],
            "max_abs": float(found["max_strain"]),
            "areal": float(area_per_li / (li_bcc_a_a**2 / math.sqrt(2.0)) - 1.0),
        },
        matrix=matrix,
    )


def add_li_layers(
    slab: Atoms,
    n_layers_li: int,
    *,
    construction: Construction = "pseudomorphic",
    spacing_a: float | None = None,
    stacking: Stacking = "continue",
    li_bcc_a_a: float = DEFAULT_LI_BCC_A_A,
    max_strain: float = DEFAULT_MAX_STRAIN,
    max_cells: int = DEFAULT_MAX_CELLS,
    layer_tol_a: float = DEFAULT_LAYER_TOL_A,
) -> Atoms:
    """Return a new slab with ``n_layers_li`` ideal Li layers on its top face.

    See the module docstring for the two constructions, the spacings, tags and vacuum.
    ``n_layers_li=0`` returns the bare substrate in the cell the construction uses (for
    ``"bcc110"`` possibly a lateral supercell), i.e. the E(0) reference of the layer series.

    Parameters
    ----------
    slab
        Substrate slab (``a``, ``b`` in the xy plane); Li goes on the top (+z) face.
    n_layers_li
        Number of Li layers, 0–10.
    construction
        ``"pseudomorphic"`` (fcc(111) only) or ``"bcc110"``.
    spacing_a
        Vertical spacing between consecutive layers (substrate–Li and Li–Li), Å; ``None``:
        from the nearest-neighbour distances (module docstring).
    stacking
        Pseudomorphic stacking: ``"continue"`` (ABC, fcc hollows) or ``"hcp"`` (AB, hcp
        hollows). ``"bcc110"`` always stacks as bcc and accepts only ``"continue"``.
    li_bcc_a_a
        Lattice constant of bcc Li, Å (use the value relaxed with the calculator).
    max_strain
        ``"bcc110"``: largest accepted |principal strain| of the Li(110) layer.
    max_cells
        ``"bcc110"``: largest supercell index of the slab cell searched.
    layer_tol_a
        Plane clustering tolerance, Å.

    Returns
    -------
    ase.Atoms
        New slab. ``info["li_layers"]``: ``n_layers_li``, ``construction``, ``stacking``,
        ``li_per_layer``, ``indices`` (Li atoms), ``layer_index`` (1…n per Li atom),
        ``ideal_positions`` ([x, y, z] per Li atom), ``li_bcc_a_a``,
        ``bcc_li_nn_distance_a``, ``substrate_nn_distance_a``, ``li_nn_distance_a``
        (imposed in-plane Li–Li distance(s)), ``lattice_mismatch``, ``strain`` (bcc110:
        principal and areal strain of the Li lattice, else ``None``),
        ``area_per_li_a2``, ``density_vs_bcc110`` (Li per area relative to a bcc Li(110)
        plane), ``spacing_substrate_li_a``, ``spacing_li_li_a``, ``n_atoms_substrate``,
        ``substrate_supercell_matrix`` (2×2, rows in the input slab's cell). ``area_a2``,
        ``element_counts`` and ``slab_thickness_a`` describe the new slab.

    Raises
    ------
    ConfigurationError
        For ``n_layers_li`` outside 0–10, an unknown ``construction`` or ``stacking``, a
        non-(111) slab with ``"pseudomorphic"``, bad spacing/lattice constant, or no bcc110
        cell within ``max_strain``/``max_cells``.
    """
    _check_li_layer_arguments(
        n_layers_li, construction, stacking, li_bcc_a_a, spacing_a, max_strain, max_cells
    )
    check_surface_cell(slab)

    d_li = bcc_li_nn_distance_a(li_bcc_a_a)
    labels = layer_indices(slab, layer_tol_a)
    top = np.flatnonzero(labels == labels.max())
    cell2d = np.asarray(slab.cell, dtype=float)[:2, :2]
    d_sub = float(np.median(nn_distances(slab.positions[top, :2], cell2d)))
    d_li_m = 0.5 * (d_li + d_sub)
    if construction == "pseudomorphic":
        layers = _pseudomorphic_layers(
            slab, labels, n_layers_li, stacking, spacing_a, d_sub=d_sub, d_li=d_li, d_li_m=d_li_m
        )
    else:
        layers = _bcc110_layers(
            slab,
            n_layers_li,
            spacing_a,
            li_bcc_a_a,
            max_strain,
            max_cells,
            layer_tol_a,
            d_li=d_li,
            d_li_m=d_li_m,
        )
    return _assemble(
        layers.substrate,
        slab,
        layers.layer_xy,
        layers.top,
        layers.h1,
        layers.h,
        info={
            "n_layers_li": int(n_layers_li),
            "construction": construction,
            "stacking": stacking,
            "li_per_layer": int(layers.li_per_layer),
            "li_bcc_a_a": float(li_bcc_a_a),
            "bcc_li_nn_distance_a": d_li,
            "substrate_nn_distance_a": d_sub,
            "li_nn_distance_a": layers.imposed,
            "lattice_mismatch": float(layers.mismatch),
            "strain": layers.strain_info,
            "area_per_li_a2": float(layers.area_per_li),
            "density_vs_bcc110": float((li_bcc_a_a**2 / math.sqrt(2.0)) / layers.area_per_li),
            "spacing_substrate_li_a": float(layers.h1),
            "spacing_li_li_a": float(layers.h),
            "substrate_supercell_matrix": layers.matrix.tolist(),
        },
    )


def _assemble(
    substrate: Atoms,
    original: Atoms,
    layer_xy: Sequence[np.ndarray],
    top: np.ndarray,
    h1: float,
    h: float,
    *,
    info: dict[str, Any],
) -> Atoms:
    from ase import Atoms

    new = copy_atoms(substrate)
    n_sub = len(new)
    z_top = float(new.positions[top, 2].mean())
    z_bottom = float(new.positions[:, 2].min())
    gap = float(
        original.cell[2, 2] - (original.positions[:, 2].max() - original.positions[:, 2].min())
    )
    positions, layer_index = [], []
    z = z_top
    for k, xy in enumerate(layer_xy, start=1):
        z += h1 if k == 1 else h
        for p in xy:
            positions.append([float(p[0]), float(p[1]), z])
            layer_index.append(k)
    tags = new.get_tags().tolist()
    if positions:
        new += Atoms(["Li"] * len(positions), positions=positions, cell=new.cell, pbc=new.pbc)
        new.set_tags(tags + [-k for k in layer_index])
        frac = new.get_scaled_positions(wrap=False)
        frac[n_sub:, :2] -= np.floor(frac[n_sub:, :2] + 1e-9)
        new.set_scaled_positions(frac)
        positions = new.positions[n_sub:].tolist()
    thickness = float(new.positions[:, 2].max() - z_bottom)
    cell = np.asarray(new.cell, dtype=float)
    if thickness + gap > cell[2, 2]:
        cell[2, 2] = thickness + gap
        new.set_cell(cell, scale_atoms=False)
    info = dict(info)
    info.update(
        {
            "indices": list(range(n_sub, len(new))),
            "layer_index": layer_index,
            "ideal_positions": positions,
            "n_atoms_substrate": n_sub,
        }
    )
    new.info["li_layers"] = to_builtin(info)
    new.info["area_a2"] = surface_area_a2(new)
    new.info["element_counts"] = element_counts(new)
    new.info["slab_thickness_a"] = thickness
    logger.info(
        "%d %s Li layer(s) x %d Li on %s (mismatch %+.1f %%)",
        info["n_layers_li"],
        info["construction"],
        info["li_per_layer"],
        substrate.get_chemical_formula(),
        100 * info["lattice_mismatch"],
    )
    return new


# --------------------------------------------------------------------------- growth


def grow_li_layer(relaxed_below: Atoms, ideal: Atoms) -> Atoms:
    """Return ``ideal`` (n Li layers) with its substrate and layers 1…n−1 taken from a relaxed film.

    Layer-by-layer growth: the substrate and the first n−1 Li layers sit where the relaxation
    of the (n−1)-layer film left them, and the new top layer starts on its ideal sites moved by
    the mean displacement (lateral minimum-image, vertical plain) of layer n−1 from its own
    ideal sites, so it keeps the spacing and registry of the construction relative to the film
    it grows on. Cell, tags, constraints and ``info`` (the ideal positions, for the distortion
    measure) are those of ``ideal``.

    Parameters
    ----------
    relaxed_below
        The relaxed film with n−1 Li layers, atoms in the order :func:`add_li_layers` wrote
        them (substrate, then Li layer by layer).
    ideal
        :func:`add_li_layers` output with n ≥ 2 layers on the same substrate and cell.

    Raises
    ------
    ConfigurationError
        If ``ideal`` has no ``info["li_layers"]`` or the two structures do not share the
        substrate, the first n−1 layers (same elements in the same order) and the lateral cell.
    """
    info = ideal.info.get("li_layers")
    if not isinstance(info, dict) or "layer_index" not in info:
        msg = "ideal: no info['li_layers'] (build it with add_li_layers)"
        raise ConfigurationError(msg)
    n = int(info["n_layers_li"])
    layer = np.asarray(info["layer_index"], dtype=int)
    n_sub = int(info["n_atoms_substrate"])
    n_below = n_sub + int((layer < n).sum())
    if n < 2:
        msg = f"ideal: has {n} Li layer(s); growth needs n >= 2 (layer 1 is built on the substrate)"
        raise ConfigurationError(msg)
    symbols = ideal.get_chemical_symbols()
    if len(relaxed_below) != n_below or relaxed_below.get_chemical_symbols() != symbols[:n_below]:
        msg = (
            f"relaxed_below: {len(relaxed_below)} atoms ({relaxed_below.get_chemical_formula()}) "
            f"are not the substrate and {n - 1} Li layer(s) of ideal ({n_below} atoms expected, "
            "same elements in the same order)"
        )
        raise ConfigurationError(msg)
    cell2d = np.asarray(ideal.cell, dtype=float)[:2, :2]
    if not np.allclose(np.asarray(relaxed_below.cell, dtype=float)[:2, :2], cell2d, atol=1e-3):
        msg = "relaxed_below: its lateral cell differs from ideal's; grow on the same supercell"
        raise ConfigurationError(msg)
    ideal_li = np.asarray(info["ideal_positions"], dtype=float).reshape(-1, 3)
    positions = np.array(ideal.positions, dtype=float)
    positions[:n_below] = relaxed_below.positions
    sel = np.flatnonzero(layer == n - 1)
    disp = relaxed_below.positions[n_sub + sel] - ideal_li[sel]
    shift = np.empty(3)
    shift[:2] = inplane_mic(disp[:, :2], cell2d).mean(axis=0)
    shift[2] = disp[:, 2].mean()
    new_idx = n_sub + np.flatnonzero(layer == n)
    positions[new_idx] = ideal_li[layer == n] + shift
    grown = copy_atoms(ideal)
    grown.positions = positions
    grown.info["li_layers"] = dict(info, growth="sequential", grown_shift_a=shift.tolist())
    return grown


# --------------------------------------------------------------------------- distortion

#: Li–Li pairs of a layer count as nearest neighbours when their ideal distance is within this
#: fraction of the layer's shortest ideal Li–Li distance.
NN_SHELL_TOLERANCE = 0.1


def _layer_nn_bond_strains(
    ideal: np.ndarray, disp: np.ndarray, cell2d: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return ideal and relaxed nearest-neighbour Li–Li distances of one layer, Å.

    Bonds are those of the ideal (strained) layer, periodic images included; the relaxed
    bond vector is b0 + u_j − u_i with u the minimum-image displacements, so a rigid
    translation of the layer changes no distance.
    """
    n = len(ideal)
    vec = ideal[None, :, :] - ideal[:, None, :]  # (i, j): r_j - r_i
    d_all = np.linalg.norm(vec, axis=2)
    radius = float(np.max(d_all)) + 10.0 if n > 1 else 10.0
    shifts = inplane_image_shifts(cell2d, radius)
    rows_ideal, rows_relaxed = [], []
    best = np.inf
    cands = []
    for sh in shifts:
        b0 = vec + np.array([sh[0], sh[1], 0.0])
        d0 = np.linalg.norm(b0, axis=2)
        d0[d0 < 1e-6] = np.inf  # the atom itself
        best = min(best, float(d0.min()))
        cands.append((b0, d0))
    if not np.isfinite(best):
        return np.empty(0), np.empty(0)
    du = disp[None, :, :] - disp[:, None, :]
    for b0, d0 in cands:
        sel = d0 <= best * (1.0 + NN_SHELL_TOLERANCE)
        if sel.any():
            rows_ideal.append(d0[sel])
            rows_relaxed.append(np.linalg.norm((b0 + du)[sel], axis=1))
    return np.concatenate(rows_ideal), np.concatenate(rows_relaxed)


def _nn_stats(d0: np.ndarray, d: np.ndarray) -> dict[str, Any]:
    """Nearest-neighbour distance statistics (relaxed vs the strained ideal film)."""
    if len(d0) == 0:
        return {"nn_bonds": 0}
    strain = (d - d0) / d0
    return {
        "nn_bonds": len(d0),
        "nn_distance_ideal_a": float(d0.mean()),
        "nn_distance_mean_a": float(d.mean()),
        "nn_distance_std_a": float(d.std()),
        "nn_strain_mean": float(strain.mean()),
        "nn_strain_std": float(strain.std()),
        "nn_strain_rms": float(np.sqrt(np.mean(strain**2))),
        "nn_strain_max_abs": float(np.abs(strain).max()),
    }


def li_layer_distortion(
    relaxed: Atoms,
    *,
    ideal_positions: Sequence[Sequence[float]],
    layer_index: Sequence[int],
    cell: Any,
    indices: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Measure how far relaxed Li atoms moved from their ideal layer sites.

    Lateral displacements are minimum-image in the plane of ``cell``; vertical ones are plain
    z differences. Use the ``ideal_positions``, ``layer_index`` and ``indices`` of
    ``info["li_layers"]`` and the cell of the unrelaxed structure.

    Parameters
    ----------
    relaxed
        Relaxed slab with Li layers.
    ideal_positions
        Ideal Cartesian position of each Li atom, Å.
    layer_index
        Li layer (1 = on the substrate) of each Li atom.
    cell
        Cell (3×3 or 2×2 rows, or ``Atoms.cell``) defining in-plane periodicity.
    indices
        Indices of the Li atoms in ``relaxed``; ``None``: the last ``len(ideal_positions)``
        atoms (where :func:`add_li_layers` puts them).

    Returns
    -------
    dict
        ``layers``: one dict per layer with ``layer``, ``n_atoms``, ``rms_lateral_a``,
        ``max_lateral_a``, ``rms_vertical_a``, ``mean_vertical_a`` (mean height change) and
        ``rms_lateral_internal_a`` (after removing the layer's mean lateral shift: internal
        distortion rather than sliding); overall ``rms_a`` (3D), ``rms_lateral_a``,
        ``rms_vertical_a`` and ``max_lateral_a``. All in Å.

        The film's relaxation-induced internal distortion, per layer and overall (keys
        ``nn_*``): the Li–Li nearest-neighbour bonds of the ideal, strained film (within
        :data:`NN_SHELL_TOLERANCE` of the shortest in-layer distance, periodic images
        included), their ideal mean length ``nn_distance_ideal_a``, relaxed mean and spread
        ``nn_distance_mean_a``/``nn_distance_std_a`` (Å), and the bond strain
        (d − d_ideal)/d_ideal: ``nn_strain_rms`` (the distortion measure; zero for a rigid
        slide or lift of the film), ``nn_strain_mean``, ``nn_strain_std``,
        ``nn_strain_max_abs`` (fractions). The strain the coincidence cell imposes on the
        ideal film (vs bcc Li) is not included: it is the construction's, reported apart.

    Raises
    ------
    AnalysisError
        If the lengths disagree, indices are out of range or there are no Li atoms.
    """
    ideal = np.asarray(ideal_positions, dtype=float).reshape(-1, 3)
    layers = np.asarray(layer_index, dtype=int).ravel()
    if len(ideal) == 0:
        msg = "ideal_positions is empty: there are no Li atoms to compare"
        raise AnalysisError(msg)
    if len(layers) != len(ideal):
        msg = (
            f"layer_index has {len(layers)} entries but ideal_positions has {len(ideal)}; "
            "give one layer per Li atom"
        )
        raise AnalysisError(msg)
    if indices is None:
        if len(relaxed) < len(ideal):
            msg = f"relaxed has {len(relaxed)} atoms, fewer than the {len(ideal)} Li positions"
            raise AnalysisError(msg)
        idx = np.arange(len(relaxed) - len(ideal), len(relaxed))
    else:
        idx = np.asarray(indices, dtype=int).ravel()
        if len(idx) != len(ideal) or idx.min() < 0 or idx.max() >= len(relaxed):
            msg = (
                f"indices ({len(idx)} entries) must give one valid atom index of relaxed "
                f"({len(relaxed)} atoms) per ideal position ({len(ideal)})"
            )
            raise AnalysisError(msg)
    cell2d = np.asarray(cell, dtype=float)[:2, :2]
    disp = relaxed.positions[idx] - ideal
    lateral = inplane_mic(disp[:, :2], cell2d)
    lat_d = np.linalg.norm(lateral, axis=1)
    vert = disp[:, 2]
    rows = []
    all_d0, all_d = [], []
    u = np.column_stack([lateral, vert])
    for k in sorted(set(layers.tolist())):
        sel = layers == k
        internal = lateral[sel] - lateral[sel].mean(axis=0)
        d0, d = _layer_nn_bond_strains(ideal[sel], u[sel], cell2d)
        all_d0.append(d0)
        all_d.append(d)
        rows.append(
            {
                **_nn_stats(d0, d),
                "layer": int(k),
                "n_atoms": int(sel.sum()),
                "rms_lateral_a": float(np.sqrt(np.mean(lat_d[sel] ** 2))),
                "max_lateral_a": float(lat_d[sel].max()),
                "rms_vertical_a": float(np.sqrt(np.mean(vert[sel] ** 2))),
                "mean_vertical_a": float(vert[sel].mean()),
                "rms_lateral_internal_a": float(np.sqrt(np.mean(np.sum(internal**2, axis=1)))),
            }
        )
    return {
        "layers": rows,
        "rms_a": float(np.sqrt(np.mean(lat_d**2 + vert**2))),
        "rms_lateral_a": float(np.sqrt(np.mean(lat_d**2))),
        "rms_vertical_a": float(np.sqrt(np.mean(vert**2))),
        "max_lateral_a": float(lat_d.max()),
        **_nn_stats(np.concatenate(all_d0), np.concatenate(all_d)),
    }
