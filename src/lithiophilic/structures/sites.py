"""Adsorption sites on slabs: find, place an adsorbate, and classify where it ended up.

Conventions (slabs as made by :func:`lithiophilic.structures.slabs.make_slabs`):

* ``a`` and ``b`` lie in the xy plane and ``c`` is along +z, so heights are z coordinates and
  in-plane distances are periodic (minimum image) in ``a`` and ``b``.
* The *surface atoms* are the atoms within ``surface_height_a`` (0.9 Å) of the highest atom, the
  criterion of pymatgen's ``AdsorbateSiteFinder``; the *top-layer height* is their mean z.
* Site kinds (:data:`SITE_KINDS`), decided from the geometry of each site, not from the name
  ``AdsorbateSiteFinder`` gives it: the surface atoms at the smallest in-plane distance from
  the site (within ``neighbor_tol_a``) are the site's *neighbours*;

  ========== ===============================================================================
  ``ontop``   one neighbour, directly below the site
  ``bridge``  two equidistant neighbours (short and long bridges on (110) are both bridges)
  ``fcc``     three-fold hollow with no atom below it in the second plane but one in the third
              (fcc(111): continues the ABC stacking)
  ``hcp``     three-fold hollow with an atom directly below it in the second plane
  ``hollow3`` three-fold hollow with no atom below in the second or third plane (thin slabs,
              non-close-packed faces)
  ``hollow4`` four-fold hollow (square on fcc(100), rectangular on fcc(110); both have a
              second-plane atom below them)
  ``other``   any other ensemble (irregular sites on complex or relaxed surfaces)
  ========== ===============================================================================

  In ``kinds`` arguments, ``"hollow"`` selects every hollow kind (fcc, hcp, hollow3, hollow4).
* Measured with the defaults: Cu(111) has 4 sites (ontop, bridge, fcc, hcp), Cu(100) 3 (ontop,
  bridge, hollow4) and Cu(110) 4 (ontop, a short bridge along the close-packed rows, a long
  bridge across them, hollow4 over the second-plane atom), in the 1×1 cell and in n×n
  supercells. A supercell that breaks the surface symmetry splits sites: Cu(111) 2×3 has three
  inequivalent bridges (6 sites), Cu(100) 2×3 two. A 150-atom Cu0.64Zn0.36(111) SQS slab has no
  symmetry, so all 150 positions are sites; they fall into 17 chemical environments
  (``reduce_by_environment=True``).

The in-plane geometry (minimum image, Gauss reduction) and the classification of a position
live in :mod:`lithiophilic.structures.site_geometry`; its names are importable from here too.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import DEFAULT_LAYER_TOL_A, cluster_heights, copy_atoms
from lithiophilic.structures.site_geometry import (
    LOCAL_SURFACE_RADIUS_A,
    SAME_POSITION_TOL_A,
    SiteCandidate,
    adsorbate_environment,
    check_surface_cell,
    classify_position,
    gauss_reduce_2d,
    inplane_image_shifts,
    inplane_mic,
    shortest_inplane_vector_a,
    surface_atom_mask,
    symmetry_orbits,
    z_preserving_ops,
)

if TYPE_CHECKING:
    from ase import Atoms

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MIN_IMAGE_DISTANCE_A",
    "DEFAULT_START_DISPLACEMENT_A",
    "HOLLOW_KINDS",
    "LOCAL_SURFACE_RADIUS_A",
    "MIN_VACUUM_ABOVE_A",
    "SITE_KINDS",
    "Site",
    "SiteKind",
    "adsorbate_environment",
    "check_surface_cell",
    "classify_site_after_relaxation",
    "displace_adsorbate",
    "find_adsorption_sites",
    "gauss_reduce_2d",
    "inplane_image_shifts",
    "inplane_mic",
    "lateral_supercell_for_spacing",
    "place_adsorbate",
    "shortest_inplane_vector_a",
    "start_displacement_seed",
    "surface_atom_mask",
]

SiteKind = Literal["ontop", "bridge", "fcc", "hcp", "hollow3", "hollow4", "other"]
#: Every site kind, in the order sites are listed.
SITE_KINDS: tuple[str, ...] = get_args(SiteKind)
#: The kinds ``"hollow"`` stands for in a ``kinds`` argument.
HOLLOW_KINDS: tuple[str, ...] = ("fcc", "hcp", "hollow3", "hollow4")
#: Default ``kinds`` of :func:`find_adsorption_sites`.
DEFAULT_KINDS: tuple[str, ...] = ("ontop", "bridge", "fcc", "hcp", "hollow")
#: Smallest distance (Å) between periodic images of an adsorbate (mission: Li–Li ≥ 7 Å).
DEFAULT_MIN_IMAGE_DISTANCE_A = 7.0
#: Smallest gap (Å) between the top atom and the periodic image of the bottom atom accepted by
#: :func:`place_adsorbate`.
MIN_VACUUM_ABOVE_A = 5.0
#: Lateral symmetry-breaking displacement (Å) of an adsorbate's start (:func:`displace_adsorbate`).
DEFAULT_START_DISPLACEMENT_A = 0.03


@dataclass(frozen=True)
class Site:
    """One adsorption site of a slab.

    Parameters
    ----------
    kind
        Site kind, one of :data:`SITE_KINDS` (see the module docstring).
    position
        Cartesian (x, y, z) of the site, Å; z is the top-layer height plus the ``distance_a``
        given to :func:`find_adsorption_sites` (0 by default).
    label
        ``"<kind>-<i>"``, numbered per kind in the order of the returned list.
    neighbors
        Sorted chemical symbols of the surface atoms that define the site.
    multiplicity
        Number of positions in the slab cell equivalent to this one (by slab symmetry, or by
        chemical environment with ``reduce_by_environment=True``).
    neighbor_indices
        Indices (in the slab) of the atoms that define the site, in the order of ``neighbors``.
    below
        Symbol of the atom directly below a hollow in the second (hcp, hollow4 on (110)) or
        third (fcc) plane; ``None`` if there is none.
    equivalent_positions
        Cartesian positions of all ``multiplicity`` equivalent sites (this one first), Å.
    """

    kind: SiteKind
    position: tuple[float, float, float]
    label: str
    neighbors: tuple[str, ...]
    multiplicity: int = 1
    neighbor_indices: tuple[int, ...] = ()
    below: str | None = None
    equivalent_positions: tuple[tuple[float, float, float], ...] = field(default=())

    @property
    def environment(self) -> tuple[str, tuple[str, ...], str | None]:
        """(kind, neighbors, below): the chemical identity of the site."""
        return (self.kind, self.neighbors, self.below)

    def as_dict(self) -> dict[str, Any]:
        """Return the site as a JSON-friendly dict (tuples become lists)."""
        data = asdict(self)
        data["position"] = list(self.position)
        data["neighbors"] = list(self.neighbors)
        data["neighbor_indices"] = list(self.neighbor_indices)
        data["equivalent_positions"] = [list(p) for p in self.equivalent_positions]
        return data


# --------------------------------------------------------------------------- supercell


def lateral_supercell_for_spacing(
    slab: Atoms,
    *,
    min_image_distance_a: float = DEFAULT_MIN_IMAGE_DISTANCE_A,
    max_repeat: int = 20,
) -> tuple[int, int]:
    """Return the smallest lateral repetition (n1, n2) that keeps adsorbate images apart.

    The repeated cell ``(n1·a, n2·b)`` must have no in-plane lattice vector (including
    combinations such as ``n1·a ± n2·b``; the shortest is found by Gauss reduction) shorter
    than ``min_image_distance_a``. Among the repetitions with the fewest cells the most
    isotropic one (``n1·|a|`` closest to ``n2·|b|``) is returned.

    Parameters
    ----------
    slab
        Slab with ``a`` and ``b`` in the xy plane.
    min_image_distance_a
        Smallest allowed distance between an adsorbate and its periodic images, Å (> 0).
    max_repeat
        Largest repetition searched along each vector.

    Returns
    -------
    tuple of int
        (n1, n2); Cu(111) 1×1 (a = 3.6 Å) with the default 7 Å gives (3, 3).

    Raises
    ------
    ConfigurationError
        If ``min_image_distance_a`` is not positive, the cell is not a slab cell, or no
        repetition up to ``max_repeat`` works.
    """
    check_surface_cell(slab)
    if not (np.isfinite(min_image_distance_a) and min_image_distance_a > 0):
        msg = f"min_image_distance_a={min_image_distance_a!r} must be a positive distance in Å"
        raise ConfigurationError(msg)
    cell2d = np.asarray(slab.cell, dtype=float)[:2, :2]
    la, lb = np.linalg.norm(cell2d, axis=1)
    best: tuple[tuple[int, float, float, int], tuple[int, int]] | None = None
    for n1 in range(1, max_repeat + 1):
        for n2 in range(1, max_repeat + 1):
            rep = np.array([n1 * cell2d[0], n2 * cell2d[1]])
            shortest = shortest_inplane_vector_a(rep)
            if shortest < min_image_distance_a - 1e-9:
                continue
            key = (n1 * n2, abs(math.log(n1 * la / (n2 * lb))), -shortest, n1)
            if best is None or key < best[0]:
                best = (key, (n1, n2))
    if best is None:
        msg = (
            f"min_image_distance_a={min_image_distance_a} Å cannot be reached with up to "
            f"{max_repeat}×{max_repeat} repetitions of the {la:.2f}×{lb:.2f} Å cell"
        )
        raise ConfigurationError(msg)
    logger.debug("lateral supercell for %.2f Å image spacing: %s", min_image_distance_a, best[1])
    return best[1]


# --------------------------------------------------------------------------- site finding


def _check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    if isinstance(kinds, str):
        kinds = (kinds,)
    allowed = (*SITE_KINDS, "hollow")
    bad = [k for k in kinds if k not in allowed]
    if bad or not kinds:
        msg = (
            f"kinds={tuple(kinds)!r} contains unknown site kind(s) {bad}; allowed: "
            f"{', '.join(allowed)} ('hollow' = {', '.join(HOLLOW_KINDS)})"
        )
        raise ConfigurationError(msg)
    selected: list[str] = []
    for k in kinds:
        for kk in HOLLOW_KINDS if k == "hollow" else (k,):
            if kk not in selected:
                selected.append(kk)
    return tuple(selected)


def _pymatgen_positions(work: Atoms, surface_height_a: float) -> dict[str, Any]:
    """Return the candidate positions of pymatgen's ``AdsorbateSiteFinder``."""
    from pymatgen.analysis.adsorption import AdsorbateSiteFinder
    from pymatgen.io.ase import AseAtomsAdaptor

    structure = AseAtomsAdaptor.get_structure(work)
    finder = AdsorbateSiteFinder(structure, height=surface_height_a)
    return finder.find_adsorption_sites(
        distance=0.0,
        symm_reduce=0,
        near_reduce=1e-2,
        positions=("ontop", "bridge", "hollow"),
        no_obtuse_hollow=True,
    )


