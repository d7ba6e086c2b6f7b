"""The paper's Fig. 5 claims set against our numbers: one pure function per panel.

Each ``claims_5X`` takes what that panel's study computed, in the shape of the command's
``--json`` payload (``{"rows": [...]}`` for 5a and 5b, ``{"summaries": [...],
"multilayers": [...]}`` for 5c–5e, ``{"summaries": {...}, "comparisons": [...]}`` for 5f/g),
and returns :class:`Claim` objects. A verdict is ``agree``, ``disagree`` or ``inconclusive``
with the reason in words; a study that did not run (``None``), or a paper role (reference
metal, intermetallic, solid solution, :data:`lithiophilic.defaults.PAPER_ROLES`) absent from
its results, gives ``not run``. Disagreement is a finding, not a failure: the thresholds
(:data:`THRESHOLDS`) are fixed in advance and printed in the report, never tuned to the
outcome.

The claims concern the paper's materials by role: ``roles`` maps ``reference``,
``intermetallic`` and ``solid_solution`` to the material labels the results are stored under
(default :data:`~lithiophilic.defaults.PAPER_ROLES`); other materials in the results (a
user's own skin) appear in the tables, not in the verdicts.

Reference: Wang et al., Energy Environ. Sci. 18, 2622 (2025), doi:10.1039/d4ee05862c.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lithiophilic import defaults
from lithiophilic.analysis.surface import facet_label, row_gamma_edges_j_per_m2
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

__all__ = [
    "THRESHOLDS",
    "Claim",
    "Verdict",
    "claims_5a",
    "claims_5b",
    "claims_5c",
    "claims_5d",
    "claims_5e",
    "claims_5fg",
    "d_band_table",
    "dos_table",
    "evaluate_claims",
    "fmt_ci",
    "fmt_interval",
    "gamma_intervals",
    "layer_docs",
    "md_rates",
]

Verdict = Literal["agree", "disagree", "inconclusive", "not run"]

#: Decision thresholds, fixed before any result is seen (printed in the report).
THRESHOLDS: dict[str, float] = {
    # energies closer than this are "the same" (SQS sample-to-sample noise is of this order)
    "binding_tolerance_ev": 0.03,
    # paper's surface-energy values agree with ours within this relative difference
    "gamma_relative_tolerance": 0.2,
    # Zn "contributes almost nothing" at E_F: Zn/Cu per-atom DOS(E_F) below this
    "zn_dos_negligible_ratio": 0.25,
    # Zn occupancy "comparable to Cu": Zn/Cu per-atom DOS(E_F) above this
    "zn_dos_comparable_ratio": 0.5,
    # Li layer "distorted": RMS shift from ideal sites larger than Cu's by this (Å); shown
    # beside the 5e verdict, which uses the internal measure below
    "distortion_tolerance_a": 0.05,
    # Li layer "distorted" (5e verdict): RMS Li-Li nearest-neighbour bond strain of the relaxed
    # film vs the strained ideal film larger than Cu's by this (fraction); a rigid slide is 0
    "internal_strain_tolerance": 0.01,
    # significance level for the aggregation-rate comparison
    "alpha": 0.05,
}

#: The paper's surface energies of the solid solution (Fig. 5a), printed as "eV", read as eV/Å².
PAPER_GAMMA_EV_PER_A2: dict[str, float] = {"(111)": 0.109, "(100)": 0.126}


@dataclass
class Claim:
    """One claim of the paper and our verdict on it."""

    panel: str
    claim: str
    ours: str
    verdict: Verdict
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return asdict(self)


def _roles(roles: Mapping[str, str] | None) -> tuple[str, str, str]:
    """Return (reference, intermetallic, solid solution) labels."""
    r = defaults.PAPER_ROLES if roles is None else {**defaults.PAPER_ROLES, **roles}
    return r["reference"], r["intermetallic"], r["solid_solution"]


# --------------------------------------------------------------------------- 5a
def gamma_intervals(
    rows: Sequence[Mapping[str, Any]], *, at_delta_mu_min_edge: bool = False
) -> dict[tuple[str, str], tuple[float, float]]:
    """Return the surface energy of each (material, facet) as an interval, J/m².

    The surface that forms is the lowest-energy termination, so each independent sample
    (an SQS seed; the ordered compounds have one) contributes the minimum over its
    terminations.  A γ(Δμ) row contributes its range over the bulk-stability window, or
    with ``at_delta_mu_min_edge`` its γ at the Δμ-min edge (the Cu-rich edge of γ-brass: a
    skin on a Cu collector).  The interval spans the samples: [min over samples of their
    lower bound, max over samples of their upper bound].  Unconverged relaxations are left
    out.
    """
    per_sample: dict[tuple[str, str, Any], tuple[float, float]] = {}
    for r in rows:
        g = r.get("gamma_relaxed_j_per_m2")
        if g is None or not r.get("converged", True):
            continue
        lo = r.get("gamma_relaxed_min_j_per_m2")
        hi = r.get("gamma_relaxed_max_j_per_m2")
        lo = g if lo is None else lo
        hi = g if hi is None else hi
        edges = row_gamma_edges_j_per_m2(r) if at_delta_mu_min_edge else None
        if edges is not None:
            lo = hi = edges[0]
        key = (r["material"], facet_label(r["miller"]), r.get("sqs_seed"))
        old = per_sample.get(key)
        per_sample[key] = (lo, hi) if old is None else (min(old[0], lo), min(old[1], hi))
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for (mat, facet, _), (lo, hi) in per_sample.items():
        old = out.get((mat, facet))
        out[(mat, facet)] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
    return out


def fmt_interval(iv: tuple[float, float]) -> str:
    """Format an interval as ``a`` (a point) or ``a–b``, 3 decimals."""
    return f"{iv[0]:.3f}" if abs(iv[1] - iv[0]) < 5e-4 else f"{iv[0]:.3f}–{iv[1]:.3f}"


def _combine(verdicts: Sequence[Verdict]) -> Verdict:
    if set(verdicts) == {"agree"}:
        return "agree"
    return "disagree" if "disagree" in verdicts else "inconclusive"


def _ordering_5a(
    iv: Mapping[tuple[str, str], tuple[float, float]], ss: str, compared: Sequence[str]
) -> tuple[list[Verdict], list[str]]:
    """Return per-facet verdicts (solid solution's whole interval below the others') and texts."""
    verdicts: list[Verdict] = []
    parts = []
    for facet in ("(111)", "(100)"):
        if (ss, facet) not in iv or not any((m, facet) in iv for m in compared):
            continue
        alloy = iv[(ss, facet)]
        others = {m: iv[(m, facet)] for m in compared if (m, facet) in iv}
        parts.append(
            f"{facet}: {ss} {fmt_interval(alloy)}, "
            + ", ".join(f"{m} {fmt_interval(v)}" for m, v in others.items())
            + " J/m²"
        )
        if all(alloy[1] < v[0] for v in others.values()):
            verdicts.append("agree")
        elif any(alloy[0] > v[1] for v in others.values()):
            verdicts.append("disagree")
        else:
            verdicts.append("inconclusive")
    return verdicts, parts


def _magnitude_5a(
    iv: Mapping[tuple[str, str], tuple[float, float]], ss: str, claim: str
) -> list[Claim]:
    """Set the paper's solid-solution values against our interval (±``gamma_relative_tolerance``)."""
    tol = THRESHOLDS["gamma_relative_tolerance"]
    mags, ok_each = [], []
    for facet, p in PAPER_GAMMA_EV_PER_A2.items():
        if (ss, facet) not in iv:
            continue
        lo, hi = (x / EV_PER_A2_TO_J_PER_M2 for x in iv[(ss, facet)])
        mags.append(f"{facet} {lo:.4f}–{hi:.4f} eV/Å² (paper {p})")
        ok_each.append(lo * (1 - tol) <= p <= hi * (1 + tol))
    if not ok_each:
        return []
    ok = all(ok_each)
    p111 = PAPER_GAMMA_EV_PER_A2["(111)"]
    note = (
        ""
        if ok
        else f" ({p111} eV/Å² = {p111 * EV_PER_A2_TO_J_PER_M2:.2f} J/m², above PBE-like "
        "values for clean Cu(111) ≈ 1.3 J/m²)"
    )
    return [
        Claim(
            "5a",
            claim,
            "; ".join(mags),
            "agree" if ok else "disagree",
            f"paper value {'within' if ok else 'outside'} ±{tol:.0%} of our interval{note}",
        )
    ]


