"""Teacher check of the 5f/g kinetics (issue 19 item 3): the rule and how it gates the claim."""

from __future__ import annotations

import copy

from lithiophilic.analysis.aggregation_teacher import teacher_comparison
from lithiophilic.analysis.report import evaluate_claims

CUTOFFS = (3.0, 3.6)


def _summary(k, phi_inf, half_width=0.1, n=3, bounds=None):
    rows = []
    for c in CUTOFFS:
        for window in ("whole", "first-half"):
            rows.append(
                {
                    "cutoff_a": c,
                    "window": window,
                    "k_per_ps": k,
                    "k_per_ps_ci": [k - half_width, k + half_width] if n > 1 else None,
                    "phi_inf": phi_inf,
                    "phi_inf_ci": [phi_inf - 0.05, phi_inf + 0.05] if n > 1 else None,
                    "r0_per_ps": k * (1 - phi_inf),
                    "r0_per_ps_ci": None,
                    "k_at_bound": list(bounds or [None] * n),
                }
            )
    return {
        "status": "completed",
        "n_completed": n,
        "potential": "x",
        "kinetics": rows,
        "li_diffusion_a2_per_ps": 1.0,
        "li_diffusion_ci_a2_per_ps": [0.5, 1.5],
    }


def test_inside_the_teacher_intervals_matches_outside_does_not():
    teacher = {"Cu": _summary(1.0, 0.3), "CuZn": _summary(0.5, 0.5)}
    close = {"Cu": _summary(1.05, 0.32), "CuZn": _summary(0.45, 0.54)}
    out = teacher_comparison(teacher, close, materials=["Cu", "CuZn"])
    assert out["match"] is True and len(out["rows"]) == 4
    assert all(r["k_per_ps_inside"] and r["phi_inf_inside"] for r in out["rows"])

    far = {"Cu": _summary(1.05, 0.32), "CuZn": _summary(0.45, 0.60)}  # phi_inf 0.60 > 0.55
    out = teacher_comparison(teacher, far, materials=["Cu", "CuZn"])
    assert out["match"] is False
    assert "CuZn 3 Å (phi_inf)" in out["reason"] and "Cu 3 Å" not in out["reason"]


def test_a_teacher_interval_too_wide_to_test_anything_leaves_it_undecided():
    teacher = {"Cu": _summary(1.0, 0.3, half_width=0.6)}  # k 1.0 +/- 0.6: beyond +/-50 %
    out = teacher_comparison(teacher, {"Cu": _summary(1.0, 0.3)}, materials=["Cu"])
    assert out["match"] is None and "too wide" in out["reason"] and "Cu 3 Å" in out["reason"]
    # but a potential outside even that interval is a miss
    out = teacher_comparison(teacher, {"Cu": _summary(1.7, 0.3)}, materials=["Cu"])
    assert out["match"] is False


def test_no_interval_or_a_missing_side_leaves_it_undecided():
    one = {"Cu": _summary(1.0, 0.3, n=1)}
    out = teacher_comparison(one, {"Cu": _summary(1.0, 0.3)}, materials=["Cu"])
    assert out["match"] is None and "1 completed teacher replica" in out["reason"]
    out = teacher_comparison({"Cu": _summary(1.0, 0.3)}, {}, materials=["Cu"])
    assert out["match"] is None and "Cu: potential run missing or failed" in out["reason"]
    # a clear miss on one surface is a miss even if the other is undecided
    out = teacher_comparison(
        {"Cu": _summary(1.0, 0.3)}, {"Cu": _summary(2.0, 0.3)}, materials=["Cu", "CuZn"]
    )
    assert out["match"] is False


def test_a_k_at_a_fit_bound_is_censored_not_a_value():
    # the teacher's phi drops within one frame in one replica: its k is only a lower bound, so k
    # is not tested (a potential far from the teacher's "interval" of k is no miss) ...
    fast = _summary(40.0, 0.8, half_width=5.0, bounds=["upper", None, None])
    out = teacher_comparison({"Cu": fast}, {"Cu": _summary(4.0, 0.8)}, materials=["Cu"])
    assert out["match"] is None
    assert all(r["k_per_ps_inside"] is None and r["phi_inf_inside"] for r in out["rows"])
    assert "k fitted at a bound" in out["reason"] and "Cu 3 Å (teacher upper" in out["reason"]
    assert "too wide" not in out["reason"]
    # ... but phi_inf still is: outside its interval is a miss
    out = teacher_comparison({"Cu": fast}, {"Cu": _summary(40.0, 0.3)}, materials=["Cu"])
    assert out["match"] is False and "Cu 3 Å (phi_inf)" in out["reason"]
    # at the lower bound (no decay resolvable) phi_inf is an extrapolation: not tested either
    flat = _summary(1.0, 0.3, bounds=["lower", None, None])
    out = teacher_comparison({"Cu": flat}, {"Cu": _summary(1.0, 0.9)}, materials=["Cu"])
    assert out["match"] is None
    assert all(r["phi_inf_inside"] is None for r in out["rows"])


def test_a_potential_k_at_a_bound_misses_only_where_the_direction_makes_it_certain():
    teacher = {"Cu": _summary(1.0, 0.3)}  # k in [0.9, 1.1]
    # its k is at least 2.0 (upper bound): above the interval whatever it really is
    out = teacher_comparison(
        teacher, {"Cu": _summary(2.0, 0.3, bounds=["upper", None, None])}, materials=["Cu"]
    )
    assert out["match"] is False and "(k_per_ps)" in out["reason"]
    # at least 1.0, inside: its true k may be larger, so undecided, not a match
    out = teacher_comparison(
        teacher, {"Cu": _summary(1.0, 0.3, bounds=["upper", None, None])}, materials=["Cu"]
    )
    assert out["match"] is None and "potential upper" in out["reason"]


def _md_with_verdict(verdict):
    return {
        "summaries": {
            m: {"n_completed": 3, "validated_for_science": True, "kinetics": []}
            for m in ("Cu", "Cu0.64Zn0.36")
        },
        "verdicts": {
            "cells": [{"cutoff_a": 3.0, "window": "whole", "verdict": verdict}],
            "verdict": verdict,
            "reason": "all cells agree",
            "alpha": 0.05,
        },
    }


def test_the_claim_keeps_its_verdict_only_when_the_potential_matches_the_teacher():
    md = _md_with_verdict("agree")
    (c,) = [c for c in evaluate_claims({"md": md}) if c.panel == "5f/g"]
    assert c.verdict == "agree" and "not checked against the teacher" in c.reason

    passed = {"match": True, "reason": "inside", "teacher_verdict": "agree"}
    md_ok = {**copy.deepcopy(md), "teacher": passed}
    (c,) = [c for c in evaluate_claims({"md": md_ok}) if c.panel == "5f/g"]
    assert c.verdict == "agree" and "teacher check passed" in c.reason
    assert "teacher's own verdict on the small slab: agree" in c.reason

    for match in (False, None):
        bad = {**copy.deepcopy(md), "teacher": {**passed, "match": match, "reason": "outside"}}
        (c,) = [c for c in evaluate_claims({"md": bad}) if c.panel == "5f/g"]
        assert c.verdict == "inconclusive" and "teacher check not passed: outside" in c.reason