def _subsurface_planes(
    work: Atoms, surface_mask: np.ndarray, layer_tol_a: float
) -> list[np.ndarray]:
    """Return the indices of the (up to) two highest atomic planes below the surface atoms."""
    sub_idx = np.flatnonzero(~surface_mask)
    sub_planes: list[np.ndarray] = []
    if len(sub_idx):
        labels = cluster_heights(work.positions[sub_idx, 2], layer_tol_a)
        top_label = int(labels.max())
        sub_planes = [sub_idx[labels == top_label - r] for r in range(min(2, top_label + 1))]
    return sub_planes


def _candidates(
    work: Atoms,
    raw: dict[str, Any],
    surface_idx: np.ndarray,
    sub_planes: list[np.ndarray],
    neighbor_tol_a: float,
) -> list[SiteCandidate]:
    """Classify pymatgen's positions, wrapped into the cell, dropping repeated positions."""
    cell2d = np.asarray(work.cell, dtype=float)[:2, :2]
    candidates: list[SiteCandidate] = []
    for key in ("ontop", "bridge", "hollow"):
        for coords in raw[key]:
            xy = np.asarray(coords, float)[:2]
            frac = np.linalg.solve(cell2d.T, xy)
            xy = (frac - np.floor(frac + 1e-9)) @ cell2d
            if candidates:
                prev = np.array([c.xy for c in candidates])
                if np.linalg.norm(inplane_mic(prev - xy, cell2d), axis=1).min() < (
                    SAME_POSITION_TOL_A
                ):
                    continue
            candidates.append(classify_position(xy, work, surface_idx, sub_planes, neighbor_tol_a))
    return candidates