def claims_5a(
    surface: Mapping[str, Any] | None, *, roles: Mapping[str, str] | None = None
) -> list[Claim]:
    """Return the paper's Fig. 5a claims against ours.

    Parameters
    ----------
    surface
        A mapping with ``rows`` (surface-energy rows); ``None``: the study did not run.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    ref, im, ss = _roles(roles)
    claim = (
        f"{ss} (111) and (200) surface energies are significantly lower than those of "
        f"{im} and {ref}"
    )
    p = PAPER_GAMMA_EV_PER_A2
    magnitude = f"{ss} (111) {p['(111)']} and (200) {p['(100)']} (printed as eV; read as eV/Å²)"
    if not surface or not surface.get("rows"):
        return [
            Claim("5a", claim, "—", "not run", "surface-energy stage did not run"),
            Claim("5a", magnitude, "—", "not run", "surface-energy stage did not run"),
        ]
    iv = gamma_intervals(surface["rows"])
    edge = gamma_intervals(surface["rows"], at_delta_mu_min_edge=True)
    verdicts, parts = _ordering_5a(edge, ss, (ref, im))
    if not verdicts:
        out = [Claim("5a", claim, "—", "not run", "the three materials were not all computed")]
    else:
        v = _combine(verdicts)
        reason = {
            "agree": f"on every facet {ss}'s whole interval lies below the others'",
            "disagree": f"on at least one facet another material's interval lies entirely below {ss}'s",
            "inconclusive": "the intervals (terminations, SQS samples) overlap",
        }[v]
        reason += (
            "; non-stoichiometric slabs at the Δμ-min (Cu-rich) edge of their window, where a "
            "skin on Cu sits"
        )
        out = [Claim("5a", claim, "; ".join(parts) + _window_text(surface["rows"], iv), v, reason)]
    return out + _magnitude_5a(iv, ss, magnitude)


def _window_text(
    rows: Sequence[Mapping[str, Any]], iv: Mapping[tuple[str, str], tuple[float, float]]
) -> str:
    """Describe the Δμ window of each non-stoichiometric material and γ over it."""
    texts = []
    for mat in dict.fromkeys(r["material"] for r in rows):
        win = next(
            (r for r in rows if r["material"] == mat and r.get("method") == "chemical-potential"),
            None,
        )
        if win is None:
            continue
        lo_hi = win.get("delta_mu_window_ev")
        source = win.get("delta_mu_window_source") or "elemental bounds"
        detail = win.get("delta_mu_window") or {}
        span = f"[{lo_hi[0]:.3f}, {lo_hi[1]:.3f}] eV" if lo_hi else "the elemental range"
        what = source + (
            f" with {' / '.join(detail['neighbours'])}" if detail.get("neighbours") else ""
        )
        if detail.get("flag"):
            what += f"; FLAG: {detail['flag']}"
        over = ", ".join(f"{f} {fmt_interval(v)}" for (m, f), v in sorted(iv.items()) if m == mat)
        texts.append(f" ({mat}: Δμ window {span}, {what}; over the window {over} J/m²)")
    return "".join(texts)


# --------------------------------------------------------------------------- 5b
def dos_table(pdos: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """``{material: {element: DOS at E_F, states/eV/atom}}`` from the PDOS ``rows``."""
    out: dict[str, dict[str, float]] = {}
    for r in pdos.get("rows", []):
        val = r.get("dos_at_fermi_states_per_ev_atom")
        if r.get("material") and r.get("element") and val is not None:
            out.setdefault(r["material"], {})[r["element"]] = float(val)
    return out


def d_band_table(pdos: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """``{material: {element: d-band centre, eV}}`` from the PDOS ``rows``."""
    out: dict[str, dict[str, float]] = {}
    for r in pdos.get("rows", []):
        val = r.get("d_band_centre_ev")
        if r.get("material") and r.get("element") and val is not None:
            out.setdefault(r["material"], {})[r["element"]] = float(val)
    return out


def _dos_ratio(pdos: Mapping[str, Any], material: str) -> float | None:
    """Zn/Cu per-atom DOS at E_F of one material."""
    row = dos_table(pdos).get(material)
    if not row or "Zn" not in row or "Cu" not in row or row["Cu"] <= 0:
        return None
    return float(row["Zn"] / row["Cu"])


def claims_5b(
    pdos: Mapping[str, Any] | None, *, roles: Mapping[str, str] | None = None
) -> list[Claim]:
    """Return the paper's Fig. 5b claims against ours.

    Parameters
    ----------
    pdos
        A mapping with ``rows`` (per material and element: ``dos_at_fermi_states_per_ev_atom``,
        ``d_band_centre_ev``); ``None``: the study did not run.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    _, im, ss = _roles(roles)
    c1 = f"Zn in {im} contributes almost nothing at the Fermi level"
    c2 = f"Zn in {ss} has occupancy at E_F comparable to Cu"
    if not pdos:
        return [Claim("5b", c, "—", "not run", "PDOS stage did not run") for c in (c1, c2)]
    out = []
    neg, comp = THRESHOLDS["zn_dos_negligible_ratio"], THRESHOLDS["zn_dos_comparable_ratio"]
    r_g, r_a = _dos_ratio(pdos, im), _dos_ratio(pdos, ss)
    if r_g is None:
        out.append(Claim("5b", c1, "—", "not run", f"no {im} DOS at E_F"))
    else:
        v: Verdict = "agree" if r_g < neg else "disagree"
        out.append(
            Claim(
                "5b",
                c1,
                f"Zn/Cu per-atom DOS(E_F) = {r_g:.2f}",
                v,
                f"'almost nothing' read as a ratio < {neg}",
            )
        )
    if r_a is None:
        out.append(Claim("5b", c2, "—", "not run", f"no {ss} DOS at E_F"))
    else:
        extra = "" if r_g is None else f"; vs {r_g:.2f} in {im}"
        v = "agree" if r_a >= comp else "disagree"
        if r_g is not None and v == "agree" and r_a <= r_g:
            v = "inconclusive"
        out.append(
            Claim(
                "5b",
                c2,
                f"Zn/Cu per-atom DOS(E_F) = {r_a:.2f}{extra}",
                v,
                f"'comparable' read as a ratio ≥ {comp} (and above {im}'s)",
            )
        )
    return out


