"""Aggregation kinetics with a plateau, Li surface diffusion, and the cutoff × window verdict.

Pure numerics (numpy/scipy); no jobflow.  Definitions (printed with the results, see
:data:`KINETICS_DEFINITION`):

* **Relaxation fit** (per replica and pooled): the isolated-Li fraction φ(t) is fitted by
  φ(t) = φ∞ + (φ0 − φ∞)·exp(−k (t − t0)), φ0 = φ(t0) the measured first analysed frame (= 1
  for the dispersed start, where every Li is isolated), φ∞ ∈ [0, 1] and k free; least squares
  in φ (φ∞ solved in closed form for each k, k on a log grid refined by a bounded scalar
  search in log k).  k is bounded to [0.1/T, 10/Δt] (T the fitted span, Δt the frame spacing):
  a fit at a bound is flagged (``k_at_bound``: "lower" = no resolvable decay, "upper" = the
  drop is faster than one frame).  Half-time t½ = ln 2 / k.
* **Initial aggregation rate** r0 = k·(φ0 − φ∞), 1/ps: the fraction of Li leaving the isolated
  state per ps at the start.  The verdict uses r0 (see :data:`VERDICT_QUANTITY`).
* **Statistics**: each quantity is the mean over replicas with a two-sided 95 % Student-t
  interval; the t½ interval is ln 2 over the k interval's bounds (``None`` where k's lower
  bound is ≤ 0); the pooled fit (the same model on the replica-mean φ(t)) is reported beside.
* **Windows**: "whole" (every frame) and "first-half" (frames with t − t0 ≤ T/2).  A surface
  passes the window test for a quantity if the two 95 % intervals overlap and their centres
  differ by less than :data:`WINDOW_RELATIVE_TOLERANCE` of the whole-run centre.
* **Li surface diffusion**: lateral (xy) mean-square displacement of the Li, averaged over Li
  and time origins, unwrapped across periodic boundaries frame to frame (minimum image);
  D = slope/4 of a straight-line fit to MSD(lag) over lags in
  :data:`DIFFUSION_FIT_WINDOW` × T, Å²/ps.
* **Verdict** (reference metal faster than the other surface): at each cutoff and window,
  Welch's t-test on the per-replica r0: "agree" if the reference's r0 is larger and
  p < α, "disagree" if smaller and p < α, else "inconclusive" (also when a replica's k is
  at its upper bound: the drop is not resolved by the frames).  The overall verdict is
  "agree"/"disagree" only if every cutoff and window gives it and every surface passes the
  window test at every cutoff; otherwise "inconclusive" ("window-dependent" is said so).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lithiophilic.errors import AnalysisError

__all__ = [
    "CONFIDENCE",
    "DIFFUSION_FIT_WINDOW",
    "KINETICS_DEFINITION",
    "VERDICT_QUANTITY",
    "WINDOWS",
    "WINDOW_RELATIVE_TOLERANCE",
    "compare_cell",
    "fit_relaxation",
    "lateral_diffusion_a2_per_ps",
    "overall_verdict",
    "replica_kinetics",
    "surface_kinetics",
    "t_interval",
    "unwrap_lateral",
    "verdict_table",
    "window_check",
]

#: Two-sided confidence level of every interval.
CONFIDENCE = 0.95
#: Analysis windows: name -> fraction of the run (from the first analysed frame) it covers.
WINDOWS: dict[str, float] = {"whole": 1.0, "first-half": 0.5}
#: Largest accepted difference of a quantity's centre between the windows, × whole-run centre.
WINDOW_RELATIVE_TOLERANCE = 0.3
#: Lags (fractions of the run) of the straight-line fit to the lateral MSD.
DIFFUSION_FIT_WINDOW = (0.1, 0.5)
#: k bounds: slower than 0.1/T is "no decay", faster than 10/Δt is "within one frame".
_K_SPAN_FACTOR = 0.1
_K_FRAME_FACTOR = 10.0
#: The quantity the 5f/g verdict compares, and why.
VERDICT_QUANTITY = (
    "r0 = k*(phi0 - phi_inf), the initial aggregation rate (1/ps): the fraction of Li leaving "
    "the isolated state per ps from the dispersed start. It is what 'aggregates faster' means; "
    "unlike k alone it stays defined when Li barely aggregate (phi_inf -> phi0 leaves k "
    "undetermined), and unlike the time-averaged isolated fraction it does not grow with the run "
    "length once the plateau is reached. k, phi_inf and t_half are reported beside it."
)
KINETICS_DEFINITION = (
    "phi(t) = isolated-Li fraction, fitted per replica as phi_inf + (phi0 - phi_inf)*"
    "exp(-k (t - t0)) with phi0 = phi(t0) (= 1: the first analysed frame is the dispersed start), "
    "phi_inf in [0, 1] and k free (least squares); t_half = ln2/k; r0 = k*(phi0 - phi_inf). "
    "Mean over replicas with a 95% Student-t interval (t_half: ln2 over the k interval); pooled "
    "fit on the replica-mean phi(t) beside. Windows: whole run and first half; a quantity is "
    f"window-stable if the intervals overlap and the centres differ by < "
    f"{WINDOW_RELATIVE_TOLERANCE:.0%} of the whole-run centre. Li diffusion D = slope/4 of the "
    f"lateral MSD (origin-averaged, unwrapped) over lags {DIFFUSION_FIT_WINDOW[0]:.0%}-"
    f"{DIFFUSION_FIT_WINDOW[1]:.0%} of the run, A^2/ps. Verdict quantity: " + VERDICT_QUANTITY
)

_QUANTITIES = ("k_per_ps", "phi_inf", "r0_per_ps", "t_half_ps")


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Return mean, sample std, two-sided Student-t interval and n of ``values``.

    With fewer than two values the std and the interval are ``None``.
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return {"mean": None, "std": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(v.mean())
    if n < 2:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None, "n": n}
    std = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n))
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def _phi_inf_for(k: float, dt: np.ndarray, phi: np.ndarray, phi0: float) -> tuple[float, float]:
    """Return (φ∞ in [0, 1] minimising the squared residual at this k, that residual)."""
    decay = np.exp(-k * dt)
    x = 1.0 - decay
    y = phi - phi0 * decay
    xx = float(x @ x)
    phi_inf = float(np.clip((x @ y) / xx, 0.0, 1.0)) if xx > 0 else phi0
    res = phi0 * decay + phi_inf * x - phi
    return phi_inf, float(res @ res)


def fit_relaxation(time_ps: Sequence[float], isolated_fraction: Sequence[float]) -> dict[str, Any]:
    """Fit φ(t) = φ∞ + (φ0 − φ∞)·exp(−k (t − t0)) with φ0 = φ(t0); see the module docstring.

    Returns
    -------
    dict
        ``k_per_ps``, ``phi_inf``, ``phi0``, ``t_half_ps`` (ln 2 / k), ``r0_per_ps``
        (k·(φ0 − φ∞)), ``r2``, ``k_at_bound`` ("lower", "upper" or ``None``), ``k_bounds_per_ps``.

    Raises
    ------
    AnalysisError
        If fewer than three frames, unequal lengths, or times not increasing.
    """
    from scipy.optimize import minimize_scalar

    t = np.asarray(time_ps, dtype=float)
    phi = np.asarray(isolated_fraction, dtype=float)
    if len(t) < 3 or len(t) != len(phi):
        msg = f"relaxation fit needs ≥ 3 frames with times and fractions, got {len(t)}/{len(phi)}"
        raise AnalysisError(msg)
    if np.any(np.diff(t) <= 0):
        msg = "relaxation fit: times must increase"
        raise AnalysisError(msg)
    dt = t - t[0]
    phi0 = float(phi[0])
    k_lo = _K_SPAN_FACTOR / dt[-1]
    k_hi = _K_FRAME_FACTOR / float(np.diff(dt).min())
    grid = np.geomspace(k_lo, k_hi, 241)
    sse = np.array([_phi_inf_for(k, dt, phi, phi0)[1] for k in grid])
    best = int(np.argmin(sse))
    if np.ptp(sse) <= 1e-12 * max(1.0, float(sse.max())):
        best = 0  # no k is better than another (phi constant): no resolvable decay
        log_k = math.log(grid[0])
    else:
        lo, hi = math.log(grid[max(best - 1, 0)]), math.log(grid[min(best + 1, len(grid) - 1)])
        opt = minimize_scalar(
            lambda u: _phi_inf_for(math.exp(u), dt, phi, phi0)[1],
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-6},
        )
        log_k = float(opt.x) if opt.fun <= sse[best] else math.log(grid[best])
    k = math.exp(log_k)
    phi_inf, ss_res = _phi_inf_for(k, dt, phi, phi0)
    ss_tot = float(np.sum((phi - phi.mean()) ** 2))
    bound = None
    if k <= k_lo * (1 + 1e-6):
        bound = "lower"
    elif k >= k_hi * (1 - 1e-6):
        bound = "upper"
    return {
        "k_per_ps": k,
        "phi_inf": phi_inf,
        "phi0": phi0,
        "t_half_ps": math.log(2) / k,
        "r0_per_ps": k * (phi0 - phi_inf),
        "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        "k_at_bound": bound,
        "k_bounds_per_ps": [float(k_lo), float(k_hi)],
    }


def _window(frames: Sequence[Mapping[str, Any]], fraction: float) -> list[Mapping[str, Any]]:
    """Return the frames with t − t0 ≤ fraction × (t_last − t0)."""
    t0, t1 = float(frames[0]["time_ps"]), float(frames[-1]["time_ps"])
    limit = t0 + fraction * (t1 - t0) * (1 + 1e-9)
    return [f for f in frames if float(f["time_ps"]) <= limit]


def replica_kinetics(
    frames: Sequence[Mapping[str, Any]], *, window: str = "whole"
) -> dict[str, Any]:
    """Return :func:`fit_relaxation` of one replica's frames in ``window`` (see :data:`WINDOWS`).

    ``frames``: per-frame cluster metrics (``time_ps``, ``isolated_fraction``...). The result
    also holds ``coordination_end`` (mean Li–Li coordination over the window's last 10 % of
    frames, at least one) and ``largest_cluster_end``.

    Raises
    ------
    AnalysisError
        For an unknown window or fewer than three frames in it.
    """
    if window not in WINDOWS:
        msg = f"window={window!r}; allowed: {sorted(WINDOWS)}"
        raise AnalysisError(msg)
    sel = _window(frames, WINDOWS[window])
    fit = fit_relaxation([f["time_ps"] for f in sel], [f["isolated_fraction"] for f in sel])
    tail = sel[-max(1, len(sel) // 10) :]
    return {
        **fit,
        "coordination_end": float(np.mean([f["mean_coordination"] for f in tail])),
        "largest_cluster_end": float(np.mean([f["largest_cluster"] for f in tail])),
        "n_frames": len(sel),
    }


def surface_kinetics(
    replica_frames: Sequence[Sequence[Mapping[str, Any]]], *, window: str = "whole"
) -> dict[str, Any]:
    """Return the kinetics of one surface at one cutoff and window over its replicas.

    Returns
    -------
    dict
        For each of ``k_per_ps``, ``phi_inf``, ``r0_per_ps``, ``coordination_end``: the mean and
        ``<name>_ci`` ([low, high] or ``None``) and ``<name>_replicas``; ``t_half_ps`` with its
        interval from k's; ``pooled`` (the fit of the replica-mean φ(t)); ``k_at_bound``
        (per replica); ``first_frame_isolated_fraction`` (mean); ``n``; ``window``.

    Raises
    ------
    AnalysisError
        If there is no replica or a replica has fewer than three frames in the window.
    """
    if not replica_frames:
        msg = "kinetics: no replicas"
        raise AnalysisError(msg)
    fits = [replica_kinetics(frames, window=window) for frames in replica_frames]
    out: dict[str, Any] = {"window": window, "n": len(fits)}
    for name in ("k_per_ps", "phi_inf", "r0_per_ps", "coordination_end", "largest_cluster_end"):
        values = [f[name] for f in fits]
        stats = t_interval(values)
        out[name] = stats["mean"]
        out[f"{name}_ci"] = None if stats["ci_low"] is None else [stats["ci_low"], stats["ci_high"]]
        out[f"{name}_replicas"] = values
    k_ci = out["k_per_ps_ci"]
    out["t_half_ps"] = math.log(2) / out["k_per_ps"]
    out["t_half_ps_ci"] = None
    if k_ci is not None:
        out["t_half_ps_ci"] = [
            math.log(2) / k_ci[1],
            math.log(2) / k_ci[0] if k_ci[0] > 0 else None,
        ]
    out["t_half_ps_replicas"] = [f["t_half_ps"] for f in fits]
    n = min(len(f) for f in replica_frames)
    mean_phi = np.mean([[fr["isolated_fraction"] for fr in f[:n]] for f in replica_frames], axis=0)
    times = [fr["time_ps"] for fr in replica_frames[0][:n]]
    pooled = _window([{"time_ps": t, "isolated_fraction": p} for t, p in zip(times, mean_phi, strict=True)], WINDOWS[window])  # fmt: skip
    pf = fit_relaxation([p["time_ps"] for p in pooled], [p["isolated_fraction"] for p in pooled])
    out["pooled"] = {k: pf[k] for k in ("k_per_ps", "phi_inf", "t_half_ps", "r0_per_ps", "r2")}
    out["k_at_bound"] = [f["k_at_bound"] for f in fits]
    out["r2_replicas"] = [f["r2"] for f in fits]
    out["first_frame_isolated_fraction"] = float(np.mean([f["phi0"] for f in fits]))
    return out


def window_check(
    whole: Mapping[str, Any],
    half: Mapping[str, Any],
    quantity: str = "r0_per_ps",
    *,
    tolerance: float = WINDOW_RELATIVE_TOLERANCE,
) -> dict[str, Any]:
    """Return whether ``quantity`` is window-stable between two :func:`surface_kinetics` outputs.

    Stable: both intervals exist, they overlap, and the centres differ by less than
    ``tolerance`` × |whole-run centre| (equal centres pass, e.g. both 0).

    Returns
    -------
    dict
        ``quantity``, ``stable`` (bool), ``overlap``, ``relative_difference``, ``reason``.
    """
    a, b = whole.get(f"{quantity}_ci"), half.get(f"{quantity}_ci")
    ca, cb = whole.get(quantity), half.get(quantity)
    if a is None or b is None or ca is None or cb is None:
        return {
            "quantity": quantity,
            "stable": False,
            "overlap": None,
            "relative_difference": None,
            "reason": "no interval (fewer than 2 replicas)",
        }
    overlap = a[0] <= b[1] and b[0] <= a[1]
    diff = abs(cb - ca)
    rel = 0.0 if diff == 0 else diff / abs(ca) if ca != 0 else math.inf
    stable = bool(overlap and rel < tolerance)
    reason = (
        "window-stable"
        if stable
        else "window-dependent: "
        + ("intervals do not overlap" if not overlap else f"centres differ by {rel:.0%}")
    )
    return {
        "quantity": quantity,
        "stable": stable,
        "overlap": bool(overlap),
        "relative_difference": rel if math.isfinite(rel) else None,
        "reason": reason,
    }


def compare_cell(
    ref_values: Sequence[float], other_values: Sequence[float], *, alpha: float = 0.05
) -> dict[str, Any]:
    """Return the verdict at one cutoff and window: is the reference's r0 larger (Welch).

    Returns
    -------
    dict
        ``verdict`` ("agree", "disagree", "inconclusive"), ``p_value``, ``ratio``
        (mean ref / mean other, ``None`` if the other's is 0), ``reason``.
    """
    from scipy import stats

    a = np.asarray(ref_values, dtype=float)
    b = np.asarray(other_values, dtype=float)
    ratio = float(a.mean() / b.mean()) if len(b) and b.mean() != 0 else None
    if len(a) < 2 or len(b) < 2:
        return {
            "verdict": "inconclusive",
            "p_value": None,
            "ratio": ratio,
            "reason": "< 2 replicas",
        }
    if a.std() == 0 and b.std() == 0:
        p = 0.0 if a.mean() != b.mean() else 1.0
    else:
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if p < alpha:
        verdict = "agree" if a.mean() > b.mean() else "disagree"
        reason = f"p = {p:.3g} < {alpha}"
    else:
        verdict, reason = "inconclusive", f"not significant (p = {p:.3g} ≥ {alpha})"
    return {"verdict": verdict, "p_value": p, "ratio": ratio, "reason": reason}


def overall_verdict(
    cells: Sequence[Mapping[str, Any]], window_checks: Sequence[Mapping[str, Any]]
) -> tuple[str, str]:
    """Return (verdict, reason) over every cutoff × window cell and every window check.

    "agree"/"disagree" only if every cell says it and every window check is stable.
    """
    if not cells:
        return "inconclusive", "no cutoff/window cell"
    unstable = [w for w in window_checks if not w.get("stable")]
    verdicts = {c["verdict"] for c in cells}
    if unstable:
        where = ", ".join(
            f"{w.get('material')} at {w.get('cutoff_a')} Å ({w.get('reason')})" for w in unstable
        )
        return "inconclusive", f"window-dependent: {where}"
    if verdicts == {"agree"}:
        return "agree", f"holds at every cutoff and window ({len(cells)} cells)"
    if verdicts == {"disagree"}:
        return "disagree", f"holds at every cutoff and window ({len(cells)} cells)"
    if verdicts == {"inconclusive"}:
        return "inconclusive", f"no cutoff or window gives a verdict ({len(cells)} cells)"
    counts = ", ".join(f"{v} {sum(c['verdict'] == v for c in cells)}" for v in sorted(verdicts))
    return "inconclusive", f"cutoff/window cells differ ({counts})"


def verdict_table(
    ref: str,
    other: str,
    kinetics: Mapping[str, Sequence[Mapping[str, Any]]],
    window_checks: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    alpha: float = 0.05,
    quantity: str = "r0_per_ps",
) -> dict[str, Any]:
    """Return the verdict "``ref`` aggregates faster than ``other``" over cutoffs and windows.

    Parameters
    ----------
    ref, other
        Surface labels (keys of ``kinetics``).
    kinetics
        Label -> kinetics rows (``cutoff_a``, ``window``, ``<quantity>_replicas``...).
    window_checks
        Label -> window checks (``cutoff_a``, ``quantity``, ``stable``, ``reason``).
    alpha
        Significance level of each cell's Welch test.
    quantity
        The compared quantity (default r0, :data:`VERDICT_QUANTITY`).

    Returns
    -------
    dict
        ``cells`` (per cutoff and window: ``cutoff_a``, ``window``, the two means, ``verdict``,
        ``p_value``, ``ratio``, ``reason``), ``window_checks`` (of ``quantity``, both
        surfaces, with ``material``), ``verdict``, ``reason``, ``quantity``, ``alpha``.
        Cutoffs or windows missing on one surface make the verdict "inconclusive"; so does a
        cell where a replica's k sits at its upper bound (the drop is faster than one frame:
        r0 would measure the frame spacing, not the surface).
    """
    rows_a = {(r["cutoff_a"], r["window"]): r for r in kinetics.get(ref, [])}
    rows_b = {(r["cutoff_a"], r["window"]): r for r in kinetics.get(other, [])}
    cells = []
    for key in sorted(set(rows_a) | set(rows_b)):
        a, b = rows_a.get(key), rows_b.get(key)
        cell: dict[str, Any] = {"cutoff_a": key[0], "window": key[1]}
        if a is None or b is None:
            cell.update(verdict="inconclusive", p_value=None, ratio=None, reason="missing")
        else:
            cell[f"{ref} {quantity}"] = a[quantity]
            cell[f"{other} {quantity}"] = b[quantity]
            cell.update(
                compare_cell(a[f"{quantity}_replicas"], b[f"{quantity}_replicas"], alpha=alpha)
            )
            fast = [m for m, r in ((ref, a), (other, b)) if "upper" in (r.get("k_at_bound") or [])]
            if fast:
                cell["verdict"] = "inconclusive"
                cell["reason"] = (
                    f"unresolved: on {', '.join(fast)} phi drops within one frame (k at its "
                    "upper bound 10/frame spacing); record frames more often (dump_every)"
                )
        cells.append(cell)
    checks = [
        {"material": m, **c}
        for m in (ref, other)
        for c in window_checks.get(m, [])
        if c.get("quantity") == quantity
    ]
    verdict, reason = overall_verdict(cells, checks)
    return {
        "cells": cells,
        "window_checks": checks,
        "verdict": verdict,
        "reason": reason,
        "quantity": quantity,
        "alpha": alpha,
    }


# --------------------------------------------------------------------------- diffusion


def unwrap_lateral(xy: np.ndarray, cell2d: np.ndarray) -> np.ndarray:
    """Unwrap in-plane trajectories (frames × atoms × 2, Å) across periodic boundaries.

    Each frame-to-frame displacement is taken as its minimum image in the 2-D cell (rows a, b),
    so an atom must move less than half a cell width between frames.
    """
    xy = np.asarray(xy, dtype=float)
    cell2d = np.asarray(cell2d, dtype=float)
    step = np.diff(xy, axis=0)
    frac = step @ np.linalg.inv(cell2d)
    frac -= np.round(frac)
    return np.concatenate([xy[:1], xy[:1] + np.cumsum(frac @ cell2d, axis=0)], axis=0)


def lateral_diffusion_a2_per_ps(
    time_ps: Sequence[float],
    xy: np.ndarray,
    cell2d: np.ndarray,
    *,
    fit_window: tuple[float, float] = DIFFUSION_FIT_WINDOW,
) -> dict[str, Any]:
    """Return the Li lateral diffusion coefficient from the origin-averaged MSD, Å²/ps.

    Parameters
    ----------
    time_ps
        Frame times, ps (evenly spaced).
    xy
        In-plane positions, frames × atoms × 2, Å (wrapped or not).
    cell2d
        In-plane cell rows a, b (2 × 2), Å.
    fit_window
        Lags fitted, as fractions of the run.

    Returns
    -------
    dict
        ``d_a2_per_ps`` (slope/4), ``fit_lags_ps`` (first, last), ``lag_ps``, ``msd_a2``.

    Raises
    ------
    AnalysisError
        If frames are unevenly spaced or fewer than two lags fall in ``fit_window``.
    """
    t = np.asarray(time_ps, dtype=float)
    dts = np.diff(t)
    if len(t) < 3 or np.ptp(dts) > 1e-6 * dts.mean():
        msg = "diffusion: needs ≥ 3 evenly spaced frames"
        raise AnalysisError(msg)
    pos = unwrap_lateral(xy, cell2d)
    n = len(t)
    lags = np.arange(1, n)
    msd = np.array([np.mean(np.sum((pos[m:] - pos[:-m]) ** 2, axis=-1)) for m in lags])
    lag_ps = lags * dts.mean()
    span = t[-1] - t[0]
    sel = (lag_ps >= fit_window[0] * span - 1e-9) & (lag_ps <= fit_window[1] * span + 1e-9)
    if sel.sum() < 2:
        msg = f"diffusion: fewer than 2 lags within {fit_window} of the run"
        raise AnalysisError(msg)
    slope = float(np.polyfit(lag_ps[sel], msd[sel], 1)[0])
    return {
        "d_a2_per_ps": slope / 4.0,
        "fit_lags_ps": [float(lag_ps[sel][0]), float(lag_ps[sel][-1])],
        "lag_ps": lag_ps.tolist(),
        "msd_a2": msd.tolist(),
    }
