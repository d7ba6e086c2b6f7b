"""The paper campaign's report: our numbers set against the claims of Wang et al. (Fig. 5).

Pure functions from the stage results (the JSON each ``lithiophilic`` command writes with
``--json``) to verdicts and to Markdown/HTML.  A verdict is ``agree``, ``disagree`` or
``inconclusive`` with the reason in words; a stage that did not run gives ``not run``.
Disagreement is a finding, not a failure: the thresholds below are fixed in advance and
printed in the report, never tuned to the outcome.

Reference: Wang et al., Energy Environ. Sci. 18, 2622 (2025), doi:10.1039/d4ee05862c.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from lithiophilic.analysis.surface import facet_label
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

__all__ = [
    "ALLOY",
    "GAMMA_BRASS",
    "THRESHOLDS",
    "Claim",
    "claims_5a",
    "claims_5b",
    "claims_5c",
    "claims_5d",
    "claims_5e",
    "claims_5fg",
    "evaluate_claims",
    "gamma_intervals",
    "panel_tables",
    "render_html",
    "render_markdown",
    "write_report",
]

Verdict = Literal["agree", "disagree", "inconclusive", "not run"]

CU, GAMMA_BRASS, ALLOY = "Cu", "Cu5Zn8", "Cu0.64Zn0.36"

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
    # Li layer "distorted": RMS shift from ideal sites larger than Cu's by this (Å)
    "distortion_tolerance_a": 0.05,
    # significance level for the aggregation-rate comparison
    "alpha": 0.05,
}


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


# --------------------------------------------------------------------------- 5a
def gamma_intervals(
    rows: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str], tuple[float, float]]:
    """Return the surface energy of each (material, facet) as an interval, J/m².

    The surface that forms is the lowest-energy termination, so each independent sample
    (an SQS seed; the ordered compounds have one) contributes the minimum over its
    terminations.  A γ(Δμ) row contributes its range over the bulk-stability window.  The
    interval spans the samples: [min over samples of their lower bound, max over samples of
    their upper bound].  Unconverged relaxations are left out.
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
        key = (r["material"], facet_label(r["miller"]), r.get("sqs_seed"))
        old = per_sample.get(key)
        per_sample[key] = (lo, hi) if old is None else (min(old[0], lo), min(old[1], hi))
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for (mat, facet, _), (lo, hi) in per_sample.items():
        old = out.get((mat, facet))
        out[(mat, facet)] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
    return out


def _fmt_interval(iv: tuple[float, float]) -> str:
    return f"{iv[0]:.3f}" if abs(iv[1] - iv[0]) < 5e-4 else f"{iv[0]:.3f}–{iv[1]:.3f}"