# --------------------------------------------------------------------------- 5c-5e
def _verdict_5c(
    fb: Mapping[tuple[str, tuple[int, ...]], Mapping[str, Any]], ss: str
) -> tuple[Verdict, float, tuple[str, tuple[int, ...]], float] | None:
    """Return (verdict, E_b(ss) − strongest other, that other, tie tolerance) or None."""
    key = (ss, (1, 1, 1))
    if key not in fb or len(fb) < 2:
        return None
    others = {k: v for k, v in fb.items() if k != key}
    best = max(others, key=lambda k: others[k]["binding_energy_bcc_ev"])
    diff = fb[key]["binding_energy_bcc_ev"] - others[best]["binding_energy_bcc_ev"]
    tol = (
        THRESHOLDS["binding_tolerance_ev"]
        + fb[key]["half_range_ev"]
        + others[best]["half_range_ev"]
    )
    v: Verdict = "agree" if diff > tol else ("disagree" if diff < -tol else "inconclusive")
    return v, diff, best, tol


def _fb_text(fb: Mapping[tuple[str, tuple[int, ...]], Mapping[str, Any]]) -> str:
    parts = []
    for (m, miller), v in sorted(fb.items()):
        text = f"{m} {facet_label(miller)} {v['binding_energy_bcc_ev']:.3f}"
        if v["n_slabs"] > 1:
            text += f" ± {v['half_range_ev']:.3f} ({v['n_slabs']} SQS samples)"
        parts.append(text)
    return ", ".join(parts)


