"""Teacher check of the 5f/g aggregation kinetics: whether the distilled potential may answer 5f/g.

Issue 19 item 3. The teacher (SevenNet-0) and the distilled potential run the identical
small system (slab, Li placement, seeds, start protocol) in the same ASE engine
(:mod:`lithiophilic.workflows.md_ase_job`); this module compares their kinetics.

Rule (:data:`TEACHER_MATCH_RULE`, fixed before any comparison was run): the potential matches
the teacher when, on every surface and at every analysis cutoff, the potential's whole-run
mean k and φ∞ lie inside the teacher's 95 % t-intervals. Those intervals must resolve
something: a teacher interval of k wider than ±50 % of its mean, or of φ∞ wider than ±0.25,
would let almost any potential in, so it leaves the check undecided (``match`` None), as does a
teacher with fewer than two completed replicas (no interval). A fitted k at a bound of its range
(``k_at_bound``: "upper", φ drops within one frame; "lower", no decay resolvable) is censored, not
a value: where a teacher replica's k sits at a bound, k is not tested at that cutoff (neither
match nor miss), and at the lower bound φ∞ is not tested either (it is then an extrapolation far
past the run); a potential whose k sits at a bound misses only where the censoring direction
makes it certain (at the upper bound with its mean above the teacher's interval, at the lower
bound below it). A row with a quantity outside the teacher's interval is a miss whatever the
other quantity. The two
verdicts of "the reference aggregates faster" (teacher's, potential's; same verdict table as
the production runs) are reported beside it; the rule does not use them, since two
"inconclusive" verdicts would agree without either showing anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "TEACHER_MATCH_QUANTITIES",
    "TEACHER_MATCH_RULE",
    "TEACHER_MAX_K_RELATIVE_HALF_WIDTH",
    "TEACHER_MAX_PHI_INF_HALF_WIDTH",
    "teacher_comparison",
]

#: Quantities whose whole-run mean must lie inside the teacher's interval.
TEACHER_MATCH_QUANTITIES = ("k_per_ps", "phi_inf")
#: Widest teacher interval that still tests the potential: k, half-width / |mean|.
TEACHER_MAX_K_RELATIVE_HALF_WIDTH = 0.5
#: Same for φ∞ (a fraction in [0, 1]): absolute half-width.
TEACHER_MAX_PHI_INF_HALF_WIDTH = 0.25
TEACHER_MATCH_RULE = (
    "the distilled potential matches the teacher when, on every surface and at every analysis "
    "cutoff, its whole-run mean k and phi_inf lie inside the teacher's 95% t-intervals "
    "(identical slab, Li placement, seeds and start protocol, both in the ASE engine); the "
    f"check is undecided where a teacher interval is wider than +/-"
    f"{TEACHER_MAX_K_RELATIVE_HALF_WIDTH:.0%} of k or +/-{TEACHER_MAX_PHI_INF_HALF_WIDTH} in "
    "phi_inf (it would let almost any potential in) or has fewer than 2 completed replicas; a "
    "k fitted at a bound of its range is censored: a teacher replica's k at a bound leaves k "
    "untested at that cutoff (at the lower bound phi_inf too), a potential's k at a bound "
    "misses only where the censoring direction makes it certain"
)


def _whole_rows(summary: Mapping[str, Any]) -> dict[float, Mapping[str, Any]]:
    return {
        round(float(r["cutoff_a"]), 6): r
        for r in summary.get("kinetics") or []
        if r.get("window") == "whole"
    }


def _inside(value: Any, ci: Sequence[Any] | None) -> bool | None:
    if value is None or not ci or ci[0] is None or ci[1] is None:
        return None
    return float(ci[0]) <= float(value) <= float(ci[1])


def _row(
    material: str, cutoff_a: float, t: Mapping[str, Any], p: Mapping[str, Any]
) -> dict[str, Any]:
    row: dict[str, Any] = {"material": material, "cutoff_a": cutoff_a}
    for q in ("r0_per_ps", "k_per_ps", "phi_inf"):
        row[f"teacher_{q}"] = t.get(q)
        row[f"teacher_{q}_ci"] = t.get(f"{q}_ci")
        row[f"potential_{q}"] = p.get(q)
        row[f"potential_{q}_ci"] = p.get(f"{q}_ci")
        row[f"{q}_inside"] = _inside(p.get(q), t.get(f"{q}_ci"))
    row["teacher_k_at_bound"] = _bounds(t)
    row["potential_k_at_bound"] = _bounds(p)
    row["k_per_ps_inside"] = _censored_inside(
        row["k_per_ps_inside"], p.get("k_per_ps"), t.get("k_per_ps_ci"), row
    )
    if "lower" in row["teacher_k_at_bound"] or "lower" in row["potential_k_at_bound"]:
        row["phi_inf_inside"] = None  # phi_inf extrapolated past the run: not a value
    row["teacher_resolved"] = _resolved(t)
    flags = [row[f"{q}_inside"] for q in TEACHER_MATCH_QUANTITIES]
    if False in flags:
        row["match"] = False  # outside even a wide interval is a miss
    elif None in flags:
        row["match"] = None
    else:
        row["match"] = True if row["teacher_resolved"] else None
    return row


def _bounds(summary: Mapping[str, Any]) -> list[str]:
    """Return the fit bounds at which the replicas' k sit ("upper"/"lower"), sorted, once each."""
    return sorted({str(b) for b in summary.get("k_at_bound") or [] if b})


