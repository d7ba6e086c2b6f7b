"""Aggregation kinetics with a plateau, window and cutoff verdict logic, Li lateral diffusion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ase import Atoms
from ase.io import write

from lithiophilic.analysis.aggregation import analyze_trajectory, fit_aggregation_rate
from lithiophilic.analysis.aggregation_kinetics import (
    WINDOW_RELATIVE_TOLERANCE,
    fit_relaxation,
    lateral_diffusion_a2_per_ps,
    overall_verdict,
    replica_kinetics,
    surface_kinetics,
    verdict_table,
    window_check,
)
from lithiophilic.errors import AnalysisError


def _phi(t, phi_inf=0.3, tau=10.0):
    return phi_inf + (1 - phi_inf) * np.exp(-np.asarray(t) / tau)


def _frame_positions(n_li: int, n_isolated: int, box_a: float) -> np.ndarray:
    """Li on a square grid 8 Å apart: n_isolated alone, the rest in pairs (one trimer if odd)."""
    n_side = math.ceil(math.sqrt(n_li))
    sites = [np.array([8.0 * (i % n_side) + 1, 8.0 * (i // n_side) + 1, 10.0]) for i in range(n_li)]
    pos = []
    n_bonded = n_li - n_isolated
    groups = [2] * (n_bonded // 2)
    if n_bonded % 2:
        groups[-1] = 3  # n_bonded ≥ 3 whenever odd here
    site = 0
    for size in groups:
        for dx, dy in ((0.0, 0.0), (2.8, 0.0), (1.4, 2.42))[:size]:  # pair or triangle
            pos.append(sites[site] + [dx, dy, 0.0])
        site += 1
    for _ in range(n_isolated):
        pos.append(sites[site])
        site += 1
    assert max(p[0] for p in pos) < box_a
    return np.array(pos)


def test_hand_made_trajectory_gives_k_and_plateau(tmp_path):
    """phi(t) = 0.3 + 0.7 exp(-t/10 ps) built from real frames: k = 0.1/ps, phi_inf = 0.3."""
    n_li, box = 200, 8.0 * 15 + 10
    times = np.arange(0.0, 60.01, 1.0)
    path = tmp_path / "handmade.extxyz"
    frames = []
    for t in times:
        n_iso = round(n_li * _phi(t))
        atoms = Atoms(
            "Li" * n_li, positions=_frame_positions(n_li, n_iso, box), cell=[box, box, 20.0]
        )
        atoms.pbc = (True, True, False)
        atoms.info["time_ps"] = float(t)
        frames.append(atoms)
    write(path, frames)
    res = analyze_trajectory(path, cutoff_a=3.3)
    metrics = res["frames"]
    assert [f["isolated_fraction"] for f in metrics[:2]] == [1.0, round(n_li * _phi(1)) / n_li]
    fit = replica_kinetics(metrics)
    assert fit["k_per_ps"] == pytest.approx(0.1, rel=0.03)
    assert fit["phi_inf"] == pytest.approx(0.3, abs=0.01)
    assert fit["phi0"] == 1.0
    assert fit["t_half_ps"] == pytest.approx(10 * math.log(2), rel=0.03)
    assert fit["r0_per_ps"] == pytest.approx(0.07, rel=0.04)
    assert fit["k_at_bound"] is None
    assert fit["r2"] > 0.999
    # the zero-asymptote fit of the old analyser is off by more than half on the same data
    old = fit_aggregation_rate(times, [f["isolated_fraction"] for f in metrics])
    assert old["k_per_ps"] < 0.05


def test_exact_curve_and_bounds_of_k():
    t = np.arange(0.0, 50.01, 0.5)
    fit = fit_relaxation(t, _phi(t))
    assert fit["k_per_ps"] == pytest.approx(0.1, rel=1e-6)
    assert fit["phi_inf"] == pytest.approx(0.3, abs=1e-6)
    flat = fit_relaxation(t, np.ones_like(t))  # no aggregation: no resolvable decay, r0 = 0
    assert flat["k_at_bound"] == "lower"
    assert flat["r0_per_ps"] == 0.0
    assert flat["phi_inf"] == 1.0
    jump = fit_relaxation(t, np.r_[1.0, np.full(len(t) - 1, 0.4)])  # within one frame
    assert jump["k_at_bound"] == "upper"
    assert jump["phi_inf"] == pytest.approx(0.4, abs=1e-4)
    with pytest.raises(AnalysisError, match="≥ 3 frames"):
        fit_relaxation([0.0, 1.0], [1.0, 0.5])
    with pytest.raises(AnalysisError, match="times must increase"):
        fit_relaxation([0.0, 2.0, 1.0], [1.0, 0.5, 0.4])


def _replica(k, phi_inf=0.3, t_end=50.0, dt=0.5):
    t = np.arange(0.0, t_end + 1e-9, dt)
    phi = phi_inf + (1 - phi_inf) * np.exp(-k * t)
    return [
        {
            "time_ps": float(ti),
            "isolated_fraction": float(p),
            "mean_coordination": 2 * (1 - p),
            "largest_cluster": 1 + 4 * (1 - p),
        }
        for ti, p in zip(t, phi, strict=True)
    ]


def test_confidence_intervals_over_replicas():
    from scipy import stats

    ks = [0.08, 0.09, 0.1, 0.11, 0.12]
    out = surface_kinetics([_replica(k) for k in ks])
    half = stats.t.ppf(0.975, 4) * np.std(ks, ddof=1) / math.sqrt(5)
    assert out["n"] == 5
    assert out["k_per_ps"] == pytest.approx(0.1, rel=1e-5)
    assert out["k_per_ps_ci"] == pytest.approx([0.1 - half, 0.1 + half], rel=1e-4)
    assert out["t_half_ps_ci"] == pytest.approx(
        [math.log(2) / (0.1 + half), math.log(2) / (0.1 - half)], rel=1e-4
    )
    assert out["phi_inf"] == pytest.approx(0.3, abs=1e-5)
    assert out["phi_inf_ci"][1] - out["phi_inf_ci"][0] < 1e-4
    assert out["pooled"]["phi_inf"] == pytest.approx(0.3, abs=0.01)
    assert out["first_frame_isolated_fraction"] == 1.0
    one = surface_kinetics([_replica(0.1)])
    assert one["k_per_ps_ci"] is None and one["t_half_ps_ci"] is None


def test_window_check_flags_a_window_dependent_rate():
    ks = [0.45, 0.5, 0.55]
    whole = surface_kinetics([_replica(k) for k in ks])
    half = surface_kinetics([_replica(k) for k in ks], window="first-half")
    assert window_check(whole, half)["stable"] is True
    # two processes: a fast pairing and a slow ripening -- the first half sees the fast one
    t = np.arange(0.0, 100.01, 1.0)
    reps = []
    for s in (0.95, 1.0, 1.05):
        phi = 0.2 + 0.4 * np.exp(-0.5 * s * t) + 0.4 * np.exp(-0.01 * s * t)
        reps.append(
            [
                {
                    "time_ps": float(a),
                    "isolated_fraction": float(b),
                    "mean_coordination": 0.0,
                    "largest_cluster": 1,
                }
                for a, b in zip(t, phi, strict=True)
            ]
        )
    check = window_check(surface_kinetics(reps), surface_kinetics(reps, window="first-half"))
    assert check["stable"] is False
    assert check["reason"].startswith("window-dependent")
    no_ci = window_check({"r0_per_ps": 1.0, "r0_per_ps_ci": None}, half)
    assert no_ci["stable"] is False
    assert 0 < WINDOW_RELATIVE_TOLERANCE < 1


def _rows(r0_by_cutoff, windows=("whole", "first-half")):
    return [
        {"cutoff_a": c, "window": w, "r0_per_ps": float(np.mean(v)), "r0_per_ps_replicas": v}
        for c, v in r0_by_cutoff.items()
        for w in windows
    ]


def _stable(cutoffs, stable=True):
    return [
        {"cutoff_a": c, "quantity": "r0_per_ps", "stable": stable,
         "reason": "window-stable" if stable else "window-dependent: centres differ by 80%"}
        for c in cutoffs
    ]  # fmt: skip


CUTS = (3.0, 3.3, 3.6, 4.0)


def test_verdict_agrees_only_if_every_cutoff_and_window_does():
    fast, slow = [1.0, 1.1, 0.9, 1.05, 0.95], [0.2, 0.25, 0.3, 0.22, 0.28]
    table = verdict_table(
        "Cu",
        "CuZn",
        {"Cu": _rows(dict.fromkeys(CUTS, fast)), "CuZn": _rows(dict.fromkeys(CUTS, slow))},
        {"Cu": _stable(CUTS), "CuZn": _stable(CUTS)},
    )
    assert table["verdict"] == "agree"
    assert len(table["cells"]) == 8
    assert all(c["verdict"] == "agree" for c in table["cells"])
    reverse = verdict_table(
        "Cu",
        "CuZn",
        {"Cu": _rows(dict.fromkeys(CUTS, slow)), "CuZn": _rows(dict.fromkeys(CUTS, fast))},
        {"Cu": _stable(CUTS), "CuZn": _stable(CUTS)},
    )
    assert reverse["verdict"] == "disagree"
    # the verdict flips at the largest cutoff: inconclusive
    flipped = {c: (slow if c == 4.0 else fast) for c in CUTS}
    other = {c: (fast if c == 4.0 else slow) for c in CUTS}
    table = verdict_table(
        "Cu",
        "CuZn",
        {"Cu": _rows(flipped), "CuZn": _rows(other)},
        {"Cu": _stable(CUTS), "CuZn": _stable(CUTS)},
    )
    assert table["verdict"] == "inconclusive"
    assert "cells differ" in table["reason"]
    # the same rates everywhere: no cell gives a verdict, and the reason says so
    same = {m: _rows(dict.fromkeys(CUTS, slow)) for m in ("Cu", "CuZn")}
    table = verdict_table("Cu", "CuZn", same, {m: _stable(CUTS) for m in same})
    assert (table["verdict"], table["reason"]) == (
        "inconclusive",
        "no cutoff or window gives a verdict (8 cells)",
    )
    # every cell agrees but one surface's rate depends on the window: inconclusive
    table = verdict_table(
        "Cu",
        "CuZn",
        {"Cu": _rows(dict.fromkeys(CUTS, fast)), "CuZn": _rows(dict.fromkeys(CUTS, slow))},
        {"Cu": _stable(CUTS), "CuZn": _stable([3.6], stable=False) + _stable([3.0, 3.3, 4.0])},
    )
    assert table["verdict"] == "inconclusive"
    assert "window-dependent" in table["reason"] and "CuZn at 3.6" in table["reason"]
    # a cutoff missing on one surface, or not significant: inconclusive
    table = verdict_table(
        "Cu",
        "CuZn",
        {"Cu": _rows(dict.fromkeys(CUTS, fast)), "CuZn": _rows(dict.fromkeys(CUTS[:3], slow))},
        {"Cu": _stable(CUTS), "CuZn": _stable(CUTS[:3])},
    )
    assert table["verdict"] == "inconclusive"
    noisy = verdict_table(
        "Cu",
        "CuZn",
        {"Cu": _rows({3.3: [1.0, 0.1, 0.5]}), "CuZn": _rows({3.3: [0.9, 0.2, 0.4]})},
        {"Cu": _stable([3.3]), "CuZn": _stable([3.3])},
    )
    assert noisy["verdict"] == "inconclusive"
    assert overall_verdict([], []) == ("inconclusive", "no cutoff/window cell")
    # a drop faster than one frame (k at its upper bound) is unresolved, not a rate
    unresolved = _rows(dict.fromkeys(CUTS, fast))
    unresolved[0]["k_at_bound"] = [None, "upper", None, None, None]
    table = verdict_table(
        "Cu",
        "CuZn",
        {"Cu": unresolved, "CuZn": _rows(dict.fromkeys(CUTS, slow))},
        {"Cu": _stable(CUTS), "CuZn": _stable(CUTS)},
    )
    assert table["verdict"] == "inconclusive"
    (cell,) = [c for c in table["cells"] if (c["cutoff_a"], c["window"]) == (3.0, "whole")]
    assert cell["verdict"] == "inconclusive" and "within one frame" in cell["reason"]
    assert sum(c["verdict"] == "agree" for c in table["cells"]) == 7


def test_lateral_diffusion_of_a_random_walk_in_a_periodic_cell():
    rng = np.random.default_rng(3)
    d_true, dt, n_frames, n_li = 0.5, 0.1, 400, 400  # Å²/ps, ps (±~6 % statistical spread)
    cell2d = np.array([[30.0, 0.0], [-15.0, 26.0]])
    steps = rng.normal(0.0, math.sqrt(2 * d_true * dt), (n_frames - 1, n_li, 2))
    start = rng.random((n_li, 2)) @ cell2d
    xy = np.concatenate([start[None], start + np.cumsum(steps, axis=0)])
    frac = (xy @ np.linalg.inv(cell2d)) % 1.0  # wrapped, as LAMMPS dumps x y z
    res = lateral_diffusion_a2_per_ps(np.arange(n_frames) * dt, frac @ cell2d, cell2d)
    assert res["d_a2_per_ps"] == pytest.approx(d_true, rel=0.1)
    assert res["fit_lags_ps"] == pytest.approx([4.0, 19.9], abs=0.11)
    with pytest.raises(AnalysisError, match="evenly spaced"):
        lateral_diffusion_a2_per_ps([0.0, 0.1, 0.3], xy[:3], cell2d)