def _over_grid(verdicts: Sequence[Verdict], first: Verdict) -> tuple[Verdict, str]:
    """Return the verdict over the classifier's threshold grid and how many settings give it."""
    from lithiophilic.analysis.li_outcome import OUTCOME_GRID

    rng = "; ".join(f"{k} {min(v)}–{max(v)}" for k, v in OUTCOME_GRID.items())
    n = sum(1 for v in verdicts if v == first)
    if n == len(verdicts):
        return first, f"holds at all {n} classifier settings ({rng})"
    counts = {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}
    return "inconclusive", f"flips over the classifier settings ({rng}): {counts}"


def _incorporation_claim(
    summaries: Sequence[Mapping[str, Any]], ref: str, im: str, ss: str
) -> Claim:
    """Li entering the skin (incorporated/reconstructed sites) vs Li adsorbed on the reference."""
    from lithiophilic.analysis.li_outcome import (
        OutcomeSettings,
        facet_binding,
        outcome_settings_grid,
    )

    claim = (
        f"(beyond Fig. 5c) Li entering the skin of {im} or {ss} (111) (incorporated or "
        f"reconstructed sites) binds more strongly than Li adsorbed on {ref} (111)"
    )
    kinds = ("incorporated", "reconstructed")
    ref_key = (ref, (1, 1, 1))
    tol = THRESHOLDS["binding_tolerance_ev"]

    def one(st: Any) -> tuple[Verdict, str]:
        ads = facet_binding(summaries, st)
        inc = {
            k: v
            for k, v in facet_binding(summaries, st, outcomes=kinds).items()
            if k[0] in (im, ss) and k[1] == (1, 1, 1)
        }
        if ref_key not in ads:
            return "not run", ""
        if not inc:
            return "disagree", f"no {im}/{ss} (111) site incorporated the Li or reconstructed"
        best = max(inc, key=lambda k: inc[k]["binding_energy_bcc_ev"])
        d = inc[best]["binding_energy_bcc_ev"] - ads[ref_key]["binding_energy_bcc_ev"]
        text = f"strongest {best[0]} {'/'.join(inc[best]['site_labels'])} minus {ref} adsorbed = {d:+.3f} eV"
        return ("agree" if d > tol else "disagree" if d < -tol else "inconclusive"), text

    first, text = one(OutcomeSettings())
    if first == "not run":
        return Claim("5c", claim, "—", "not run", f"{ref} (111) missing")
    verdict, grid_text = _over_grid([one(st)[0] for st in outcome_settings_grid()], first)
    inc = facet_binding(summaries, OutcomeSettings(), outcomes=kinds)
    counts = []
    for s in summaries:
        n = s.get("n_by_outcome") or {}
        counts.append(
            f"{s['material']} {n.get('incorporated', 0)} inc/{n.get('reconstructed', 0)} rec of {s['n_sites']}"
        )
    ours = (_fb_text(inc) + " eV (vs bcc Li); " if inc else "none; ") + ", ".join(counts)
    return Claim("5c", claim, ours, verdict, f"{text} (tie ±{tol}); {grid_text}")