def _environment(
    c: SiteCandidate, symbols: Sequence[str]
) -> tuple[str, tuple[str, ...], str | None]:
    """Return (kind, sorted neighbour symbols, symbol below) of a candidate."""
    below = None if c.below is None else symbols[c.below]
    return (c.kind, tuple(sorted(symbols[i] for i in c.neighbor_indices)), below)


def _site_rows(
    candidates: list[SiteCandidate],
    orbits: list[list[int]],
    selected: tuple[str, ...],
    symbols: Sequence[str],
    z_a: float,
) -> list[dict[str, Any]]:
    """Return one row per orbit of a selected kind, sorted by kind, neighbours, below, position."""
    rows: list[dict[str, Any]] = []
    for orbit in orbits:
        rep = candidates[orbit[0]]
        if rep.kind not in selected:
            continue
        kind, neighbors, below = _environment(rep, symbols)
        order = np.argsort([symbols[i] for i in rep.neighbor_indices], kind="stable")
        rows.append(
            {
                "kind": kind,
                "neighbors": neighbors,
                "neighbor_indices": tuple(rep.neighbor_indices[i] for i in order),
                "below": below,
                "multiplicity": len(orbit),
                "positions": [
                    (float(candidates[j].xy[0]), float(candidates[j].xy[1]), z_a) for j in orbit
                ],
            }
        )
    rows.sort(
        key=lambda r: (
            SITE_KINDS.index(r["kind"]),
            r["neighbors"],
            r["below"] or "",
            round(r["positions"][0][1], 3),
            round(r["positions"][0][0], 3),
        )
    )
    return rows


