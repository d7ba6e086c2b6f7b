"""Figures of the Li-aggregation MD: Fig. 5f (cluster metrics vs time) and 5g (top-view snapshots)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.analysis.binding import _pyplot, _save

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "aggregation_snapshots_figure",
    "cluster_metrics_figure",
    "plot_aggregation_snapshots",
    "plot_cluster_metrics",
]

_METRICS = (
    ("isolated_fraction", "isolated Li fraction"),
    ("clusters_per_li", "clusters / N_Li"),
    ("mean_cluster_size", "mean cluster size (Li)"),
    ("largest_cluster", "largest cluster (Li)"),
)


def _series(
    replicas: Sequence[Sequence[Mapping[str, Any]]], key: str
) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(r) for r in replicas)
    t = np.array([f["time_ps"] for f in replicas[0][:n]], dtype=float)
    if key == "clusters_per_li":
        values = [[f["n_clusters"] / f["n_li"] for f in r[:n]] for r in replicas]
    else:
        values = [[f[key] for f in r[:n]] for r in replicas]
    return t, np.asarray(values, dtype=float)


def cluster_metrics_figure(
    data: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]],
    *,
    title: str = "",
) -> Figure:
    """Draw Fig. 5f: cluster metrics vs time per surface, mean line and min–max band over replicas.

    Parameters
    ----------
    data
        Surface label → replicas → per-frame metric dicts (``time_ps``, ``n_clusters``,
        ``n_li``, ``isolated_fraction``, ``mean_cluster_size``, ``largest_cluster``).
    title
        Figure title (e.g. the rate definition and the potential).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), sharex=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (label, replicas), colour in zip(data.items(), colours, strict=False):
        if not replicas:
            continue
        for ax, (key, ylabel) in zip(axes.flat, _METRICS, strict=True):
            t, v = _series(replicas, key)
            ax.fill_between(t, v.min(axis=0), v.max(axis=0), color=colour, alpha=0.25, lw=0)
            ax.plot(t, v.mean(axis=0), color=colour, label=f"{label} ({len(replicas)} replicas)")
            ax.set_ylabel(ylabel)
    for ax in axes[1]:
        ax.set_xlabel("time (ps)")
    axes[0, 0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    return fig


def plot_cluster_metrics(
    data: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]],
    path: str | Path,
    *,
    title: str = "",
) -> Path:
    """Write :func:`cluster_metrics_figure` to ``path`` (.png, .pdf or .svg); return ``path``."""
    return _save(cluster_metrics_figure(data, title=title), path)


def aggregation_snapshots_figure(snapshots: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Draw Fig. 5g: top views of the Li at several times, Li coloured by cluster.

    Parameters
    ----------
    snapshots
        Surface label → ``{"cell2d", "substrate_xy", "substrate_symbols", "frames": [{"time_ps",
        "li_xy", "labels"}, ...]}`` (as stored by the MD workflow).
    """
    plt = _pyplot()
    rows = list(snapshots.items())
    n_cols = max(len(s["frames"]) for _, s in rows)
    fig, axes = plt.subplots(
        len(rows), n_cols, figsize=(3.0 * n_cols, 3.0 * len(rows)), squeeze=False
    )
    cmap = plt.get_cmap("tab20")
    for r, (label, snap) in enumerate(rows):
        cell = np.asarray(snap["cell2d"], dtype=float)
        corners = np.array([[0, 0], cell[0], cell[0] + cell[1], cell[1], [0, 0]])
        sub = np.asarray(snap["substrate_xy"], dtype=float).reshape(-1, 2)
        symbols = np.asarray(snap["substrate_symbols"])
        for c, frame in enumerate(snap["frames"]):
            ax = axes[r, c]
            for el, shade in zip(np.unique(symbols), ("0.75", "0.55", "0.9"), strict=False):
                m = symbols == el
                ax.scatter(sub[m, 0], sub[m, 1], s=6, c=shade, lw=0, label=el)
            li = np.asarray(frame["li_xy"], dtype=float).reshape(-1, 2)
            labels = np.asarray(frame["labels"], dtype=int)
            sizes = np.bincount(labels)[labels] if len(labels) else labels
            colours = np.where(
                (sizes > 1)[:, None], cmap(labels % 20)[:, :3], np.array([[0.0, 0.0, 0.0]])
            )
            # wrap Li into the cell for display
            frac = np.linalg.solve(cell.T, li.T).T % 1.0
            xy = frac @ cell
            ax.scatter(xy[:, 0], xy[:, 1], s=22, c=colours, edgecolors="k", linewidths=0.3)
            ax.plot(corners[:, 0], corners[:, 1], "k-", lw=0.5)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            n_cl = len(np.unique(labels))
            ax.set_title(f"{label}  t = {frame['time_ps']:.3g} ps\n{n_cl} clusters", fontsize=8)
        for c in range(len(snap["frames"]), n_cols):
            axes[r, c].axis("off")
    fig.tight_layout()
    return fig


def plot_aggregation_snapshots(
    snapshots: Mapping[str, Mapping[str, Any]], path: str | Path
) -> Path:
    """Write :func:`aggregation_snapshots_figure` to ``path`` (.png, .pdf or .svg); return ``path``."""
    return _save(aggregation_snapshots_figure(snapshots), path)