def claims_5c(
    binding: Mapping[str, Any] | None, *, roles: Mapping[str, str] | None = None
) -> list[Claim]:
    """Return the paper's Fig. 5c claims against ours.

    The comparison uses *adsorbed* sites only (:mod:`~lithiophilic.analysis.li_outcome`): per
    material and facet the strongest adsorbed site, averaged over SQS samples (half the range
    over samples widens the tie tolerance). The verdict must hold at every setting of the
    outcome classifier's thresholds (:data:`~lithiophilic.analysis.li_outcome.OUTCOME_GRID`),
    else it is ``inconclusive``. A second claim row reports Li entering the skin (incorporated
    or reconstructed sites) against Li adsorbed on the reference metal.

    Parameters
    ----------
    binding
        A mapping with ``summaries`` (one per material, facet and slab: ``material``,
        ``miller``, ``binding_energy_bcc_ev``, per-site ``rows``); ``None``: the study did not run.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    from lithiophilic.analysis.li_outcome import (
        CHOICE_MAX_EDGE,
        OutcomeSettings,
        facet_binding,
        outcome_settings_grid,
    )

    ref, im, ss = _roles(roles)
    claim = f"Li binds most strongly on {ss} (111) among the planes computed"
    if not binding or not binding.get("summaries"):
        return [Claim("5c", claim, "—", "not run", "binding stage did not run")]
    summaries = list(binding["summaries"])
    fb = facet_binding(summaries, OutcomeSettings())
    first = _verdict_5c(fb, ss)
    if first is None:
        return [Claim("5c", claim, "—", "not run", f"{ss} (111) or a comparison missing")]
    v0, diff, best_other, tol = first
    grid = [_verdict_5c(facet_binding(summaries, st), ss) for st in outcome_settings_grid()]
    verdict, grid_text = _over_grid([g[0] if g else "not run" for g in grid], v0)
    ours = _fb_text(fb) + " eV (vs bcc Li, strongest adsorbed site)"
    reason = (
        f"{ss} (111) minus the strongest other ({best_other[0]} {facet_label(best_other[1])}) = "
        f"{diff:+.3f} eV; |Δ| ≤ {tol:.3f} eV counts as a tie ({THRESHOLDS['binding_tolerance_ev']} "
        f"+ half-range over SQS samples); {grid_text}"
    )
    if any(s.get("termination_choice") == CHOICE_MAX_EDGE for s in summaries):
        alt = _verdict_5c(facet_binding(summaries, OutcomeSettings(), secondary=True), ss)
        if alt is not None:
            reason += f"; on the termination lowest at the Δμ-max edge: {alt[0]} ({alt[1]:+.3f} eV)"
    out = [Claim("5c", claim, ours, verdict, reason)]
    if any("neighbor_distance_ratios" in r for s in summaries for r in s.get("rows") or []):
        out.append(_incorporation_claim(summaries, ref, im, ss))  # needs per-site outcome data
    return out


def layer_docs(binding: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """Material -> its Li-multilayer document, from the ``multilayers`` of ``binding``."""
    if not binding:
        return {}
    return {m["material"]: m for m in binding.get("multilayers", [])}


def claims_5d(
    binding: Mapping[str, Any] | None, *, roles: Mapping[str, str] | None = None
) -> list[Claim]:
    """Return the paper's Fig. 5d claims against ours.

    Parameters
    ----------
    binding
        A mapping with ``multilayers`` (Li-multilayer documents:
        ``incremental_binding_energy_ev`` per n); ``None``: the study did not run.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    ref, im, ss = _roles(roles)
    c1 = f"the first Li layer binds relatively weakly on {ss} (111) (vs {ref})"
    c2 = f"later Li layers bind more weakly on {ss} and {im} (111) than on {ref} (111)"
    lay = layer_docs(binding)
    if ref not in lay or ss not in lay:
        why = f"multilayer stage missing {ref} or {ss}"
        return [Claim("5d", c, "—", "not run", why) for c in (c1, c2)]
    tol = THRESHOLDS["binding_tolerance_ev"]
    inc = {m: [float(x) for x in d["incremental_binding_energy_ev"]] for m, d in lay.items()}
    d1 = inc[ss][0] - inc[ref][0]
    v1: Verdict = "agree" if d1 < -tol else ("disagree" if d1 > tol else "inconclusive")
    out = [
        Claim(
            "5d",
            c1,
            f"E_b(1): {ss} {inc[ss][0]:.3f}, {ref} {inc[ref][0]:.3f} eV/Li",
            v1,
            f"difference {d1:+.3f} eV/Li (tie within ±{tol})",
        )
    ]
    later = {m: sum(v[1:]) / len(v[1:]) for m, v in inc.items() if len(v) > 1}
    if ref in later and len(later) > 1:
        alloys = {m: later[m] - later[ref] for m in (ss, im) if m in later}
        ours = ", ".join(f"{m} {v:.3f}" for m, v in later.items()) + " eV/Li (mean E_b, n ≥ 2)"
        if all(d < -tol for d in alloys.values()):
            v2: Verdict = "agree"
        elif any(d > tol for d in alloys.values()):
            v2 = "disagree"
        else:
            v2 = "inconclusive"
        out.append(
            Claim(
                "5d",
                c2,
                ours,
                v2,
                f"minus {ref}: " + ", ".join(f"{m} {d:+.3f}" for m, d in alloys.items()),
            )
        )
    return out