def _numbered_sites(rows: list[dict[str, Any]]) -> tuple[list[Site], dict[str, int]]:
    """Return the sites labelled ``<kind>-<i>`` in row order and the number of sites per kind."""
    counter: dict[str, int] = {}
    sites = []
    for r in rows:
        i = counter.get(r["kind"], 0)
        counter[r["kind"]] = i + 1
        sites.append(
            Site(
                kind=r["kind"],
                position=r["positions"][0],
                label=f"{r['kind']}-{i}",
                neighbors=r["neighbors"],
                multiplicity=r["multiplicity"],
                neighbor_indices=r["neighbor_indices"],
                below=r["below"],
                equivalent_positions=tuple(r["positions"]),
            )
        )
    return sites, counter


def find_adsorption_sites(
    slab: Atoms,
    *,
    kinds: Sequence[str] = DEFAULT_KINDS,
    symprec: float = 0.1,
    distance_a: float = 0.0,
    surface_height_a: float = 0.9,
    neighbor_tol_a: float = 0.2,
    layer_tol_a: float = DEFAULT_LAYER_TOL_A,
    reduce_by_environment: bool = False,
) -> list[Site]:
    """Find the symmetry-distinct (and, on alloys, chemically distinct) adsorption sites.

    Candidate positions come from pymatgen's ``AdsorbateSiteFinder`` (ontop at surface atoms,
    bridges at the edges and hollows at the acute faces of the Delaunay triangulation of the
    surface atoms, duplicates by position removed). Each candidate is classified by its
    geometry (module docstring), then candidates are grouped into orbits of the slab's
    symmetry operations that keep the surface normal (spglib, ``symprec``); one site per orbit
    is returned with the orbit size as ``multiplicity``. An SQS slab has no symmetry (P1), so
    every position is its own site: all of them are kept, because they differ chemically.
    ``reduce_by_environment=True`` instead keeps one site per chemical environment
    ``(kind, neighbors, below)``, the multiplicity counting the positions merged.

    Parameters
    ----------
    slab
        Slab with ``a`` and ``b`` in the xy plane; the adsorbate side is the top (+z) face.
    kinds
        Site kinds to return (:data:`SITE_KINDS`; ``"hollow"`` selects every hollow kind).
    symprec
        Symmetry tolerance, Å.
    distance_a
        Height of ``Site.position`` above the top layer, Å (0: on the top-layer plane).
    surface_height_a
        Atoms within this height of the highest atom are surface atoms, Å.
    neighbor_tol_a
        Surface atoms within ``d_min + neighbor_tol_a`` of a site count as its neighbours, Å.
    layer_tol_a
        Plane clustering tolerance for the planes below the surface (fcc/hcp), Å.
    reduce_by_environment
        Merge sites with the same kind, neighbours and atom below (see above).

    Returns
    -------
    list of Site
        Sorted by kind (order of :data:`SITE_KINDS`), then neighbours, then position.

    Raises
    ------
    ConfigurationError
        For an unknown kind in ``kinds``, a cell that is not a slab cell, or a non-positive
        ``symprec``/``surface_height_a``.
    """
    selected = _check_kinds(kinds)
    check_surface_cell(slab)
    for name, value in (("symprec", symprec), ("surface_height_a", surface_height_a)):
        if not (np.isfinite(value) and value > 0):
            msg = f"{name}={value!r} must be a positive distance in Å"
            raise ConfigurationError(msg)
    work = copy_atoms(slab)
    work.set_constraint()
    raw = _pymatgen_positions(work, surface_height_a)
    surface_mask = surface_atom_mask(work, surface_height_a)
    surface_idx = np.flatnonzero(surface_mask)
    z_top = float(work.positions[surface_idx, 2].mean())
    sub_planes = _subsurface_planes(work, surface_mask, layer_tol_a)
    candidates = _candidates(work, raw, surface_idx, sub_planes, neighbor_tol_a)
    symbols = work.get_chemical_symbols()
    if reduce_by_environment:
        groups: dict[tuple[str, tuple[str, ...], str | None], list[int]] = {}
        for i, c in enumerate(candidates):
            groups.setdefault(_environment(c, symbols), []).append(i)
        orbits = list(groups.values())
    else:
        orbits = symmetry_orbits(candidates, work, z_preserving_ops(work, symprec))
    rows = _site_rows(candidates, orbits, selected, symbols, z_top + float(distance_a))
    sites, counter = _numbered_sites(rows)
    logger.info(
        "%d adsorption site(s) on %s: %s",
        len(sites),
        work.get_chemical_formula(),
        counter,
    )
    return sites