def claims_5a(surface: Mapping[str, Any] | None) -> list[Claim]:
    """Return the paper's Fig. 5a claims against ours, from surface (a mapping with ``rows``: surface-energy rows); ``None``: not run."""
    claim = (
        "Cu0.64Zn0.36 (111) and (200) surface energies are significantly lower than those of "
        "Cu5Zn8 and Cu"
    )
    magnitude = "Cu0.64Zn0.36 (111) 0.109 and (200) 0.126 (printed as eV; read as eV/Å²)"
    if not surface or not surface.get("rows"):
        return [
            Claim("5a", claim, "—", "not run", "surface-energy stage did not run"),
            Claim("5a", magnitude, "—", "not run", "surface-energy stage did not run"),
        ]
    iv = gamma_intervals(surface["rows"])
    verdicts, parts = [], []
    for facet in ("(111)", "(100)"):
        if (ALLOY, facet) not in iv or not any((m, facet) in iv for m in (CU, GAMMA_BRASS)):
            continue
        alloy = iv[(ALLOY, facet)]
        others = {m: iv[(m, facet)] for m in (CU, GAMMA_BRASS) if (m, facet) in iv}
        parts.append(
            f"{facet}: alloy {_fmt_interval(alloy)}, "
            + ", ".join(f"{m} {_fmt_interval(v)}" for m, v in others.items())
            + " J/m²"
        )
        if all(alloy[1] < v[0] for v in others.values()):
            verdicts.append("agree")
        elif any(alloy[0] > v[1] for v in others.values()):
            verdicts.append("disagree")
        else:
            verdicts.append("inconclusive")
    if not verdicts:
        out = [Claim("5a", claim, "—", "not run", "the three materials were not all computed")]
    else:
        v: Verdict = (
            "agree"
            if set(verdicts) == {"agree"}
            else "disagree"
            if "disagree" in verdicts
            else "inconclusive"
        )
        reason = {
            "agree": "on every facet the alloy's whole interval lies below the others'",
            "disagree": "on at least one facet another material's interval lies entirely below the alloy's",
            "inconclusive": "the intervals (terminations, SQS samples, chemical-potential range) overlap",
        }[v]
        out = [Claim("5a", claim, "; ".join(parts), v, reason)]
    # magnitude of the paper's alloy values
    paper = {"(111)": 0.109, "(100)": 0.126}
    tol = THRESHOLDS["gamma_relative_tolerance"]
    mags, mv = [], []
    for facet, p in paper.items():
        if (ALLOY, facet) not in iv:
            continue
        lo, hi = (x / EV_PER_A2_TO_J_PER_M2 for x in iv[(ALLOY, facet)])
        mags.append(f"{facet} {lo:.4f}–{hi:.4f} eV/Å² (paper {p})")
        mv.append(lo * (1 - tol) <= p <= hi * (1 + tol))
    if mv:
        ok = all(mv)
        out.append(
            Claim(
                "5a",
                magnitude,
                "; ".join(mags),
                "agree" if ok else "disagree",
                f"paper value {'within' if ok else 'outside'} ±{tol:.0%} of our interval"
                + (
                    ""
                    if ok
                    else f" (0.109 eV/Å² = {0.109 * EV_PER_A2_TO_J_PER_M2:.2f} J/m², above PBE-like "
                    "values for clean Cu(111) ≈ 1.3 J/m²)"
                ),
            )
        )
    return out


# --------------------------------------------------------------------------- 5b
def _dos_ratio(pdos: Mapping[str, Any], material: str) -> float | None:
    """Zn/Cu per-atom DOS at E_F for one material from the PDOS stage output."""
    table = _dos_table(pdos)
    row = table.get(material)
    if not row or "Zn" not in row or "Cu" not in row or row["Cu"] <= 0:
        return None
    return float(row["Zn"] / row["Cu"])