def _construction_strain_text(doc: Mapping[str, Any]) -> str:
    """Describe the strain the coincidence cell imposes on the ideal film (vs bcc Li)."""
    strain = doc.get("li_layer_strain") or {}
    if strain.get("principal"):
        return "principal " + "/".join(f"{float(x):+.1%}" for x in strain["principal"])
    return f"mismatch {float(doc['lattice_mismatch']):+.1%}"


def claims_5e(
    binding: Mapping[str, Any] | None, *, roles: Mapping[str, str] | None = None
) -> list[Claim]:
    """Return the paper's Fig. 5e claims against ours.

    The verdict rests on the film's relaxation-induced internal distortion: the RMS strain of
    the Li–Li nearest-neighbour bonds of the relaxed film relative to the strained ideal film
    (``nn_strain_rms`` of the top ``distortion`` entry, see
    :func:`lithiophilic.structures.li_layers.li_layer_distortion`), which a rigid slide of the
    film does not change. The strain the coincidence cell imposes on the ideal film and the
    RMS shift from the ideal sites (``rms_a``, slide included) are shown beside it. Documents
    older than the internal measure give ``inconclusive`` with the reason.

    Parameters
    ----------
    binding
        A mapping with ``multilayers`` (``distortion`` per n with ``nn_strain_rms`` and
        ``rms_a``, ``n_layers``, ``lattice_mismatch``, ``li_layer_strain``); ``None``: the
        study did not run.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    ref, _, ss = _roles(roles)
    claim = f"the 5 Li layers are distorted on {ss} (111), not on {ref} (111)"
    lay = layer_docs(binding)
    if ref not in lay or ss not in lay:
        return [Claim("5e", claim, "—", "not run", f"multilayer stage missing {ref} or {ss}")]
    top = {m: lay[m]["distortion"][-1] for m in (ss, ref)}
    n = lay[ref]["n_layers"][-1]
    shift = f"RMS shift from ideal sites (slide included) {ss} {top[ss]['rms_a']:.2f} Å, {ref} {top[ref]['rms_a']:.2f} Å"
    built = f"construction strain {ss} {_construction_strain_text(lay[ss])}, {ref} {_construction_strain_text(lay[ref])}"
    if any(top[m].get("nn_strain_rms") is None for m in top):
        why = "documents predate the internal-distortion measure (rerun the multilayer stage)"
        return [Claim("5e", claim, f"{n} layers: {shift}; {built}", "inconclusive", why)]
    tol = THRESHOLDS["internal_strain_tolerance"]
    rms = {m: float(top[m]["nn_strain_rms"]) for m in top}
    d = rms[ss] - rms[ref]
    v: Verdict = "agree" if d > tol else ("disagree" if d < -tol else "inconclusive")
    ours = (
        f"RMS Li–Li NN bond strain vs the strained ideal film, {n} layers: {ss} {rms[ss]:.1%}, "
        f"{ref} {rms[ref]:.1%}; {built}; {shift}"
    )
    return [Claim("5e", claim, ours, v, f"difference {d:+.1%} (tie within ±{tol:.0%})")]


# --------------------------------------------------------------------------- 5f/g
def md_rates(md: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Material -> ``k_per_ps``, ``ci`` (low, high), ``n``, potential info, from ``summaries``."""
    out = {}
    for m, s in (md.get("summaries") or {}).items():
        if s.get("k_per_ps") is None:
            continue
        out[m] = {
            "k_per_ps": float(s["k_per_ps"]),
            "ci": (s.get("k_ci_low_per_ps"), s.get("k_ci_high_per_ps")),
            "n": s.get("n_completed"),
            "n_replicas": s.get("n_replicas"),
            "potential": s.get("potential"),
            "validated_for_science": s.get("validated_for_science", True),
        }
    return out