def _censored_inside(
    inside: bool | None, k: Any, ci: Sequence[Any] | None, row: Mapping[str, Any]
) -> bool | None:
    """Return whether k is inside once censoring is accounted for (see the module docstring)."""
    if inside is None or row["teacher_k_at_bound"]:
        return None
    bounds = row["potential_k_at_bound"]
    if not bounds or not ci:
        return inside
    if bounds == ["upper"] and float(k) > float(ci[1]):
        return False  # its true mean is larger still
    if bounds == ["lower"] and float(k) < float(ci[0]):
        return False  # its true mean is smaller still
    return None


def _resolved(t: Mapping[str, Any]) -> bool:
    """Whether the teacher's k and φ∞ intervals are narrow enough to test a potential."""
    k, k_ci, phi_ci = t.get("k_per_ps"), t.get("k_per_ps_ci"), t.get("phi_inf_ci")
    if k is None or not k_ci or not phi_ci or None in (*k_ci, *phi_ci) or k == 0:
        return False
    if _bounds(t):
        return False  # a censored k has no interval
    k_half = (float(k_ci[1]) - float(k_ci[0])) / 2.0
    phi_half = (float(phi_ci[1]) - float(phi_ci[0])) / 2.0
    return (
        k_half <= TEACHER_MAX_K_RELATIVE_HALF_WIDTH * abs(float(k))
        and phi_half <= TEACHER_MAX_PHI_INF_HALF_WIDTH
    )


def _diffusion(material: str, t: Mapping[str, Any], p: Mapping[str, Any]) -> dict[str, Any]:
    d_p = p.get("li_diffusion_a2_per_ps")
    ci = t.get("li_diffusion_ci_a2_per_ps")
    return {
        "material": material,
        "teacher_li_diffusion_a2_per_ps": t.get("li_diffusion_a2_per_ps"),
        "teacher_li_diffusion_ci_a2_per_ps": ci,
        "potential_li_diffusion_a2_per_ps": d_p,
        "potential_li_diffusion_ci_a2_per_ps": p.get("li_diffusion_ci_a2_per_ps"),
        "inside": _inside(d_p, ci),
    }


