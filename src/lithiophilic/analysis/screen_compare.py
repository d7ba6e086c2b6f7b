"""The screen's ranking set against the measured Li nucleation overpotentials (issue 20, item 4).

Measured (Wang et al., Energy Environ. Sci. 2025, 18, 2622; 0.1 mA cm⁻²): Cu 93.6 mV,
Cu@Cu5Zn8 37.2 mV, Cu@Cu0.64Zn0.36 33.2 mV. A lower overpotential is read as a more
lithiophilic skin. For the score and for each descriptor d with the rule's sign s
(:data:`~lithiophilic.analysis.screen_rule.RULE`; "more lithiophilic" = larger s·d), this
module gives the Spearman ρ between s·d and −η (ρ = +1: the same order as experiment) and every
pairwise ordering (right / wrong / tie). With three points ρ takes only the values ±1 and ±0.5:
it is an ordering check, not a statistic. Ties use :data:`TIE_TOLERANCE_EV`.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations
from typing import Any

from lithiophilic.analysis.screen_rule import RULE, RULE_VERSION, TIE_TOLERANCE_EV

__all__ = [
    "MEASURED_OVERPOTENTIAL_MV",
    "MEASUREMENT_SOURCE",
    "compare_with_overpotentials",
    "spearman_rho",
]

#: Skin label -> measured Li nucleation overpotential, mV (bare Cu foil for "Cu").
MEASURED_OVERPOTENTIAL_MV: dict[str, float] = {
    "Cu": 93.6,
    "Cu5Zn8": 37.2,
    "Cu0.64Zn0.36": 33.2,
}

#: Where the measured values come from.
MEASUREMENT_SOURCE = (
    "Wang et al., Energy Environ. Sci. 2025, 18, 2622 (doi 10.1039/d4ee05862c): Li nucleation "
    "overpotential at 0.1 mA cm^-2 on Cu, Cu@Cu5Zn8 and Cu@Cu0.64Zn0.36"
)


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman_rho(x: list[float], y: list[float]) -> float | None:
    """Return Spearman's ρ of two equally long lists (average ranks for ties; None if undefined)."""
    if len(x) != len(y) or len(x) < 2:
        return None
    rx, ry = _ranks(x), _ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy) ** 0.5


def _compare(
    values: Mapping[str, float], measured: Mapping[str, float], tol: float
) -> dict[str, Any]:
    skins = sorted(values, key=lambda s: measured[s])
    pairs = []
    for a, b in combinations(skins, 2):  # eta_a <= eta_b: a should be more lithiophilic
        diff = values[a] - values[b]
        verdict = "tie" if abs(diff) < tol else ("right" if diff > 0 else "wrong")
        pairs.append({"more_lithiophilic_measured": a, "other": b, "verdict": verdict})
    rho = spearman_rho([values[s] for s in skins], [-measured[s] for s in skins])
    return {
        "n_skins": len(skins),
        "spearman_rho": rho,
        "pairs": pairs,
        "orders_right": bool(pairs) and all(p["verdict"] == "right" for p in pairs),
    }


def compare_with_overpotentials(
    ranking: list[Mapping[str, Any]],
    measured: Mapping[str, float] | None = None,
) -> dict[str, Any] | None:
    """Set the score and each descriptor against the measured overpotentials.

    Parameters
    ----------
    ranking
        :meth:`SkinRank.as_dict <lithiophilic.analysis.screen_rule.SkinRank.as_dict>` rows.
    measured
        Skin label -> overpotential, mV (default :data:`MEASURED_OVERPOTENTIAL_MV`).

    Returns
    -------
    dict or None
        ``score`` and ``descriptors[name]``: Spearman ρ (vs −η), pairwise verdicts and
        ``orders_right``, over the measured skins that have the value; ``None`` when fewer
        than two measured skins are in ``ranking``.
    """
    measured = dict(MEASURED_OVERPOTENTIAL_MV if measured is None else measured)
    rows = [r for r in ranking if r["skin"] in measured]
    if len(rows) < 2:
        return None
    out: dict[str, Any] = {
        "rule_version": RULE_VERSION,
        "source": MEASUREMENT_SOURCE,
        "measured_overpotential_mv": {r["skin"]: measured[r["skin"]] for r in rows},
        "caveat": f"{len(rows)} points: rho is an ordering check, not a statistic",
    }
    scores = {r["skin"]: float(r["score"]) for r in rows if r.get("score") is not None}
    out["score"] = _compare(scores, measured, TIE_TOLERANCE_EV) if len(scores) >= 2 else None
    out["descriptors"] = {}
    for rule in RULE:
        values = {
            r["skin"]: rule.sign * float(r["descriptors"][rule.name])
            for r in rows
            if r["descriptors"].get(rule.name) is not None
        }
        out["descriptors"][rule.name] = (
            _compare(values, measured, TIE_TOLERANCE_EV) if len(values) >= 2 else None
        )
    return out