def fmt_ci(ci: tuple[Any, Any]) -> str:
    """Format a confidence interval ``[lo, hi]`` (``—`` if unknown)."""
    lo, hi = ci
    return "—" if lo is None or hi is None else f"[{lo:.3g}, {hi:.3g}]"


def claims_5fg(
    md: Mapping[str, Any] | None, *, roles: Mapping[str, str] | None = None
) -> list[Claim]:
    """Return the paper's Fig. 5f/g claims against ours.

    Parameters
    ----------
    md
        A mapping with ``summaries`` (material -> aggregation-rate summary) and
        ``comparisons`` (Welch t-tests ``a``, ``b``, ``p_value``); ``None``: the study did not run.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    ref, _, ss = _roles(roles)
    claim = f"Li aggregates markedly faster on {ref} (111) than on {ss} (111)"
    if not md:
        return [Claim("5f/g", claim, "—", "not run", "MD stage did not run")]
    if (md.get("verdicts") or {}).get("cells"):
        return [_claim_5fg_kinetics(md, ref, ss, claim)]
    rates = md_rates(md)
    if ref not in rates or ss not in rates:
        why = f"no fitted aggregation rate for {ref} and {ss}"
        return [Claim("5f/g", claim, "—", "not run", why)]
    cu, al = rates[ref], rates[ss]
    cmp: dict[str, Any] = next(
        (c for c in md.get("comparisons", []) if {c.get("a"), c.get("b")} == {ref, ss}), {}
    )
    p = cmp.get("p_value")
    ours = (
        f"k: {ref} {cu['k_per_ps']:.3g} {fmt_ci(cu['ci'])}, {ss} {al['k_per_ps']:.3g} "
        f"{fmt_ci(al['ci'])} 1/ps (95% CI, {cu['n']} and {al['n']} replicas)"
    )
    if p is not None:
        ours += f"; Welch p = {p:.3g}"
    alpha = THRESHOLDS["alpha"]
    if p is None or p >= alpha:
        v: Verdict = "inconclusive"
        reason = (
            f"difference not significant at α = {alpha}"
            if p is not None
            else "no t-test (< 2 replicas)"
        )
    elif cu["k_per_ps"] > al["k_per_ps"]:
        v, reason = "agree", f"{ref} faster, significant at α = {alpha}"
    else:
        v, reason = "disagree", f"{ss} faster, significant at α = {alpha}"
    if not (cu["validated_for_science"] and al["validated_for_science"]):
        v, reason = "inconclusive", reason + "; the MD potential is not validated for science"
    v, reason = _teacher_gate(md.get("teacher"), v, reason)
    return [Claim("5f/g", claim, ours, v, reason)]


def _teacher_gate(
    teacher: Mapping[str, Any] | None, v: Verdict, reason: str
) -> tuple[Verdict, str]:
    """Apply the teacher check (issue 19): the verdict stands only if the potential matches.

    No check: the verdict stands and the reason says it was not checked. A failed or undecided
    check makes it "inconclusive"; the teacher's own verdict on the small system is quoted.
    """
    if not teacher:
        return v, reason + "; not checked against the teacher (aggregation teacher check not run)"
    own = teacher.get("teacher_verdict")
    note = f" (teacher's own verdict on the small slab: {own})" if own else ""
    if teacher.get("match") is True:
        return v, reason + f"; teacher check passed: {teacher.get('reason')}{note}"
    return "inconclusive", reason + f"; teacher check not passed: {teacher.get('reason')}{note}"


def _claim_5fg_kinetics(md: Mapping[str, Any], ref: str, ss: str, claim: str) -> Claim:
    """Return the 5f/g claim from the verdict table (r0 at every cutoff and window)."""
    table = md["verdicts"]
    summaries = md.get("summaries") or {}
    parts = []
    for m in (ref, ss):
        rows = [r for r in summaries.get(m, {}).get("kinetics") or [] if r["window"] == "whole"]
        text = "; ".join(
            f"{r['cutoff_a']:g} Å: r0 {r['r0_per_ps']:.3g} {fmt_ci(tuple(r.get('r0_per_ps_ci') or (None, None)))}"
            f", k {r['k_per_ps']:.3g}, φ∞ {r['phi_inf']:.2f}"
            for r in rows
        )
        n = summaries.get(m, {}).get("n_completed")
        parts.append(f"{m} ({n} replicas): {text}")
    ours = "whole run, 1/ps, 95% CI — " + " | ".join(parts)
    v: Verdict = table["verdict"]
    reason = f"verdict quantity r0 = k·(φ0 − φ∞), Welch α = {table['alpha']}; {table['reason']}"
    validated = all(summaries.get(m, {}).get("validated_for_science", True) for m in (ref, ss))
    if not validated:
        v, reason = "inconclusive", reason + "; the MD potential is not validated for science"
    v, reason = _teacher_gate(md.get("teacher"), v, reason)
    return Claim("5f/g", claim, ours, v, reason)


def evaluate_claims(
    stages: Mapping[str, Mapping[str, Any] | None], *, roles: Mapping[str, str] | None = None
) -> list[Claim]:
    """Return one :class:`Claim` per claim of the paper's Fig. 5.

    Parameters
    ----------
    stages
        Stage name -> its payload (``surface``, ``pdos``, ``binding`` with ``summaries`` and
        ``multilayers``, ``md``); a missing or ``None`` entry gives ``not run`` verdicts.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    return [
        *claims_5a(stages.get("surface"), roles=roles),
        *claims_5b(stages.get("pdos"), roles=roles),
        *claims_5c(stages.get("binding"), roles=roles),
        *claims_5d(stages.get("binding"), roles=roles),
        *claims_5e(stages.get("binding"), roles=roles),
        *claims_5fg(stages.get("md"), roles=roles),
    ]
