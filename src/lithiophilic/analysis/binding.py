"""Li binding energies: single-atom adsorption, layer-by-layer binding and Fig. 5c–e plots.

Definitions (printed with every result, see :data:`BINDING_DEFINITION`):

* adsorption energy E_ads = E(slab+Li) − E(slab) − E_Li^ref (negative = favourable);
* binding energy E_b = −E_ads (larger = stronger binding), the paper's convention;
* E_Li^ref is either the isolated Li atom (spin-polarised where the calculator supports it)
  or bcc Li metal (energy per atom); the two E_b differ by the Li cohesive energy
  E_coh = E_Li(atom) − ε_Li(bcc) > 0 (≈ 1.6 eV): E_b(atom ref) = E_b(bcc ref) + E_coh;
* n Li layers of N_layer atoms each on a slab, total energies E(0) (bare slab) … E(n):
  incremental E_b(n) = −[E(n) − E(n−1) − N_layer·ε_Li(bcc)]/N_layer and
  average E_b,avg(n) = −[E(n) − E(0) − n·N_layer·ε_Li(bcc)]/(n·N_layer). The sum telescopes,
  so E_b,avg(n) is the mean of E_b(1) … E_b(n) (n·N_layer·E_b,avg(n) = N_layer·Σ_k E_b(k)).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.analysis.surface import facet_label
from lithiophilic.errors import AnalysisError

if TYPE_CHECKING:
    from ase import Atoms
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

__all__ = [
    "BINDING_DEFINITION",
    "adsorption_energy_ev",
    "average_binding_energies_ev",
    "binding_energy_ev",
    "compare_prescreen",
    "incremental_binding_energies_ev",
    "layer_binding_figure",
    "li_cohesive_energy_ev",
    "multilayer_structures_figure",
    "plot_layer_binding",
    "plot_multilayer_structures",
    "plot_site_binding",
    "site_binding_figure",
    "summarize_sites",
]

BINDING_DEFINITION = (
    "E_ads = E(slab+Li) - E(slab) - E_Li^ref (negative = favourable); binding energy "
    "E_b = -E_ads (larger = stronger). References: the isolated Li atom (spin-polarised where "
    "the calculator supports it) and bcc Li metal (energy per atom); they differ by the Li "
    "cohesive energy E_coh = E_Li(atom) - eps_Li(bcc) (> 0): E_b(atom) = E_b(bcc) + E_coh. "
    "Multilayer Li (N_layer Li per layer, E(0) = bare slab): incremental "
    "E_b(n) = -[E(n) - E(n-1) - N_layer*eps_Li(bcc)]/N_layer; average over n layers "
    "E_b,avg(n) = -[E(n) - E(0) - n*N_layer*eps_Li(bcc)]/(n*N_layer) = mean of E_b(1..n)."
)

Reference = Literal["bcc", "atom", "both"]
#: Row keys of the binding energies with each Li reference.
REFERENCE_KEYS = {"bcc": "binding_energy_bcc_ev", "atom": "binding_energy_atom_ev"}
#: Colour of Li atoms in structure plots.
LI_COLOR = "#7b3fbf"
_ELEMENT_COLORS = {"Cu": "#c87533", "Zn": "#8e9aa6", "Ag": "#c0c0c0", "Sn": "#6f7f8f"}


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        msg = f"{name}={value!r} is not a finite energy (eV)"
        raise AnalysisError(msg)
    return value


def adsorption_energy_ev(e_slab_li_ev: float, e_slab_ev: float, e_li_ref_ev: float) -> float:
    """Return E_ads = E(slab+Li) − E(slab) − E_Li^ref in eV (negative = favourable).

    Parameters
    ----------
    e_slab_li_ev
        Total energy of the slab with one Li atom, eV.
    e_slab_ev
        Total energy of the clean slab (same cell, calculator and settings), eV.
    e_li_ref_ev
        Li reference: isolated atom energy or bcc Li energy per atom, eV.

    Raises
    ------
    AnalysisError
        If an energy is not finite.
    """
    return (
        _finite("e_slab_li_ev", e_slab_li_ev)
        - _finite("e_slab_ev", e_slab_ev)
        - _finite("e_li_ref_ev", e_li_ref_ev)
    )


def binding_energy_ev(e_slab_li_ev: float, e_slab_ev: float, e_li_ref_ev: float) -> float:
    """Return E_b = −E_ads = E(slab) + E_Li^ref − E(slab+Li) in eV (larger = stronger).

    Parameters are those of :func:`adsorption_energy_ev`.

    Raises
    ------
    AnalysisError
        If an energy is not finite.
    """
    return -adsorption_energy_ev(e_slab_li_ev, e_slab_ev, e_li_ref_ev)


def li_cohesive_energy_ev(e_atom_ev: float, e_bcc_per_atom_ev: float) -> float:
    """Return the Li cohesive energy E_atom − ε_bcc in eV (positive; experiment ≈ 1.63 eV).

    E_b with the atom reference = E_b with the bcc reference + this value.

    Parameters
    ----------
    e_atom_ev
        Energy of the isolated (spin-polarised) Li atom, eV.
    e_bcc_per_atom_ev
        Energy per atom of relaxed bcc Li, eV.

    Raises
    ------
    AnalysisError
        If an energy is not finite or bcc Li is not below the atom (non-positive result).
    """
    e_coh = _finite("e_atom_ev", e_atom_ev) - _finite("e_bcc_per_atom_ev", e_bcc_per_atom_ev)
    if e_coh <= 0:
        msg = (
            f"Li cohesive energy E_atom - eps_bcc = {e_coh:.4f} eV is not positive: "
            f"e_atom_ev={e_atom_ev} must lie above e_bcc_per_atom_ev={e_bcc_per_atom_ev} "
            "(same calculator and settings?)"
        )
        raise AnalysisError(msg)
    return e_coh


def _layer_inputs(
    energies_ev: Sequence[float], n_li_per_layer: int, e_li_bcc_per_atom_ev: float
) -> np.ndarray:
    if isinstance(n_li_per_layer, bool) or not isinstance(n_li_per_layer, int | np.integer):
        msg = f"n_li_per_layer={n_li_per_layer!r} must be a positive integer (Li atoms per layer)"
        raise AnalysisError(msg)
    if n_li_per_layer <= 0:
        msg = f"n_li_per_layer={n_li_per_layer} must be a positive integer (Li atoms per layer)"
        raise AnalysisError(msg)
    energies = np.asarray(energies_ev, dtype=float).ravel()
    if energies.size < 2:
        msg = (
            f"energies_ev has {energies.size} value(s); give E(0) (bare slab) and at least E(1), "
            "i.e. n + 1 total energies for n layers"
        )
        raise AnalysisError(msg)
    if not np.all(np.isfinite(energies)):
        msg = f"energies_ev contains non-finite values: {energies.tolist()}"
        raise AnalysisError(msg)
    _finite("e_li_bcc_per_atom_ev", e_li_bcc_per_atom_ev)
    return energies


def incremental_binding_energies_ev(
    energies_ev: Sequence[float], n_li_per_layer: int, e_li_bcc_per_atom_ev: float
) -> list[float]:
    """Return E_b(n) = −[E(n) − E(n−1) − N_layer·ε_Li(bcc)]/N_layer for n = 1 … len − 1, eV/Li.

    Parameters
    ----------
    energies_ev
        Total energies E(0) (bare slab), E(1), …, E(n) in the same cell, eV.
    n_li_per_layer
        Li atoms per layer, N_layer.
    e_li_bcc_per_atom_ev
        Energy per atom of relaxed bcc Li, eV.

    Returns
    -------
    list of float
        One value per layer; positive: adding that layer is favourable relative to bcc Li.

    Raises
    ------
    AnalysisError
        If fewer than two energies are given, an energy is not finite or ``n_li_per_layer``
        is not a positive integer.
    """
    e = _layer_inputs(energies_ev, n_li_per_layer, e_li_bcc_per_atom_ev)
    n_layer = int(n_li_per_layer)
    return [
        float(-(e[k] - e[k - 1] - n_layer * e_li_bcc_per_atom_ev) / n_layer)
        for k in range(1, e.size)
    ]


def average_binding_energies_ev(
    energies_ev: Sequence[float], n_li_per_layer: int, e_li_bcc_per_atom_ev: float
) -> list[float]:
    """Return E_b,avg(n) = −[E(n) − E(0) − n·N_layer·ε_Li(bcc)]/(n·N_layer), eV/Li.

    Since the increments telescope, ``n·N_layer·E_b,avg(n) = N_layer·Σ_{k≤n} E_b(k)``:
    E_b,avg(n) is the running mean of :func:`incremental_binding_energies_ev`.

    Parameters
    ----------
    energies_ev
        Total energies E(0) (bare slab), E(1), …, E(n) in the same cell, eV.
    n_li_per_layer
        Li atoms per layer, N_layer.
    e_li_bcc_per_atom_ev
        Energy per atom of relaxed bcc Li, eV.

    Returns
    -------
    list of float
        E_b,avg(1) … E_b,avg(n).

    Raises
    ------
    AnalysisError
        As :func:`incremental_binding_energies_ev`.
    """
    e = _layer_inputs(energies_ev, n_li_per_layer, e_li_bcc_per_atom_ev)
    n_layer = int(n_li_per_layer)
    return [
        float(-(e[n] - e[0] - n * n_layer * e_li_bcc_per_atom_ev) / (n * n_layer))
        for n in range(1, e.size)
    ]


# --------------------------------------------------------------------------- sites


def summarize_sites(
    rows: Sequence[Mapping[str, Any]],
    *,
    e_slab_ev: float | None = None,
    e_li_ref_ev: float | None = None,
) -> dict[str, Any]:
    """Summarise the relaxed single-Li sites of one slab.

    Parameters
    ----------
    rows
        One mapping per site with ``site_label``, ``site_kind`` and ``energy_ev`` (total
        energy of the relaxed slab+Li); optional ``final_site_kind`` (from
        :func:`lithiophilic.structures.sites.classify_site_after_relaxation`), ``moved``.
    e_slab_ev
        Energy of the clean slab, eV; with ``e_li_ref_ev`` it turns energies into E_b.
    e_li_ref_ev
        Li reference energy (atom or bcc per atom), eV.

    Returns
    -------
    dict
        ``lowest_site_label``, ``lowest_site_kind``, ``lowest_energy_ev``,
        ``lowest_final_site_kind`` (if given), ``spread_ev`` (max − min of the energies, which
        is also the spread of E_b), ``n_sites``, ``counts`` (initial kinds),
        ``final_counts`` (final kinds, if given), ``n_moved``, ``energy_above_lowest_ev``
        (per label) and, with both reference energies, ``binding_energy_ev`` (strongest E_b)
        and ``binding_energies_ev`` (per label).

    Raises
    ------
    AnalysisError
        If ``rows`` is empty, a row lacks a key or an energy is not finite, or only one of
        ``e_slab_ev``/``e_li_ref_ev`` is given.
    """
    if not rows:
        msg = "rows is empty: no relaxed sites to summarise"
        raise AnalysisError(msg)
    if (e_slab_ev is None) != (e_li_ref_ev is None):
        msg = "give both e_slab_ev and e_li_ref_ev (or neither) to report binding energies"
        raise AnalysisError(msg)
    labels, kinds, energies = [], [], []
    for i, row in enumerate(rows):
        missing = [k for k in ("site_label", "site_kind", "energy_ev") if k not in row]
        if missing:
            msg = f"rows[{i}] lacks {missing}; each row needs site_label, site_kind, energy_ev"
            raise AnalysisError(msg)
        labels.append(str(row["site_label"]))
        kinds.append(str(row["site_kind"]))
        energies.append(_finite(f"rows[{i}]['energy_ev']", row["energy_ev"]))
    e = np.asarray(energies)
    best = int(np.argmin(e))
    counts: dict[str, int] = {}
    for k in kinds:
        counts[k] = counts.get(k, 0) + 1
    summary: dict[str, Any] = {
        "lowest_site_label": labels[best],
        "lowest_site_kind": kinds[best],
        "lowest_energy_ev": float(e[best]),
        "spread_ev": float(e.max() - e.min()),
        "n_sites": len(rows),
        "counts": counts,
        "n_moved": int(sum(bool(r.get("moved", False)) for r in rows)),
        "energy_above_lowest_ev": {
            lab: float(v - e[best]) for lab, v in zip(labels, e, strict=True)
        },
    }
    finals = [r.get("final_site_kind") for r in rows]
    if any(f is not None for f in finals):
        final_counts: dict[str, int] = {}
        for f in finals:
            key = str(f)
            final_counts[key] = final_counts.get(key, 0) + 1
        summary["final_counts"] = final_counts
        summary["lowest_final_site_kind"] = finals[best]
    if e_slab_ev is not None and e_li_ref_ev is not None:
        eb = [binding_energy_ev(v, e_slab_ev, e_li_ref_ev) for v in e]
        summary["binding_energy_ev"] = float(max(eb))
        summary["binding_energies_ev"] = dict(zip(labels, eb, strict=True))
    return summary


# --------------------------------------------------------------------------- plots


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    from lithiophilic.analysis.figures import save_figure

    return save_figure(fig, path)


def _facet(row: Mapping[str, Any]) -> str:
    if "facet" in row:
        return str(row["facet"])
    miller = row.get("miller")
    if miller is None:
        return "?"
    return facet_label(miller)


def site_binding_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    reference: Reference = "bcc",
    title: str | None = None,
) -> Figure:
    """Draw a Fig. 5c-style bar chart of single-Li binding energies per material and facet.

    Each bar is the strongest site (largest E_b) of a material and facet; the whisker reaches
    down to the weakest site, so its length is the spread over sites (and samples).

    Parameters
    ----------
    rows
        One mapping per relaxed site with ``material``, ``miller`` (or ``facet``) and
        ``binding_energy_bcc_ev`` and/or ``binding_energy_atom_ev`` (E_b = −E_ads, eV).
    reference
        ``"bcc"``, ``"atom"`` or ``"both"`` (two panels).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The open figure (write it with :func:`plot_site_binding`).

    Raises
    ------
    AnalysisError
        For an unknown ``reference`` or no finite value to plot.
    """
    if reference not in ("bcc", "atom", "both"):
        msg = f"reference={reference!r} is unknown; allowed: 'bcc', 'atom', 'both'"
        raise AnalysisError(msg)
    refs = ["bcc", "atom"] if reference == "both" else [reference]
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(refs), figsize=(5.2 * len(refs), 3.9), squeeze=False)
    plotted = 0
    for ax, ref in zip(axes[0], refs, strict=True):
        key = REFERENCE_KEYS[ref]
        groups: dict[str, dict[str, list[float]]] = {}
        for row in rows:
            val = row.get(key)
            if val is None or not math.isfinite(float(val)):
                continue
            groups.setdefault(str(row["material"]), {}).setdefault(_facet(row), []).append(
                float(val)
            )
        if not groups:
            continue
        materials = list(groups)
        facets = sorted({f for g in groups.values() for f in g})
        width = 0.8 / len(facets)
        for j, facet in enumerate(facets):
            xs, ys, lo = [], [], []
            for i, mat in enumerate(materials):
                vals = groups[mat].get(facet)
                if not vals:
                    continue
                xs.append(i + (j - (len(facets) - 1) / 2) * width)
                ys.append(max(vals))
                lo.append(max(vals) - min(vals))
            bars = ax.bar(
                xs, ys, width, yerr=[lo, [0.0] * len(lo)], capsize=3, label=facet, alpha=0.9
            )
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
            plotted += len(xs)
        ax.set_xticks(range(len(materials)), materials)
        ax.axhline(0.0, color="k", lw=0.6)
        ref_txt = "bcc Li metal" if ref == "bcc" else "isolated Li atom"
        ax.set_ylabel(f"E_b (eV/Li), reference: {ref_txt}")
        ax.legend(title="facet", fontsize=8)
    if plotted == 0:
        plt.close(fig)
        msg = f"no finite {[REFERENCE_KEYS[r] for r in refs]} values to plot"
        raise AnalysisError(msg)
    fig.suptitle(
        title
        or "Single-Li binding energy E_b = -E_ads (bar: strongest site; whisker: spread over sites)",
        fontsize=8,
    )
    fig.tight_layout()
    return fig


def plot_site_binding(
    rows: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    reference: Reference = "bcc",
    title: str | None = None,
) -> Path:
    """Write :func:`site_binding_figure` to ``path`` (.png, .pdf or .svg); return ``path``."""
    return _save(site_binding_figure(rows, reference=reference, title=title), path)


def layer_binding_figure(
    data: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    title: str | None = None,
) -> Figure:
    """Draw a Fig. 5d-style plot of the Li binding energy vs the number of Li layers.

    Parameters
    ----------
    data
        Per curve label (e.g. ``"Cu(111)"``): ``incremental_binding_energy_ev`` (E_b(1…n),
        solid line) and optionally ``average_binding_energy_ev`` (E_b,avg(1…n), dashed),
        eV/Li with the bcc Li reference.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The open figure (write it with :func:`plot_layer_binding`).

    Raises
    ------
    AnalysisError
        If ``data`` is empty or a curve has no incremental values.
    """
    if not data:
        msg = "data is empty: give at least one material's layer binding energies"
        raise AnalysisError(msg)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.8))
    for i, (label, curves) in enumerate(data.items()):
        inc = list(curves.get("incremental_binding_energy_ev", []))
        if not inc:
            plt.close(fig)
            msg = f"data[{label!r}] has no incremental_binding_energy_ev values"
            raise AnalysisError(msg)
        color = f"C{i}"
        layers = np.arange(1, len(inc) + 1)
        ax.plot(layers, inc, "o-", color=color, label=f"{label} E_b(n)")
        avg = list(curves.get("average_binding_energy_ev", []))
        if avg:
            ax.plot(
                np.arange(1, len(avg) + 1), avg, "s--", color=color, alpha=0.7, label=f"{label} avg"
            )
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xlabel("Li layer n")
    ax.set_ylabel("E_b (eV/Li), bcc Li reference")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=7)
    ax.set_title(
        title
        or "Layer-by-layer Li binding: E_b(n) = -[E(n)-E(n-1)-N eps_bcc]/N (solid), average (dashed)",
        fontsize=7,
    )
    fig.tight_layout()
    return fig


def plot_layer_binding(
    data: Mapping[str, Mapping[str, Sequence[float]]],
    path: str | Path,
    *,
    title: str | None = None,
) -> Path:
    """Write :func:`layer_binding_figure` to ``path`` (.png, .pdf or .svg); return ``path``."""
    return _save(layer_binding_figure(data, title=title), path)


def multilayer_structures_figure(
    structures: Mapping[str, Atoms],
    *,
    rotation: str = "-90x",
    repeat: tuple[int, int] = (2, 1),
    title: str | None = None,
) -> Figure:
    """Draw Fig. 5e-style side views of Li multilayer structures next to each other.

    Parameters
    ----------
    structures
        Per panel label (e.g. ``"Cu(111)"``), the (relaxed) slab with Li layers.
    rotation
        View rotation for ``ase.visualize.plot.plot_atoms`` (``"-90x"``: side view along y).
    repeat
        Lateral repetition (n1, n2) drawn, for a wider view.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The open figure; Li is drawn in :data:`LI_COLOR`.

    Raises
    ------
    AnalysisError
        If ``structures`` is empty.
    """
    from ase.data import atomic_numbers
    from ase.data.colors import jmol_colors
    from ase.visualize.plot import plot_atoms

    if not structures:
        msg = "structures is empty: give at least one slab with Li layers"
        raise AnalysisError(msg)
    plt = _pyplot()
    fig, axes = plt.subplots(
        1, len(structures), figsize=(3.2 * len(structures), 5.0), squeeze=False
    )
    for ax, (label, atoms) in zip(axes[0], structures.items(), strict=True):
        shown = atoms.repeat((int(repeat[0]), int(repeat[1]), 1))
        colors = [
            LI_COLOR if s == "Li" else _ELEMENT_COLORS.get(s, tuple(jmol_colors[atomic_numbers[s]]))
            for s in shown.get_chemical_symbols()
        ]
        plot_atoms(shown, ax, rotation=rotation, colors=colors, radii=0.9)
        n_li = shown.get_chemical_symbols().count("Li") // (int(repeat[0]) * int(repeat[1]))
        ax.set_title(f"{label}\n{n_li} Li per cell", fontsize=9)
        ax.set_axis_off()
    fig.suptitle(title or "Li multilayers, side view (Li purple)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_multilayer_structures(
    structures: Mapping[str, Atoms],
    path: str | Path,
    *,
    rotation: str = "-90x",
    repeat: tuple[int, int] = (2, 1),
    title: str | None = None,
) -> Path:
    """Write :func:`multilayer_structures_figure` to ``path`` (.png, .pdf or .svg); return ``path``."""
    return _save(
        multilayer_structures_figure(structures, rotation=rotation, repeat=repeat, title=title),
        path,
    )


def compare_prescreen(
    screen_eb_ev: Mapping[str, float],
    refined_eb_ev: Mapping[str, float],
    top_k: int,
) -> dict[str, Any]:
    """Compare an MLIP site ranking with the refined (e.g. DFT) binding energies.

    Parameters
    ----------
    screen_eb_ev
        Site label -> E_b from the screening calculator (eV; larger = stronger), valid sites.
    refined_eb_ev
        Site label -> E_b from the refining calculator for the sites refined (eV).
    top_k
        Number of best-screened sites that the refinement was asked for.

    Returns
    -------
    dict
        ``screened_order`` (labels, strongest first), ``top_k_labels``, ``refined_lowest_label``
        (strongest refined site), ``refined_lowest_is_screen_lowest``,
        ``refined_lowest_in_top_k`` (``None`` unless every screened site was refined: only
        then is the refined-lowest site known), ``spearman_rho`` (rank correlation of the
        two E_b over the refined sites, ``None`` with fewer than three), ``max_abs_diff_ev``.

    Raises
    ------
    AnalysisError
        If nothing was refined, a refined label was not screened, or top_k < 1.
    """
    from scipy.stats import spearmanr

    if top_k < 1:
        msg = f"top_k must be >= 1, got {top_k}"
        raise AnalysisError(msg)
    if not refined_eb_ev:
        msg = "no refined site energies to compare"
        raise AnalysisError(msg)
    unknown = sorted(set(refined_eb_ev) - set(screen_eb_ev))
    if unknown:
        msg = f"refined sites {unknown} were not screened"
        raise AnalysisError(msg)
    order = sorted(screen_eb_ev, key=lambda k: -screen_eb_ev[k])
    top = order[:top_k]
    best = max(refined_eb_ev, key=lambda k: refined_eb_ev[k])
    labels = sorted(refined_eb_ev, key=order.index)
    rho = None
    if len(labels) >= 3:
        rho = float(
            spearmanr(
                [screen_eb_ev[k] for k in labels], [refined_eb_ev[k] for k in labels]
            ).statistic
        )
    return {
        "screened_order": order,
        "top_k_labels": top,
        "refined_lowest_label": best,
        "refined_lowest_is_screen_lowest": best == order[0],
        "refined_lowest_in_top_k": (best in top) if set(refined_eb_ev) >= set(order) else None,
        "spearman_rho": rho,
        "max_abs_diff_ev": float(max(abs(refined_eb_ev[k] - screen_eb_ev[k]) for k in labels)),
    }