# --------------------------------------------------------------------------- placing


def _top_layer_height_a(
    atoms: Atoms, mask: np.ndarray | None = None, height_a: float = 0.9
) -> float:
    z = atoms.positions[:, 2] if mask is None else atoms.positions[mask, 2]
    return float(z[z >= z.max() - height_a].mean())


def _default_height_a(slab: Atoms, xy: np.ndarray, symbol: str, z_top: float) -> float:
    """Height above ``z_top`` at which the adsorbate touches the nearest atom at r_cov + r_cov."""
    from ase.data import atomic_numbers, covalent_radii

    r_ads = float(covalent_radii[atomic_numbers[symbol]])
    targets = r_ads + covalent_radii[slab.numbers]
    cell2d = np.asarray(slab.cell, dtype=float)[:2, :2]
    shifts = inplane_image_shifts(cell2d, float(targets.max()))
    z_needed = z_top
    for shift in shifts:
        r = np.linalg.norm(slab.positions[:, :2] + shift - xy, axis=1)
        inside = r < targets
        if inside.any():
            z_needed = max(
                z_needed,
                float(
                    np.max(
                        slab.positions[inside, 2] + np.sqrt(targets[inside] ** 2 - r[inside] ** 2)
                    )
                ),
            )
    return z_needed - z_top


