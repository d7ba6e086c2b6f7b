"""Li aggregation on a surface: streaming trajectory readers, Li–Li clusters and the aggregation rate.

Pure numerics (numpy/scipy, ASE readers); no jobflow.  Everything works frame by frame
(generators), so a long trajectory never has to fit in memory.

Definitions (printed with the results, see :data:`RATE_DEFINITION`):

* Two Li atoms are *bonded* if their distance (any periodic image) is ≤ ``cutoff_a``; a
  *cluster* is a connected component of that graph (periodic boundaries of any triclinic cell
  handled exactly: k-d trees on the wrapped positions and on the images near the cell faces;
  components by vectorised label propagation, checked against scipy's csgraph in the tests).
* Per frame: number of clusters, largest cluster, mean cluster size (N_Li / N_clusters),
  isolated fraction φ (Li with no Li neighbour / N_Li) and mean Li–Li coordination.
* Default ``cutoff_a``: the first minimum of the Li–Li pair-distance distribution computed from
  the data (:func:`li_li_cutoff_a`); if that distribution has no clear first peak and minimum
  (e.g. the Li stay dispersed), the fallback :data:`FALLBACK_CUTOFF_A` = 3.3 Å is used and the
  reason recorded.
* Kinetics (k, φ∞, t½, r0 with φ∞ free): :mod:`lithiophilic.analysis.aggregation_kinetics`
  (:data:`RATE_DEFINITION`).  :func:`fit_aggregation_rate` and :func:`rate_over_replicas` keep
  the zero-asymptote rate stored before issue 19 (:data:`LEGACY_RATE_DEFINITION`).
"""

from __future__ import annotations

import functools
import gzip
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lithiophilic.analysis.aggregation_kinetics import KINETICS_DEFINITION, fit_relaxation
from lithiophilic.errors import AnalysisError, ConfigurationError

__all__ = [
    "FALLBACK_CUTOFF_A",
    "LEGACY_RATE_DEFINITION",
    "RATE_DEFINITION",
    "ClusterFrame",
    "Frame",
    "analyze_trajectory",
    "analyze_trajectory_rate",
    "cluster_frame",
    "compare_rates",
    "fit_aggregation_rate",
    "iter_frames",
    "iter_lammps_dump",
    "li_li_cutoff_a",
    "li_pairs",
    "parse_type_map",
    "rate_over_replicas",
    "sample_frames",
]

logger = logging.getLogger(__name__)

#: Li–Li bond cutoff used when the pair-distance distribution has no clear first minimum, Å
#: (between the bcc-Li nearest- (3.04 Å) and next-nearest-neighbour (3.51 Å) distances).
FALLBACK_CUTOFF_A = 3.3
#: Window in which a computed first minimum is accepted, Å.
CUTOFF_WINDOW_A = (2.7, 4.2)
#: Largest Li–Li distance histogrammed for the cutoff search, Å.
RDF_RMAX_A = 6.0
#: Histogram bin of the cutoff search, Å.
RDF_BIN_A = 0.05
#: Frames with at most this many atoms use dense (scipy cdist) distances instead of k-d trees.
_DENSE_MAX = 256
#: Fewest Li–Li pairs below RDF_RMAX_A needed to trust a computed minimum.
RDF_MIN_PAIRS = 50

#: The zero-asymptote rate of the documents stored before issue 19 (depends on the run length).
LEGACY_RATE_DEFINITION = (
    "aggregation rate k (1/ps) = first-order rate constant of the isolated-Li fraction "
    "phi(t) = N(Li with no Li neighbour within cutoff)/N_Li, fitted per replica as "
    "phi(t) = phi(t0)*exp(-k*(t - t0)) by least squares (k >= 0); mean over replicas with a "
    "two-sided 95% Student-t confidence interval; surfaces compared by Welch's t-test. "
    "Secondary: slope of the mean cluster size N_Li/N_clusters vs time (1/ps), same statistics."
)
RATE_DEFINITION = KINETICS_DEFINITION


# --------------------------------------------------------------------------- frames and readers