def teacher_comparison(
    teacher: Mapping[str, Mapping[str, Any]],
    potential: Mapping[str, Mapping[str, Any]],
    *,
    materials: Sequence[str],
    verdicts: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Compare the teacher's and the potential's kinetics on the same small system.

    Parameters
    ----------
    teacher, potential
        Material -> aggregation-rate summary (``AggregationRateDoc`` dump: ``status``,
        ``kinetics`` rows per cutoff and window, diffusion, ``n_completed``, ``potential``).
    materials
        The surfaces that must all be compared (missing or failed ones leave the check
        undecided).
    verdicts
        ``{"teacher": verdict_table, "potential": verdict_table}`` of the two sets, if both
        surfaces of the paper's comparison ran (reported, not used by the rule).

    Returns
    -------
    dict
        ``rule``, ``rows`` (per material and cutoff: both sides' r0, k, φ∞ with intervals and
        the ``*_inside`` flags), ``diffusion`` (per material), ``match`` (True, False or None),
        ``reason``, ``teacher_verdict`` and ``potential_verdict`` (strings or None),
        ``n_teacher_replicas`` (per material), ``teacher``/``potential`` (their names).
    """
    rows: list[dict[str, Any]] = []
    diffusion: list[dict[str, Any]] = []
    problems: list[str] = []
    n_teacher: dict[str, int] = {}
    names = {"teacher": None, "potential": None}
    for m in materials:
        t, p = teacher.get(m), potential.get(m)
        if not t or not p or t.get("status") != "completed" or p.get("status") != "completed":
            problems.append(
                f"{m}: {'teacher' if not t or t.get('status') != 'completed' else 'potential'} run missing or failed"
            )
            continue
        names = {"teacher": t.get("potential"), "potential": p.get("potential")}
        n_teacher[m] = int(t.get("n_completed") or 0)
        if n_teacher[m] < 2:
            problems.append(f"{m}: {n_teacher[m]} completed teacher replica(s), no interval")
        t_rows, p_rows = _whole_rows(t), _whole_rows(p)
        for c in sorted(set(t_rows) | set(p_rows)):
            if c not in t_rows or c not in p_rows:
                problems.append(f"{m}: cutoff {c:g} Å fitted on one side only")
                continue
            rows.append(_row(m, c, t_rows[c], p_rows[c]))
        diffusion.append(_diffusion(m, t, p))
    outside = [
        f"{r['material']} {r['cutoff_a']:g} Å ({', '.join(q for q in TEACHER_MATCH_QUANTITIES if r[f'{q}_inside'] is False)})"
        for r in rows
        if r["match"] is False
    ]
    if outside:
        match: bool | None = False
        reason = "potential outside the teacher's 95% intervals at " + "; ".join(outside)
    elif problems or not rows or any(r["match"] is None for r in rows):
        match = None
        undecided = [r for r in rows if r["match"] is None]
        censored = [
            f"{r['material']} {r['cutoff_a']:g} Å (teacher {'/'.join(r['teacher_k_at_bound']) or '-'}"
            f", potential {'/'.join(r['potential_k_at_bound']) or '-'})"
            for r in undecided
            if r["teacher_k_at_bound"] or r["potential_k_at_bound"]
        ]
        if censored:
            problems.append(
                "k fitted at a bound of its range (upper: phi drops within one frame; lower: no "
                f"decay resolvable), so not tested, at {', '.join(censored)}"
            )
        wide = [
            f"{r['material']} {r['cutoff_a']:g} Å"
            for r in undecided
            if not r["teacher_resolved"] and not r["teacher_k_at_bound"]
        ]
        if wide:
            problems.append(
                "teacher interval too wide to test the potential (k beyond +/-"
                f"{TEACHER_MAX_K_RELATIVE_HALF_WIDTH:.0%} or phi_inf beyond +/-"
                f"{TEACHER_MAX_PHI_INF_HALF_WIDTH}) at {', '.join(wide)}"
            )
        reason = "teacher check undecided: " + ("; ".join(problems) or "no interval to compare")
    else:
        match = True
        reason = (
            f"potential's k and phi_inf inside the teacher's 95% intervals on "
            f"{', '.join(materials)} at every cutoff"
        )
    v = verdicts or {}
    return {
        "rule": TEACHER_MATCH_RULE,
        **names,
        "rows": rows,
        "diffusion": diffusion,
        "n_teacher_replicas": n_teacher,
        "match": match,
        "reason": reason,
        "teacher_verdict": (v.get("teacher") or {}).get("verdict"),
        "potential_verdict": (v.get("potential") or {}).get("verdict"),
    }