def place_adsorbate(
    slab: Atoms,
    site_or_position: Site | Sequence[float],
    *,
    symbol: str = "Li",
    height_a: float | None = None,
    min_distance_a: float = 1.5,
) -> Atoms:
    """Return a copy of ``slab`` with one adsorbate atom above a site.

    Only the in-plane part of the site (or position) is used; the adsorbate is put at
    ``height_a`` above the top-layer height (mean z of the surface atoms). With
    ``height_a=None`` the height is the lowest at which the adsorbate is no closer to any atom
    than the sum of their covalent radii (``ase.data.covalent_radii``), computed for this site:
    the adsorbate then touches its nearest atom(s) at exactly that distance (Li on Cu: 2.60 Å,
    i.e. 2.60 Å above an ontop atom, about 2.14 Å above a Cu(111) hollow). The adsorbate is
    appended last, tagged 0 and not fixed; the slab's constraints are kept.

    Parameters
    ----------
    slab
        Slab with ``a`` and ``b`` in the xy plane and vacuum above the top face.
    site_or_position
        A :class:`Site` or a Cartesian (x, y) or (x, y, z) position (z is ignored).
    symbol
        Chemical symbol of the adsorbate.
    height_a
        Height above the top layer, Å; ``None``: covalent-radii contact (see above).
    min_distance_a
        Smallest allowed distance between the adsorbate and any atom (periodic images
        included), Å.

    Returns
    -------
    ase.Atoms
        New slab; ``info["adsorbate"]`` = ``{"symbol", "site_kind", "site_label",
        "site_position", "height_a", "index"}`` (kind and label ``None`` for a bare position).

    Raises
    ------
    ConfigurationError
        For an unknown element, less than :data:`MIN_VACUUM_ABOVE_A` between the top atom and
        the periodic image of the bottom atom, a bad position, or an adsorbate closer than
        ``min_distance_a`` to an atom.
    """
    from ase import Atoms
    from ase.data import atomic_numbers
    from ase.geometry import get_distances

    if not isinstance(symbol, str) or symbol not in atomic_numbers or symbol == "X":
        msg = f"symbol={symbol!r} is not a chemical element symbol (e.g. 'Li', 'Na', 'Mg')"
        raise ConfigurationError(msg)
    check_surface_cell(slab)
    z = slab.positions[:, 2]
    gap = float(slab.cell[2, 2] - (z.max() - z.min()))
    if gap < MIN_VACUUM_ABOVE_A:
        msg = (
            f"slab has {gap:.2f} Å between its top atom and the periodic image of its bottom "
            f"atom along c; place_adsorbate needs at least {MIN_VACUUM_ABOVE_A} Å of vacuum "
            "above the surface"
        )
        raise ConfigurationError(msg)
    if isinstance(site_or_position, Site):
        site: Site | None = site_or_position
        xy = np.asarray(site_or_position.position[:2], dtype=float)
    else:
        site = None
        values = np.asarray(site_or_position, dtype=float).ravel()
        if values.size not in (2, 3) or not np.all(np.isfinite(values)):
            msg = (
                f"site_or_position={site_or_position!r} must be a Site or a Cartesian (x, y) "
                "or (x, y, z) position in Å"
            )
            raise ConfigurationError(msg)
        xy = values[:2]
    if height_a is not None and not np.isfinite(height_a):
        msg = f"height_a={height_a!r} must be a finite height in Å or None"
        raise ConfigurationError(msg)
    z_top = _top_layer_height_a(slab)
    h = _default_height_a(slab, xy, symbol, z_top) if height_a is None else float(height_a)
    position = np.array([xy[0], xy[1], z_top + h])
    _, dist = get_distances([position], slab.positions, cell=slab.cell, pbc=True)
    d_min = float(dist.min())
    if d_min < min_distance_a:
        msg = (
            f"{symbol} at {np.round(position, 3).tolist()} (height_a={h:.3f} Å) is "
            f"{d_min:.3f} Å from the nearest atom, closer than min_distance_a={min_distance_a} Å"
        )
        raise ConfigurationError(msg)

    new = copy_atoms(slab)
    tags = new.get_tags()
    new += Atoms(symbol, positions=[position], cell=new.cell, pbc=new.pbc)
    new.set_tags([*tags.tolist(), 0])
    new.info["adsorbate"] = {
        "symbol": symbol,
        "site_kind": None if site is None else site.kind,
        "site_label": None if site is None else site.label,
        "site_position": [float(v) for v in position],
        "height_a": float(h),
        "index": len(new) - 1,
    }
    logger.debug(
        "placed %s at %s (%s), %.3f Å above the top layer, nearest atom %.3f Å",
        symbol,
        np.round(position, 3).tolist(),
        None if site is None else site.label,
        h,
        d_min,
    )
    return new