def _dos_table(pdos: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """``{material: {element: DOS at E_F, states/eV/atom}}`` from the PDOS stage JSON rows."""
    out: dict[str, dict[str, float]] = {}
    for r in pdos.get("rows", []):
        val = r.get("dos_at_fermi_states_per_ev_atom")
        if r.get("material") and r.get("element") and val is not None:
            out.setdefault(r["material"], {})[r["element"]] = float(val)
    return out


def _d_band_table(pdos: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """``{material: {element: d-band centre, eV}}`` from the PDOS stage JSON rows."""
    out: dict[str, dict[str, float]] = {}
    for r in pdos.get("rows", []):
        val = r.get("d_band_centre_ev")
        if r.get("material") and r.get("element") and val is not None:
            out.setdefault(r["material"], {})[r["element"]] = float(val)
    return out


def claims_5b(pdos: Mapping[str, Any] | None) -> list[Claim]:
    """Return the paper's Fig. 5b claims against ours, from pdos (``rows`` per element and ``materials``); ``None``: not run."""
    c1 = "Zn in Cu5Zn8 contributes almost nothing at the Fermi level"
    c2 = "Zn in Cu0.64Zn0.36 has occupancy at E_F comparable to Cu"
    if not pdos:
        return [Claim("5b", c, "—", "not run", "PDOS stage did not run") for c in (c1, c2)]
    out = []
    neg, comp = THRESHOLDS["zn_dos_negligible_ratio"], THRESHOLDS["zn_dos_comparable_ratio"]
    r_g = _dos_ratio(pdos, GAMMA_BRASS)
    r_a = _dos_ratio(pdos, ALLOY)
    if r_g is None:
        out.append(Claim("5b", c1, "—", "not run", "no Cu5Zn8 DOS at E_F"))
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
        out.append(Claim("5b", c2, "—", "not run", "no Cu0.64Zn0.36 DOS at E_F"))
    else:
        extra = "" if r_g is None else f"; vs {r_g:.2f} in Cu5Zn8"
        v = "agree" if r_a >= comp else "disagree"
        if r_g is not None and v == "agree" and r_a <= r_g:
            v = "inconclusive"
        out.append(
            Claim(
                "5b",
                c2,
                f"Zn/Cu per-atom DOS(E_F) = {r_a:.2f}{extra}",
                v,
                f"'comparable' read as a ratio ≥ {comp} (and above Cu5Zn8's)",
            )
        )
    return out


# --------------------------------------------------------------------------- 5c-5e
def claims_5c(binding: Mapping[str, Any] | None) -> list[Claim]:
    """Return the paper's Fig. 5c claims against ours, from binding (``summaries``: strongest site per material and facet); ``None``: not run."""
    claim = "Li binds most strongly on Cu0.64Zn0.36 (111) among the planes computed"
    if not binding or not binding.get("summaries"):
        return [Claim("5c", claim, "—", "not run", "binding stage did not run")]
    eb = {
        (s["material"], facet_label(s["miller"])): float(s["binding_energy_bcc_ev"])
        for s in binding["summaries"]
    }
    key = (ALLOY, "(111)")
    if key not in eb or len(eb) < 2:
        return [Claim("5c", claim, "—", "not run", "Cu0.64Zn0.36 (111) or a comparison missing")]
    tol = THRESHOLDS["binding_tolerance_ev"]
    others = {k: v for k, v in eb.items() if k != key}
    best_other = max(others, key=lambda k: others[k])
    ours = ", ".join(f"{m} {f} {v:.3f}" for (m, f), v in sorted(eb.items())) + " eV (vs bcc Li)"
    diff = eb[key] - others[best_other]
    if diff > tol:
        v: Verdict = "agree"
    elif diff < -tol:
        v = "disagree"
    else:
        v = "inconclusive"
    reason = (
        f"alloy (111) minus the strongest other ({' '.join(best_other)}) = {diff:+.3f} eV; "
        f"|Δ| ≤ {tol} eV counts as a tie (one SQS sample)"
    )
    return [Claim("5c", claim, ours, v, reason)]


def _layers(binding: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    if not binding:
        return {}
    return {m["material"]: m for m in binding.get("multilayers", [])}


def claims_5d(binding: Mapping[str, Any] | None) -> list[Claim]:
    """Return the paper's Fig. 5d claims against ours, from binding (``multilayers``: Li-layer documents); ``None``: not run."""
    c1 = "the first Li layer binds relatively weakly on Cu0.64Zn0.36 (111) (vs Cu)"
    c2 = "later Li layers bind more weakly on Cu0.64Zn0.36 and Cu5Zn8 (111) than on Cu (111)"
    lay = _layers(binding)
    if CU not in lay or ALLOY not in lay:
        return [
            Claim("5d", c, "—", "not run", "multilayer stage missing Cu or alloy") for c in (c1, c2)
        ]
    tol = THRESHOLDS["binding_tolerance_ev"]
    inc = {m: [float(x) for x in d["incremental_binding_energy_ev"]] for m, d in lay.items()}
    d1 = inc[ALLOY][0] - inc[CU][0]
    v1: Verdict = "agree" if d1 < -tol else ("disagree" if d1 > tol else "inconclusive")
    out = [
        Claim(
            "5d",
            c1,
            f"E_b(1): alloy {inc[ALLOY][0]:.3f}, Cu {inc[CU][0]:.3f} eV/Li",
            v1,
            f"difference {d1:+.3f} eV/Li (tie within ±{tol})",
        )
    ]
    later = {m: sum(v[1:]) / len(v[1:]) for m, v in inc.items() if len(v) > 1}
    if CU in later and len(later) > 1:
        alloys = {m: later[m] - later[CU] for m in (ALLOY, GAMMA_BRASS) if m in later}
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
                "alloy minus Cu: " + ", ".join(f"{m} {d:+.3f}" for m, d in alloys.items()),
            )
        )
    return out


def claims_5e(binding: Mapping[str, Any] | None) -> list[Claim]:
    """Return the paper's Fig. 5e claims against ours, from binding (``multilayers``); ``None``: not run."""
    claim = "the 5 Li layers are distorted on Cu0.64Zn0.36 (111), not on Cu (111)"
    lay = _layers(binding)
    if CU not in lay or ALLOY not in lay:
        return [Claim("5e", claim, "—", "not run", "multilayer stage missing Cu or alloy")]

    def rms(m: str) -> float:
        return float(lay[m]["distortion"][-1]["rms_a"])

    tol = THRESHOLDS["distortion_tolerance_a"]
    d = rms(ALLOY) - rms(CU)
    v: Verdict = "agree" if d > tol else ("disagree" if d < -tol else "inconclusive")
    n = lay[CU]["n_layers"][-1]
    return [
        Claim(
            "5e",
            claim,
            f"RMS Li shift from ideal sites, {n} layers: alloy {rms(ALLOY):.2f} Å, Cu {rms(CU):.2f} Å",
            v,
            f"difference {d:+.2f} Å (tie within ±{tol} Å); mismatch alloy "
            f"{lay[ALLOY]['lattice_mismatch']:+.1%}, Cu {lay[CU]['lattice_mismatch']:+.1%}",
        )
    ]


# --------------------------------------------------------------------------- 5f/g
def _md_rates(md: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Material -> ``k_per_ps``, ``ci`` (low, high), ``n``, potential info, from the MD stage JSON."""
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


def _fmt_ci(ci: tuple[Any, Any]) -> str:
    lo, hi = ci
    return "—" if lo is None or hi is None else f"[{lo:.3g}, {hi:.3g}]"


def claims_5fg(md: Mapping[str, Any] | None) -> list[Claim]:
    """Return the paper's Fig. 5fg claims against ours, from md (``summaries`` per surface and ``comparisons``); ``None``: not run."""
    claim = "Li aggregates markedly faster on Cu (111) than on Cu0.64Zn0.36 (111)"
    if not md:
        return [Claim("5f/g", claim, "—", "not run", "MD stage did not run")]
    rates = _md_rates(md)
    if CU not in rates or ALLOY not in rates:
        return [
            Claim("5f/g", claim, "—", "not run", "no fitted aggregation rate for Cu and the alloy")
        ]
    cu, al = rates[CU], rates[ALLOY]
    cmp: dict[str, Any] = next(
        (c for c in md.get("comparisons", []) if {c.get("a"), c.get("b")} == {CU, ALLOY}), {}
    )
    p = cmp.get("p_value")
    ours = (
        f"k: Cu {cu['k_per_ps']:.3g} {_fmt_ci(cu['ci'])}, alloy {al['k_per_ps']:.3g} "
        f"{_fmt_ci(al['ci'])} 1/ps (95% CI, {cu['n']} and {al['n']} replicas)"
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
        v, reason = "agree", f"Cu faster, significant at α = {alpha}"
    else:
        v, reason = "disagree", f"alloy faster, significant at α = {alpha}"
    if not (cu["validated_for_science"] and al["validated_for_science"]):
        v, reason = "inconclusive", reason + "; the MD potential is not validated for science"
    return [Claim("5f/g", claim, ours, v, reason)]


def evaluate_claims(stages: Mapping[str, Mapping[str, Any] | None]) -> list[Claim]:
    """Return one :class:`Claim` per claim of the paper's Fig. 5.

    Parameters
    ----------
    stages
        Stage name -> the JSON the stage's command wrote (``surface``, ``pdos``,
        ``binding``, ``md``); a missing or ``None`` entry gives ``not run`` verdicts.
    """
    return [
        *claims_5a(stages.get("surface")),
        *claims_5b(stages.get("pdos")),
        *claims_5c(stages.get("binding")),
        *claims_5d(stages.get("binding")),
        *claims_5e(stages.get("binding")),
        *claims_5fg(stages.get("md")),
    ]


# --------------------------------------------------------------------------- rendering
PANEL_TITLES = {
    "5a": "Surface energies of (111) and (100)",
    "5b": "Element-projected DOS",
    "5c": "Single Li atom binding",
    "5d": "Binding of 1…n Li layers on (111)",
    "5e": "Relaxed Li layers on (111)",
    "5f": "Li aggregation vs time (MD)",
    "5g": "Li distribution snapshots (MD)",
}


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(x: Any) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def render_markdown(
    claims: Sequence[Claim],
    figures: Mapping[str, str],
    stages: Sequence[Mapping[str, Any]],
    settings: Mapping[str, Any],
    definitions: Mapping[str, str],
    tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]] | None = None,
) -> str:
    """Return the report as Markdown.

    Parameters
    ----------
    claims
        From :func:`evaluate_claims`.
    figures
        Panel ("5a"...) -> figure path relative to the report.
    stages
        Per stage: ``name``, ``status``, ``wall_s``, ``peak_rss_mib``, ``command``, ``panels``.
    settings
        Campaign settings and provenance (calculators, versions, quick, data dir...).
    definitions
        Name -> definition text printed with the numbers.
    tables
        Panel -> (header, rows) of numbers shown under the figure.
    """
    tables = tables or {}
    out = ["# lithiophilic — Fig. 5 of Wang et al., EES 18, 2622 (2025), recomputed", ""]
    counts = {
        v: sum(c.verdict == v for c in claims)
        for v in ("agree", "disagree", "inconclusive", "not run")
    }
    out.append(
        "**Verdicts:** " + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + "."
        " A disagreement is a finding about the paper or about our models, not a bug to tune away."
    )
    out += ["", "## The paper's claims and ours", ""]
    out.append(
        _md_table(
            ["panel", "paper's claim", "ours", "verdict", "why"],
            [(c.panel, c.claim, c.ours, f"**{c.verdict}**", c.reason) for c in claims],
        )
    )
    out += [
        "",
        "Decision thresholds (fixed in advance): "
        + ", ".join(f"{k} = {v}" for k, v in THRESHOLDS.items()),
        "",
    ]
    out += ["## Panels", ""]
    for panel, title in PANEL_TITLES.items():
        out.append(f"### {panel}: {title}")
        out.append("")
        if panel in figures:
            out.append(f"![{panel}]({figures[panel]})")
        else:
            out.append("_not produced in this campaign (see the stage table)._")
        if panel in tables:
            out += ["", _md_table(*tables[panel])]
        out.append("")
    out += ["## Stages", ""]
    out.append(
        _md_table(
            ["stage", "panels", "status", "wall time (s)", "peak RSS (MiB)", "command"],
            [
                (
                    s["name"],
                    ", ".join(s.get("panels", [])),
                    s["status"],
                    f"{s.get('wall_s', 0):.1f}",
                    f"{s.get('peak_rss_mib', 0):.0f}",
                    f"`{s.get('command', '')}`",
                )
                for s in stages
            ],
        )
    )
    out += ["", "## Settings and provenance", ""]
    out += [f"- **{k}**: {v}" for k, v in settings.items()]
    out += ["", "## Definitions", ""]
    out += [f"- **{k}**: {v}" for k, v in definitions.items()]
    out.append("")
    return "\n".join(out)


def render_html(markdown_text: str, title: str = "lithiophilic report") -> str:
    """Render the Markdown produced by :func:`render_markdown` as standalone HTML.

    Handles the subset that report uses: headings, paragraphs, bullet lists, pipe tables,
    images, ``**bold**``, `` `code` `` and ``_italic_``.
    """
    import re

    def inline(text: str) -> str:
        text = html.escape(text)
        text = re.sub(
            r"!\[([^\]]*)\]\(([^)]+)\)", r'<img alt="\1" src="\2" style="max-width:100%">', text
        )
        text = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
        return re.sub(r"(?<![\w/])_([^_]+)_(?![\w/])", r"<i>\1</i>", text)

    body: list[str] = []
    lines = markdown_text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{inline(line[level:].strip())}</h{level}>")
        elif line.startswith("| "):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                if not re.fullmatch(r"\|(---\|)+", lines[i]):
                    cells = [
                        c.strip().replace("\\|", "|")
                        for c in re.split(r"(?<!\\)\|", lines[i])[1:-1]
                    ]
                    rows.append(cells)
                i += 1
            head, *rest = rows
            body.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>")
            body += ["<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rest]
            body.append("</table>")
            continue
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{inline(lines[i][2:])}</li>")
                i += 1
            body.append("<ul>" + "".join(items) + "</ul>")
            continue
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
        i += 1
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;"
        "vertical-align:top}th{background:#eee}code{background:#f4f4f4}"
    )
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(
    out_dir: Path,
    markdown_text: str,
    claims: Sequence[Claim],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``report.md``, ``report.html`` and ``claims.json`` into ``out_dir``."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "report.md"
    md.write_text(markdown_text)
    page = out_dir / "report.html"
    page.write_text(render_html(markdown_text))
    cj = out_dir / "claims.json"
    cj.write_text(
        json.dumps(
            {"claims": [c.as_dict() for c in claims], "thresholds": THRESHOLDS, **(extra or {})},
            indent=1,
            default=str,
        )
    )
    return {"markdown": md, "html": page, "claims": cj}


def _strain_text(strain: Mapping[str, Any] | None) -> str:
    """Principal strains of a bcc110 Li layer and the bound they were built within."""
    if not strain or "principal" not in strain:
        return "–"
    text = ", ".join(f"{x:+.1%}" for x in strain["principal"])
    bound = strain.get("max_strain_allowed")
    return f"{text} (≤ {bound:.0%})" if isinstance(bound, int | float) else text


def panel_tables(
    stages: Mapping[str, Mapping[str, Any] | None],
) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Return the numbers shown under each panel's figure: panel -> (header, rows)."""
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    surface = stages.get("surface")
    if surface and surface.get("rows"):
        iv = gamma_intervals(surface["rows"])
        tables["5a"] = (
            ["material", "facet", "γ relaxed (J/m²)", "γ relaxed (eV/Å²)"],
            [
                [
                    m,
                    f,
                    _fmt_interval(v),
                    _fmt_interval((v[0] / EV_PER_A2_TO_J_PER_M2, v[1] / EV_PER_A2_TO_J_PER_M2)),
                ]
                for (m, f), v in sorted(iv.items())
            ],
        )
    pdos = stages.get("pdos")
    if pdos:
        dos, dband = _dos_table(pdos), _d_band_table(pdos)
        if dos:
            els = sorted({e for row in dos.values() for e in row})
            tables["5b"] = (
                [
                    "material",
                    *[f"DOS(E_F) {e} (states/eV/atom)" for e in els],
                    *[f"d-band centre {e} (eV)" for e in els],
                ],
                [
                    [
                        m,
                        *[f"{row[e]:.3f}" if e in row else "—" for e in els],
                        *[
                            f"{dband.get(m, {})[e]:.2f}" if e in dband.get(m, {}) else "—"
                            for e in els
                        ],
                    ]
                    for m, row in sorted(dos.items())
                ],
            )
    binding = stages.get("binding")
    if binding and binding.get("summaries"):
        tables["5c"] = (
            [
                "material",
                "facet",
                "strongest site",
                "E_b vs bcc Li (eV)",
                "E_b vs atom (eV)",
                "site spread (eV)",
            ],
            [
                [
                    s["material"],
                    facet_label(s["miller"]),
                    s.get("lowest_final_site_kind", ""),
                    f"{s['binding_energy_bcc_ev']:.3f}",
                    f"{s['binding_energy_atom_ev']:.3f}",
                    f"{s['spread_ev']:.3f}",
                ]
                for s in binding["summaries"]
            ],
        )
    lay = _layers(binding)
    if lay:
        n_max = max(len(m["incremental_binding_energy_ev"]) for m in lay.values())
        tables["5d"] = (
            [
                "material",
                "Li per layer",
                "mismatch",
                "Li-layer strains",
                "growth",
                *[f"E_b({n}) (eV/Li)" for n in range(1, n_max + 1)],
            ],
            [
                [
                    m,
                    str(d.get("li_per_layer", "")),
                    f"{d['lattice_mismatch']:+.1%}",
                    _strain_text(d.get("li_layer_strain")),
                    # documents older than the growth field were relaxed independently
                    str(d.get("growth", "independent")),
                    *[f"{x:.3f}" for x in d["incremental_binding_energy_ev"]],
                ]
                for m, d in lay.items()
            ],
        )
        tables["5e"] = (
            ["material", *[f"RMS shift n={n} (Å)" for n in range(1, n_max + 1)]],
            [[m, *[f"{x['rms_a']:.2f}" for x in d["distortion"]]] for m, d in lay.items()],
        )
    md = stages.get("md")
    rates = _md_rates(md) if md else {}
    if rates:
        tables["5f"] = (
            ["material", "aggregation rate k (1/ps)", "95% CI", "replicas", "potential"],
            [
                [
                    m,
                    f"{r['k_per_ps']:.3g}",
                    _fmt_ci(r["ci"]),
                    f"{r['n']}/{r['n_replicas']}",
                    r["potential"],
                ]
                for m, r in rates.items()
            ],
        )
    return tables