@dataclass(frozen=True)
class Frame:
    """One trajectory frame: cell, periodicity, species and Cartesian positions (Å)."""

    index: int
    step: int | None
    time_ps: float | None
    cell: np.ndarray
    pbc: np.ndarray
    symbols: np.ndarray
    positions: np.ndarray

    def select(self, element: str) -> np.ndarray:
        """Return the positions of one element, Å."""
        return self.positions[self.symbols == element]


def _open_text(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rt")
    return path.open()


def _triclinic_cell(bounds: np.ndarray, tilts: np.ndarray) -> np.ndarray:
    """LAMMPS bounding box (xlo_bound ... ) and tilts → 3×3 cell (rows a, b, c)."""
    xy, xz, yz = tilts
    xlo = bounds[0, 0] - min(0.0, xy, xz, xy + xz)
    xhi = bounds[0, 1] - max(0.0, xy, xz, xy + xz)
    ylo = bounds[1, 0] - min(0.0, yz)
    yhi = bounds[1, 1] - max(0.0, yz)
    zlo, zhi = bounds[2]
    return np.array([[xhi - xlo, 0.0, 0.0], [xy, yhi - ylo, 0.0], [xz, yz, zhi - zlo]])


def _truncated(path: Path, index: int, what: str) -> AnalysisError:
    msg = f"trajectory {path}: truncated or corrupt at frame {index} ({what})"
    return AnalysisError(msg)


def iter_lammps_dump(
    path: str | Path,
    *,
    type_map: Mapping[int, str] | None = None,
    timestep_fs: float | None = None,
) -> Iterator[Frame]:
    """Yield the frames of a LAMMPS text dump (``custom``/``atom`` style; ``.gz`` allowed).

    Parameters
    ----------
    path
        Dump file; gzip-compressed if it ends in ``.gz``.
    type_map
        Atom type → element, needed when the dump has no ``element`` column.
    timestep_fs
        MD time step, fs; with it ``Frame.time_ps`` = step × timestep (else ``None``).

    Raises
    ------
    AnalysisError
        If the file is truncated (incomplete frame, broken gzip stream), lacks coordinates, or
        has neither an ``element`` column nor a ``type_map``.
    """
    path = Path(path)
    index = 0
    try:
        with _open_text(path) as fh:
            while True:
                line = fh.readline()
                if not line:
                    return
                if not line.startswith("ITEM: TIMESTEP"):
                    raise _truncated(path, index, f"expected 'ITEM: TIMESTEP', got {line[:40]!r}")
                step = int(fh.readline())
                if not fh.readline().startswith("ITEM: NUMBER OF ATOMS"):
                    raise _truncated(path, index, "no 'NUMBER OF ATOMS'")
                n_atoms = int(fh.readline())
                box_header = fh.readline()
                if not box_header.startswith("ITEM: BOX BOUNDS"):
                    raise _truncated(path, index, "no 'BOX BOUNDS'")
                flags = box_header.split()[3:]
                triclinic = flags[:3] == ["xy", "xz", "yz"]
                pbc = np.array([f == "pp" for f in flags[-3:]]) if flags else np.ones(3, bool)
                rows = np.array([fh.readline().split() for _ in range(3)], dtype=float)
                tilts = rows[:, 2] if triclinic else np.zeros(3)
                cell = _triclinic_cell(rows[:, :2], tilts)
                origin = np.array(
                    [
                        rows[0, 0] - min(0.0, *tilts[:2], tilts[0] + tilts[1]),
                        rows[1, 0] - min(0.0, tilts[2]),
                        rows[2, 0],
                    ]
                )
                header = fh.readline()
                if not header.startswith("ITEM: ATOMS"):
                    raise _truncated(path, index, "no 'ITEM: ATOMS'")
                cols = header.split()[2:]
                lines = [fh.readline() for _ in range(n_atoms)]
                if n_atoms and not lines[-1].endswith("\n"):
                    raise _truncated(path, index, f"fewer than {n_atoms} atom lines")
                table = np.array(" ".join(lines).split(), dtype=object)
                if table.size != n_atoms * len(cols):
                    raise _truncated(path, index, f"fewer than {n_atoms} atom lines")
                table = table.reshape(n_atoms, len(cols))
                positions = _dump_positions(table, cols, cell, origin, path)
                symbols = _dump_symbols(table, cols, type_map, path)
                if "id" in cols:
                    order = np.argsort(table[:, cols.index("id")].astype(int), kind="stable")
                    positions, symbols = positions[order], symbols[order]
                time_ps = step * timestep_fs / 1000.0 if timestep_fs is not None else None
                yield Frame(index, step, time_ps, cell, pbc, symbols, positions)
                index += 1
    except (EOFError, gzip.BadGzipFile, ValueError, IndexError, OSError) as exc:
        raise _truncated(path, index, f"{type(exc).__name__}: {exc}") from exc


def _dump_positions(
    table: np.ndarray, cols: list[str], cell: np.ndarray, origin: np.ndarray, path: Path
) -> np.ndarray:
    for names in (("x", "y", "z"), ("xu", "yu", "zu")):
        if all(n in cols for n in names):
            return table[:, [cols.index(n) for n in names]].astype(float) - origin
    for names in (("xs", "ys", "zs"), ("xsu", "ysu", "zsu")):
        if all(n in cols for n in names):
            return table[:, [cols.index(n) for n in names]].astype(float) @ cell
    msg = f"trajectory {path}: the dump has no coordinate columns (x y z, xu, xs); columns {cols}"
    raise AnalysisError(msg)


def _dump_symbols(
    table: np.ndarray, cols: list[str], type_map: Mapping[int, str] | None, path: Path
) -> np.ndarray:
    if "element" in cols:
        return table[:, cols.index("element")].astype(str)
    if type_map is None or "type" not in cols:
        msg = (
            f"trajectory {path}: the dump has no 'element' column; pass type_map "
            "(LAMMPS type -> element, e.g. --type-map 1=Li,2=Cu)"
        )
        raise AnalysisError(msg)
    types = table[:, cols.index("type")].astype(int)
    lookup = np.array([type_map.get(t, "X") for t in range(int(types.max()) + 1)])
    return lookup[types]


def _iter_ase(path: Path, timestep_fs: float | None) -> Iterator[Frame]:
    from ase.io import iread

    index = 0
    try:
        for atoms in iread(str(path), index=":"):
            time_ps = atoms.info.get("time_ps")
            if time_ps is None and timestep_fs is not None and "step" in atoms.info:
                time_ps = atoms.info["step"] * timestep_fs / 1000.0
            yield Frame(
                index,
                atoms.info.get("step"),
                None if time_ps is None else float(time_ps),
                np.asarray(atoms.cell.array, dtype=float),
                np.asarray(atoms.pbc, dtype=bool),
                np.asarray(atoms.get_chemical_symbols()),
                atoms.positions.copy(),
            )
            index += 1
    except (EOFError, gzip.BadGzipFile, ValueError, IndexError, KeyError, OSError) as exc:
        raise _truncated(path, index, f"{type(exc).__name__}: {exc}") from exc


def iter_frames(
    path: str | Path,
    *,
    type_map: Mapping[int, str] | None = None,
    timestep_fs: float | None = None,
) -> Iterator[Frame]:
    """Yield frames of a LAMMPS dump (``*.lammpstrj[.gz]``, ``*.dump[.gz]``), extxyz or ASE traj.

    Raises
    ------
    AnalysisError
        If the file does not exist, or is truncated or unreadable (see :func:`iter_lammps_dump`).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"trajectory: {path} does not exist"
        raise AnalysisError(msg)
    name = path.name.removesuffix(".gz")
    if name.endswith((".lammpstrj", ".dump")) or ".dump." in name or name.startswith("dump"):
        yield from iter_lammps_dump(path, type_map=type_map, timestep_fs=timestep_fs)
    else:
        yield from _iter_ase(path, timestep_fs)


# --------------------------------------------------------------------------- neighbours, clusters


@functools.lru_cache(maxsize=64)
def _shift_table(
    cell_key: bytes, pbc_key: tuple[bool, ...], cutoff_a: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Half of the lattice translations that can bring an image within ``cutoff_a``.

    Returns the translations (Cartesian, Å; one of each ±n pair, first non-zero coefficient
    positive), the fractional-coordinate window (lower, upper bounds per translation and axis)
    of the atoms whose images can matter, and the inverse cell.  ``reach`` = ``cutoff_a / h``
    per axis (h: distance between opposite cell faces).
    """
    cell = np.frombuffer(cell_key, dtype=float).reshape(3, 3)
    volume = abs(np.linalg.det(cell))
    reach = np.zeros(3)
    ranges = []
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        reach[i] = cutoff_a * np.linalg.norm(np.cross(cell[j], cell[k])) / volume
        n = math.ceil(reach[i]) if pbc_key[i] else 0
        ranges.append(np.arange(-n, n + 1))
    grid = np.stack(np.meshgrid(*ranges, indexing="ij"), axis=-1).reshape(-1, 3)
    first = np.array([row[np.flatnonzero(row)[0]] if row.any() else 0 for row in grid])
    half = grid[first > 0]
    # the image of an atom with fractional s under translation n can lie within the cutoff of
    # the cell only if, along every axis k with n_k != 0, it is within reach_k of the face it
    # crossed: n_k > 0: s_k <= reach_k - (n_k - 1); n_k < 0: s_k >= -reach_k - n_k
    lo = np.where(half < 0, -reach - half, -np.inf)
    hi = np.where(half > 0, reach - half + 1, np.inf)
    return half @ cell, lo[:, None, :], hi[:, None, :], np.linalg.inv(cell)


def _components(n: int, i: np.ndarray, j: np.ndarray) -> tuple[int, np.ndarray]:
    """Return the connected components of an undirected graph (edge arrays), labels 0..k-1.

    Vectorised min-label hooking with pointer jumping (a Shiloach–Vishkin-type scheme):
    no per-edge Python loop, O(log n) sweeps in practice.
    """
    lab = np.arange(n)
    if len(i) == 0:
        return n, lab
    while True:
        li, lj = lab[i], lab[j]
        low = np.minimum(li, lj)
        new = lab.copy()
        np.minimum.at(new, li, low)
        np.minimum.at(new, lj, low)
        while True:
            jumped = new[new]
            if not (jumped != new).any():
                break
            new = jumped
        if not (new != lab).any():
            break
        lab = new
    is_root = lab == np.arange(n)  # every label is now the smallest index of its component
    new_index = np.cumsum(is_root) - 1
    return int(is_root.sum()), new_index[lab]


def li_pairs(
    positions: np.ndarray, cell: np.ndarray, pbc: Sequence[bool] | np.ndarray, cutoff_a: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return all pairs (i, j, distance) within ``cutoff_a`` under periodic boundaries.

    Works for any (triclinic) cell: positions are wrapped into the cell along periodic axes;
    pairs inside the cell come from a k-d tree, pairs across the boundary from a second tree
    holding only the images (half of the ± translations) of atoms close enough to a face (for
    ≤ 256 atoms, dense C-level distance matrices replace the trees: cheaper at that size).
    Each unordered pair appears once per image, as (i, j) with i < j, or as i == j for an
    atom's own periodic image (only in cells thinner than the cutoff).

    Returns
    -------
    tuple of numpy.ndarray
        ``i``, ``j`` (int) and distances (Å).
    """
    from scipy.spatial import cKDTree
    from scipy.spatial.distance import cdist

    pos = np.asarray(positions, dtype=float)
    if len(pos) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    cell_arr = np.ascontiguousarray(cell, dtype=float)
    pbc_t = tuple(bool(p) for p in pbc)
    shifts, lo, hi, inv = _shift_table(cell_arr.tobytes(), pbc_t, float(cutoff_a))
    frac = pos @ inv
    periodic = np.array(pbc_t)
    frac[:, periodic] -= np.floor(frac[:, periodic])
    pos = frac @ cell_arr
    n = len(pos)
    atom_idx = np.zeros(0, int)
    images = np.zeros((0, 3))
    if len(shifts):
        near = ((frac[None] >= lo) & (frac[None] <= hi)).all(axis=2)
        shift_idx, atom_idx = np.nonzero(near)
        images = pos[atom_idx] + shifts[shift_idx]
    if n <= _DENSE_MAX:  # few atoms: one C-level distance matrix is cheaper than k-d trees
        dist = cdist(pos, np.concatenate([pos, images]))
        i, k = np.nonzero(dist <= cutoff_a)
        keep = (k >= n) | (i < k)
        i, k = i[keep], k[keep]
        return i, np.concatenate([np.arange(n), atom_idx])[k], dist[i, k]
    tree = cKDTree(pos)
    pairs = tree.query_pairs(cutoff_a, output_type="ndarray")
    i0, j0 = pairs[:, 0], pairs[:, 1]
    d0 = np.linalg.norm(pos[i0] - pos[j0], axis=1)
    if len(images) == 0:
        return i0, j0, d0
    cross = tree.sparse_distance_matrix(cKDTree(images), cutoff_a, output_type="ndarray")
    return (
        np.concatenate([i0, cross["i"].astype(int)]),
        np.concatenate([j0, atom_idx[cross["j"].astype(int)]]),
        np.concatenate([d0, cross["v"]]),
    )


@dataclass(frozen=True)
class ClusterFrame:
    """Li–Li cluster metrics of one frame."""

    index: int
    time_ps: float | None
    n_li: int
    n_clusters: int
    largest_cluster: int
    mean_cluster_size: float
    isolated_fraction: float
    mean_coordination: float
    labels: np.ndarray

    def as_dict(self, *, labels: bool = False) -> dict[str, Any]:
        """Return the metrics as plain Python values (``labels`` optional)."""
        out: dict[str, Any] = {
            "frame": self.index,
            "time_ps": self.time_ps,
            "n_li": self.n_li,
            "n_clusters": self.n_clusters,
            "largest_cluster": self.largest_cluster,
            "mean_cluster_size": self.mean_cluster_size,
            "isolated_fraction": self.isolated_fraction,
            "mean_coordination": self.mean_coordination,
        }
        if labels:
            out["labels"] = self.labels.tolist()
        return out


def cluster_frame(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc: Sequence[bool] | np.ndarray,
    cutoff_a: float,
    *,
    index: int = 0,
    time_ps: float | None = None,
) -> ClusterFrame:
    """Cluster Li atoms (connected components of the ``cutoff_a`` graph) and compute the metrics.

    Raises
    ------
    AnalysisError
        If there are no Li positions or the cutoff is not positive.
    """
    n = len(positions)
    if n == 0:
        msg = f"frame {index}: no Li atoms"
        raise AnalysisError(msg)
    if not cutoff_a > 0:
        msg = f"cutoff_a={cutoff_a!r} must be > 0 Å"
        raise AnalysisError(msg)
    i, j, _ = li_pairs(positions, cell, pbc, cutoff_a)
    n_clusters, labels = _components(n, i, j)
    bonded = np.zeros(n, bool)
    bonded[i] = True
    bonded[j] = True
    return ClusterFrame(
        index=index,
        time_ps=time_ps,
        n_li=n,
        n_clusters=int(n_clusters),
        largest_cluster=int(np.bincount(labels).max()),
        mean_cluster_size=n / n_clusters,
        isolated_fraction=1.0 - np.count_nonzero(bonded) / n,
        mean_coordination=2.0 * len(i) / n,  # each pair (per periodic image) bonds two Li
        labels=labels,
    )


def li_li_cutoff_a(
    frames: Iterable[Frame],
    *,
    element: str = "Li",
    rmax_a: float = RDF_RMAX_A,
    bin_a: float = RDF_BIN_A,
) -> tuple[float, str]:
    """Return the Li–Li bond cutoff: the first minimum of the pair-distance distribution.

    The histogram of Li–Li distances (all given frames) is divided by r (a surface layer is
    two-dimensional, so an uncorrelated gas gives a flat g(r)), smoothed over 0.15 Å; the first
    minimum is the first point past the first peak (below half its height) where the
    distribution stops decreasing (the start of the gap between the first two shells).  If there are fewer than
    :data:`RDF_MIN_PAIRS` pairs, no peak, or the minimum lies outside :data:`CUTOFF_WINDOW_A`,
    :data:`FALLBACK_CUTOFF_A` is returned.

    Returns
    -------
    tuple
        (cutoff, Å; how it was obtained).
    """
    edges = np.arange(0.0, rmax_a + bin_a, bin_a)
    hist = np.zeros(len(edges) - 1)
    for frame in frames:
        pos = frame.select(element)
        _, _, d = li_pairs(pos, frame.cell, frame.pbc, rmax_a)
        hist += np.histogram(d, bins=edges)[0]
    n_pairs = int(hist.sum())
    if n_pairs < RDF_MIN_PAIRS:
        return FALLBACK_CUTOFF_A, (
            f"fallback {FALLBACK_CUTOFF_A} Å: only {n_pairs} Li-Li pairs within {rmax_a} Å"
        )
    centres = 0.5 * (edges[1:] + edges[:-1])
    g = hist / centres
    width = 3
    smooth = np.convolve(g, np.ones(width) / width, mode="same")
    peak = int(np.argmax(smooth[centres < CUTOFF_WINDOW_A[1]]))
    after = smooth[peak:]
    # first point past the peak's half height where the distribution stops decreasing
    rising = np.flatnonzero((np.diff(after) >= 0) & (after[:-1] < 0.5 * smooth[peak]))
    if smooth[peak] <= 0 or len(rising) == 0:
        return FALLBACK_CUTOFF_A, f"fallback {FALLBACK_CUTOFF_A} Å: no first peak/minimum"
    r_min = float(centres[peak + int(rising[0])])
    if not CUTOFF_WINDOW_A[0] <= r_min <= CUTOFF_WINDOW_A[1]:
        return FALLBACK_CUTOFF_A, (
            f"fallback {FALLBACK_CUTOFF_A} Å: first minimum at {r_min:.2f} Å is outside "
            f"{CUTOFF_WINDOW_A} Å"
        )
    return r_min, f"first minimum of the Li-Li pair distribution ({n_pairs} pairs)"


def sample_frames(path: str | Path, n_frames: int = 20, **kwargs: Any) -> Iterator[Frame]:
    """Yield up to about ``n_frames`` evenly spaced frames from the second half of a trajectory.

    Two streaming passes (count, then pick); ``kwargs`` go to :func:`iter_frames`.
    """
    total = sum(1 for _ in iter_frames(path, **kwargs))
    first = total // 2
    stride = max(1, (total - first) // max(1, n_frames))
    return (f for f in iter_frames(path, **kwargs) if f.index >= first and f.index % stride == 0)


def analyze_trajectory(
    path: str | Path,
    *,
    cutoff_a: float | None = None,
    element: str = "Li",
    type_map: Mapping[int, str] | None = None,
    timestep_fs: float | None = None,
    rdf_frames: int = 20,
) -> dict[str, Any]:
    """Per-frame cluster metrics of one trajectory (streamed; two passes if the cutoff is computed).

    Parameters
    ----------
    path
        Trajectory (see :func:`iter_frames`).
    cutoff_a
        Li–Li bond cutoff, Å; ``None``: :func:`li_li_cutoff_a` on up to ``rdf_frames`` frames
        from the second half of the trajectory (where clusters have formed).
    element
        Species clustered (default Li).
    type_map, timestep_fs
        See :func:`iter_lammps_dump`.
    rdf_frames
        Frames used for the cutoff search.

    Returns
    -------
    dict
        ``cutoff_a``, ``cutoff_source``, ``n_frames``, ``n_li``, ``frames`` (list of
        :meth:`ClusterFrame.as_dict`), ``definition``.

    Raises
    ------
    AnalysisError
        For a truncated/unreadable file, no frames, a frame without ``element``, or a Li count
        that changes between frames.
    """
    kwargs: dict[str, Any] = {"type_map": type_map, "timestep_fs": timestep_fs}
    source = "given"
    if cutoff_a is None:
        cutoff_a, source = li_li_cutoff_a(
            sample_frames(path, rdf_frames, **kwargs), element=element
        )
    rows: list[dict[str, Any]] = []
    n_li = None
    for frame in iter_frames(path, **kwargs):
        pos = frame.select(element)
        if len(pos) == 0:
            msg = f"trajectory {path}: frame {frame.index} has no {element} atoms"
            raise AnalysisError(msg)
        if n_li is not None and len(pos) != n_li:
            msg = (
                f"trajectory {path}: frame {frame.index} has {len(pos)} {element} atoms, "
                f"the first frame {n_li}"
            )
            raise AnalysisError(msg)
        n_li = len(pos)
        result = cluster_frame(
            pos, frame.cell, frame.pbc, cutoff_a, index=frame.index, time_ps=frame.time_ps
        )
        rows.append(result.as_dict())
    if not rows:
        msg = f"trajectory {path}: no frames"
        raise AnalysisError(msg)
    return {
        "trajectory": str(path),
        "element": element,
        "cutoff_a": float(cutoff_a),
        "cutoff_source": source,
        "n_frames": len(rows),
        "n_li": n_li,
        "frames": rows,
        "definition": RATE_DEFINITION,
    }


def parse_type_map(text: str) -> dict[int, str]:
    """Parse LAMMPS types ``1=Li,2=Cu`` into ``{1: "Li", 2: "Cu"}`` (ConfigurationError if not)."""
    try:
        return {int(k): v.strip() for k, v in (p.split("=") for p in text.split(","))}
    except ValueError:
        msg = f"type-map: {text!r} is not like 1=Li,2=Cu"
        raise ConfigurationError(msg) from None


def analyze_trajectory_rate(
    path: str | Path,
    *,
    cutoff_a: float | None = None,
    type_map: Mapping[int, str] | None = None,
    timestep_fs: float | None = None,
) -> dict[str, Any]:
    """Return :func:`analyze_trajectory`'s metrics plus, when it can be fitted, its ``rate``.

    ``rate`` (:func:`~lithiophilic.analysis.aggregation_kinetics.fit_relaxation`: k, φ∞, t½,
    r0, R²; one trajectory: no confidence interval) needs ≥ 3 frames with times.

    Raises
    ------
    ConfigurationError
        If ``cutoff_a`` is not positive (:class:`AnalysisError`: see :func:`analyze_trajectory`).
    """
    if cutoff_a is not None and not cutoff_a > 0:
        msg = f"cutoff: {cutoff_a} must be > 0 Å"
        raise ConfigurationError(msg)
    res = analyze_trajectory(path, cutoff_a=cutoff_a, type_map=type_map, timestep_fs=timestep_fs)
    rows = res["frames"]
    times = [f["time_ps"] for f in rows]
    if len(rows) >= 3 and None not in times:
        res["rate"] = fit_relaxation(times, [f["isolated_fraction"] for f in rows])
    return res


# --------------------------------------------------------------------------- rates


def fit_aggregation_rate(
    time_ps: Sequence[float], isolated_fraction: Sequence[float]
) -> dict[str, float]:
    """Fit φ(t) = φ(t0)·exp(−k (t − t0)) to one replica; return ``k_per_ps`` and ``r2``.

    Least squares in φ (not log φ, which diverges once every Li is clustered), k ≥ 0.

    Raises
    ------
    AnalysisError
        If fewer than three frames, times not increasing, or φ(t0) = 0 (nothing to decay).
    """
    from scipy.optimize import least_squares

    t = np.asarray(time_ps, dtype=float)
    phi = np.asarray(isolated_fraction, dtype=float)
    if len(t) < 3 or len(t) != len(phi):
        msg = f"rate fit needs ≥ 3 frames with times and fractions, got {len(t)}/{len(phi)}"
        raise AnalysisError(msg)
    if np.any(np.diff(t) <= 0):
        msg = "rate fit: times must increase"
        raise AnalysisError(msg)
    phi0 = phi[0]
    if phi0 <= 0:
        msg = "rate fit: the isolated fraction is 0 in the first frame (Li already clustered)"
        raise AnalysisError(msg)
    dt = t - t[0]
    span = dt[-1]
    guess = max(-np.log(max(phi[-1], 1e-3) / phi0) / span, 1e-6)

    def residual(p: np.ndarray) -> np.ndarray:
        return phi0 * np.exp(-p[0] * dt) - phi

    res = least_squares(residual, x0=[guess], bounds=([0.0], [np.inf]))
    k = float(res.x[0])
    ss_res = float(np.sum(res.fun**2))
    ss_tot = float(np.sum((phi - phi.mean()) ** 2))
    return {"k_per_ps": k, "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")}


def _t_interval(values: Sequence[float], confidence: float) -> dict[str, Any]:
    from scipy import stats

    v = np.asarray(values, dtype=float)
    n = len(v)
    mean = float(v.mean())
    if n < 2:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None, "n": n}
    std = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n))
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def rate_over_replicas(
    replicas: Sequence[Mapping[str, Sequence[float]]], *, confidence: float = 0.95
) -> dict[str, Any]:
    """Return the aggregation rate of one surface over replicas, with a Student-t interval.

    Parameters
    ----------
    replicas
        One mapping per replica with ``time_ps``, ``isolated_fraction`` and
        ``mean_cluster_size`` sequences (per frame).
    confidence
        Two-sided confidence level.

    Returns
    -------
    dict
        ``k_per_ps`` (mean, std, ci_low, ci_high, n), ``k_per_ps_replicas``, ``r2_replicas``,
        ``cluster_growth_per_ps`` (same statistics of the mean-cluster-size slope),
        ``confidence``, ``definition``.

    Raises
    ------
    AnalysisError
        If there is no replica or a replica cannot be fitted.
    """
    if not replicas:
        msg = "rate: no replicas"
        raise AnalysisError(msg)
    ks, r2s, growth = [], [], []
    for rep in replicas:
        fit = fit_aggregation_rate(rep["time_ps"], rep["isolated_fraction"])
        ks.append(fit["k_per_ps"])
        r2s.append(fit["r2"])
        t = np.asarray(rep["time_ps"], dtype=float)
        growth.append(float(np.polyfit(t - t[0], np.asarray(rep["mean_cluster_size"]), 1)[0]))
    return {
        "k_per_ps": _t_interval(ks, confidence),
        "k_per_ps_replicas": ks,
        "r2_replicas": r2s,
        "cluster_growth_per_ps": _t_interval(growth, confidence),
        "cluster_growth_per_ps_replicas": growth,
        "confidence": confidence,
        "definition": LEGACY_RATE_DEFINITION,
    }


def compare_rates(
    k_a: Sequence[float],
    k_b: Sequence[float],
    *,
    label_a: str = "A",
    label_b: str = "B",
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Compare two surfaces' per-replica rates with Welch's t-test (two-sided).

    Returns
    -------
    dict
        ``ratio`` (mean_a / mean_b), ``t``, ``p_value``, ``significant`` and a one-line
        ``statement``.
    """
    from scipy import stats

    a = np.asarray(k_a, dtype=float)
    b = np.asarray(k_b, dtype=float)
    mean_a, mean_b = float(a.mean()), float(b.mean())
    ratio = mean_a / mean_b if mean_b > 0 else float("inf")
    if len(a) < 2 or len(b) < 2:
        return {
            "ratio": ratio,
            "t": None,
            "p_value": None,
            "significant": None,
            "statement": f"{label_a} vs {label_b}: needs ≥ 2 replicas each for a t-test",
        }
    t, p = stats.ttest_ind(a, b, equal_var=False)
    t, p = float(t), float(p)
    if not math.isfinite(p):  # both samples constant
        p = 0.0 if mean_a != mean_b else 1.0
    significant = p < alpha
    faster = label_a if mean_a > mean_b else label_b
    statement = (
        f"aggregation on {faster} is faster (k {label_a}/{label_b} = {ratio:.3g}); "
        f"Welch t-test p = {p:.3g}: "
        + (
            f"significant at alpha = {alpha}"
            if significant
            else f"NOT significant at alpha = {alpha}"
        )
    )
    return {
        "ratio": ratio,
        "t": t,
        "p_value": p,
        "significant": significant,
        "statement": statement,
    }