def start_displacement_seed(*parts: object) -> int:
    """Return a reproducible 32-bit seed from ``parts`` (e.g. material, facet, site label).

    The seed is a SHA-256 of the parts' ``str`` joined by ``"|"``, so it is the same in every
    run, process and platform (Python's ``hash`` of a string is not).
    """
    import hashlib

    blob = "|".join(str(p) for p in parts).encode()
    return int(hashlib.sha256(blob).hexdigest()[:8], 16)


def displace_adsorbate(
    atoms: Atoms, index: int, *, magnitude_a: float, seed: int
) -> tuple[Atoms, list[float]]:
    """Return a copy with atom ``index`` moved by ``magnitude_a`` in a seeded in-plane direction.

    A start exactly on a symmetric site can sit on a saddle of the energy surface, where float
    noise (thread count, BLAS) decides which way the relaxation goes; a small displacement
    in a direction fixed by ``seed`` (angle uniform in [0, 2π) from
    ``numpy.random.default_rng(seed)``) decides it instead, the same way in every run.

    Parameters
    ----------
    atoms
        Slab + adsorbate.
    index
        Atom to displace.
    magnitude_a
        Length of the lateral displacement, Å (0: no displacement; 0–0.2).
    seed
        Seed of the direction (:func:`start_displacement_seed`).

    Returns
    -------
    tuple
        The new Atoms (``info["adsorbate"]`` gets ``start_displacement_a`` and
        ``start_displacement_seed``) and the displacement vector [dx, dy, 0], Å.

    Raises
    ------
    ConfigurationError
        For a magnitude outside 0–0.2 Å or an index out of range.
    """
    if not (np.isfinite(magnitude_a) and 0.0 <= magnitude_a <= 0.2):
        msg = f"magnitude_a={magnitude_a!r} must be a lateral displacement of 0–0.2 Å"
        raise ConfigurationError(msg)
    n = len(atoms)
    if not -n <= index < n:
        msg = f"index={index} is out of range for {n} atoms"
        raise ConfigurationError(msg)
    angle = float(np.random.default_rng(int(seed)).uniform(0.0, 2.0 * math.pi))
    vec = [magnitude_a * math.cos(angle), magnitude_a * math.sin(angle), 0.0]
    new = copy_atoms(atoms)
    new.positions[index] += np.asarray(vec)
    info = dict(new.info.get("adsorbate", {}))
    info.update({"start_displacement_a": vec, "start_displacement_seed": int(seed)})
    new.info["adsorbate"] = info
    return new, vec


# --------------------------------------------------------------------------- after relaxation


def classify_site_after_relaxation(
    relaxed: Atoms,
    *,
    adsorbate_index: int,
    initial_site: Site,
    sites: Sequence[Site],
    tol_a: float = 0.5,
    subsurface_depth_a: float = 0.5,
) -> dict[str, Any]:
    """Tell which site a relaxed adsorbate sits over and whether it moved or sank in.

    The final site is the one (over all ``equivalent_positions`` of ``sites``) nearest to the
    adsorbate in the plane, with minimum-image distances in the cell of ``relaxed``.

    Parameters
    ----------
    relaxed
        Relaxed slab + adsorbate.
    adsorbate_index
        Index of the adsorbate atom in ``relaxed``.
    initial_site
        Site the adsorbate was placed on.
    sites
        The sites of the clean slab (from :func:`find_adsorption_sites`).
    tol_a
        An adsorbate further than this from every site in the plane is reported with
        ``on_site=False``, Å.
    subsurface_depth_a
        The adsorbate went into the slab (``subsurface=True``) if it is more than this below
        the top layer's mean height, Å.

    Returns
    -------
    dict
        ``final_site_label``, ``final_site_kind``, ``moved`` (final label differs from the
        initial one), ``lateral_displacement_a`` (in-plane distance from the initial site),
        ``final_site_distance_a`` (in-plane distance to the final site), ``on_site``,
        ``height_above_surface_a`` (above the mean height of the top layer of the other atoms,
        surface atoms as in :func:`find_adsorption_sites`), ``subsurface``.

    Raises
    ------
    ConfigurationError
        For an adsorbate index out of range or an empty ``sites``.
    """
    n = len(relaxed)
    if not isinstance(adsorbate_index, int | np.integer) or not -n <= adsorbate_index < n:
        msg = f"adsorbate_index={adsorbate_index!r} is out of range for {n} atoms"
        raise ConfigurationError(msg)
    if not sites:
        msg = "sites is empty; pass the sites of the clean slab from find_adsorption_sites"
        raise ConfigurationError(msg)
    check_surface_cell(relaxed, "relaxed")
    index = int(adsorbate_index) % n
    cell2d = np.asarray(relaxed.cell, dtype=float)[:2, :2]
    ads = relaxed.positions[index]
    labels, kinds, points = [], [], []
    for site in sites:
        for p in site.equivalent_positions or (site.position,):
            labels.append(site.label)
            kinds.append(site.kind)
            points.append(p[:2])
    d = np.linalg.norm(inplane_mic(np.asarray(points) - ads[:2], cell2d), axis=1)
    best = int(np.argmin(d))
    lateral = float(
        np.linalg.norm(inplane_mic(ads[:2] - np.asarray(initial_site.position[:2]), cell2d))
    )
    others = np.ones(n, dtype=bool)
    others[index] = False
    z_top = _top_layer_height_a(relaxed, others)
    height = float(ads[2] - z_top)
    result = {
        "final_site_label": labels[best],
        "final_site_kind": kinds[best],
        "moved": labels[best] != initial_site.label,
        "lateral_displacement_a": lateral,
        "final_site_distance_a": float(d[best]),
        "on_site": bool(d[best] <= tol_a),
        "height_above_surface_a": height,
        "subsurface": bool(height < -subsurface_depth_a),
    }
    logger.debug("adsorbate %d after relaxation: %s", index, result)
    return result
