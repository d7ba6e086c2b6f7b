"""The paper campaign's report: our numbers set against the claims of Wang et al. (Fig. 5).

Pure functions from what each study computed to Markdown/HTML: the verdicts
(:mod:`lithiophilic.analysis.claims`, re-exported here), each panel's figure and table,
the stages' wall time and memory, settings and definitions.  A verdict is ``agree``,
``disagree`` or ``inconclusive`` with the reason in words; a stage that did not run gives
``not run``.  Disagreement is a finding, not a failure: the thresholds are fixed in advance
and printed in the report, never tuned to the outcome.

Reference: Wang et al., Energy Environ. Sci. 18, 2622 (2025), doi:10.1039/d4ee05862c.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lithiophilic.analysis.claims import (
    THRESHOLDS,
    Claim,
    Verdict,
    claims_5a,
    claims_5b,
    claims_5c,
    claims_5d,
    claims_5e,
    claims_5fg,
    evaluate_claims,
    gamma_intervals,
)

__all__ = [
    "PANEL_TITLES",
    "THRESHOLDS",
    "Claim",
    "Verdict",
    "claims_5a",
    "claims_5b",
    "claims_5c",
    "claims_5d",
    "claims_5e",
    "claims_5fg",
    "evaluate_claims",
    "gamma_intervals",
    "render_html",
    "render_markdown",
    "rows_table",
    "write_report",
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
    "verify": "DFT (GPAW) check of the MLIP numbers behind 5a and 5c: MLIP and DFT side by side",
}


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(x: Any) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def rows_table(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Return (header, rows) of a table given as dicts (a study's ``table_rows``).

    The header is every key in order of first appearance; floats are shown with 4
    significant digits, lists joined with commas, ``None`` as ``—``.
    """
    header: list[str] = []
    for r in rows:
        header += [k for k in r if k not in header]

    def cell(x: Any) -> Any:
        if x is None:
            return "—"
        if isinstance(x, float):
            return f"{x:.4g}"
        if isinstance(x, list | tuple):
            return ", ".join(str(cell(v)) for v in x)
        return x

    return header, [[cell(r.get(k)) for k in header] for r in rows]


def _stage_table(stages: Sequence[Mapping[str, Any]]) -> str:
    def where(s: Mapping[str, Any]) -> str:
        files = [*s.get("options", []), *([s["log"]] if s.get("log") else [])]
        if s.get("command"):
            files.insert(0, s["command"])
        return ", ".join(f"`{f}`" for f in files)

    return _md_table(
        ["stage", "panels", "status", "wall time (s)", "peak RSS (MiB)", "options, log"],
        [
            (
                s["name"],
                ", ".join(s.get("panels", [])),
                s["status"],
                f"{s.get('wall_s', 0):.1f}",
                f"{s.get('peak_rss_mib', 0):.0f}",
                where(s),
            )
            for s in stages
        ],
    )


def _panel_sections(
    figures: Mapping[str, str],
    tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]],
    notes: Mapping[str, str],
    extra_tables: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]],
) -> list[str]:
    out: list[str] = []
    for panel, title in PANEL_TITLES.items():
        out += [f"### {panel}: {title}", ""]
        if panel in figures:
            out.append(f"![{panel}]({figures[panel]})")
        else:
            out.append("_not produced in this campaign (see the stage table)._")
        if panel in notes:
            out += ["", notes[panel]]
        if panel in tables and tables[panel][1]:
            out += ["", _md_table(*tables[panel])]
        for title, rows in (extra_tables.get(panel) or {}).items():
            if rows:
                out += ["", f"**{title}**", "", _md_table(*rows_table(rows))]
        out.append("")
    return out


def render_markdown(
    claims: Sequence[Claim],
    figures: Mapping[str, str],
    stages: Sequence[Mapping[str, Any]],
    settings: Mapping[str, Any],
    definitions: Mapping[str, str],
    tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]] | None = None,
    notes: Mapping[str, str] | None = None,
    extra_tables: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]] | None = None,
) -> str:
    """Return the report as Markdown.

    Parameters
    ----------
    claims
        From :func:`evaluate_claims` or the studies' ``claims``.
    figures
        Panel ("5a"...) -> figure path relative to the report.
    stages
        Per stage: ``name``, ``panels``, ``status``, ``wall_s``, ``peak_rss_mib`` and
        ``options`` (the saved options files), ``log`` (paths relative to the report).
    settings
        Campaign settings and provenance (calculators, versions, quick, data dir...).
    definitions
        Name -> definition text printed with the numbers.
    tables
        Panel -> (header, rows) of numbers shown under the figure (see :func:`rows_table`).
    notes
        Panel -> a line printed under the figure (what is missing or failed).
    extra_tables
        Panel -> {title: rows (dicts)}: further tables after the panel's own (a study's
        ``extra_tables``, e.g. the 5f/g teacher check side by side).
    """
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
    out += [
        "## Panels",
        "",
        *_panel_sections(figures, tables or {}, notes or {}, extra_tables or {}),
    ]
    out += ["## Stages", "", _stage_table(stages)]
    out += ["", "## Settings and provenance", ""]
    out += [f"- **{k}**: {v}" for k, v in settings.items()]
    out += ["", "## Definitions", ""]
    out += [f"- **{k}**: {v}" for k, v in definitions.items()]
    out.append("")
    return "\n".join(out)


#: Figure files embedded in report.html, by suffix -> MIME type.
_EMBEDDED_IMAGES = {".png": "image/png", ".svg": "image/svg+xml"}


def _image_source(src: str, base_dir: Path | None) -> str | None:
    """``src`` as a ``data:`` URI (PNG/SVG under ``base_dir``); None if it cannot be embedded.

    Without ``base_dir`` (no report directory to read from) ``src`` is returned unchanged,
    as are ``data:`` and ``http(s):`` sources.
    """
    if base_dir is None or src.startswith(("data:", "http:", "https:")):
        return src
    path = base_dir / src
    mime = _EMBEDDED_IMAGES.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _html_table(lines: Sequence[str], inline: Any) -> list[str]:
    rows = [
        [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in lines
        if not re.fullmatch(r"\|(---\|)+", line)
    ]
    head, *rest = rows
    body = ["<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>"]
    body += ["<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rest]
    body.append("</table>")
    return body


def render_html(
    markdown_text: str, title: str = "lithiophilic report", *, base_dir: Path | None = None
) -> str:
    """Render the Markdown produced by :func:`render_markdown` as standalone HTML.

    Handles the subset that report uses: headings, paragraphs, bullet lists, pipe tables,
    images, ``**bold**``, `` `code` `` and ``_italic_``. With ``base_dir`` (the report's
    directory) the PNG and SVG figures are embedded as ``data:`` URIs and a figure that
    cannot be embedded (missing, PDF) is named in words, so the page holds no file link and
    can be moved alone.
    """

    def image(m: re.Match[str]) -> str:
        src = _image_source(html.unescape(m.group(2)), base_dir)
        if src is None:  # never a link to a file that moving the page would break
            return f"<i>figure {m.group(1)} ({m.group(2)}): not found or not PNG/SVG</i>"
        return f'<img alt="{m.group(1)}" src="{html.escape(src)}" style="max-width:100%">'

    def inline(text: str) -> str:
        text = html.escape(text)
        text = re.sub(r"!\[([^\]]*)\]\(([^)]+)\)", image, text)
        text = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
        return re.sub(r"(?<![\w/])_([^_]+)_(?![\w/])", r"<i>\1</i>", text)

    body: list[str] = []
    lines = markdown_text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(("| ", "- ")):
            j = i
            while j < len(lines) and lines[j].startswith(line[0]):
                j += 1
            if line.startswith("|"):
                body += _html_table(lines[i:j], inline)
            else:
                body.append(
                    "<ul>" + "".join(f"<li>{inline(x[2:])}</li>" for x in lines[i:j]) + "</ul>"
                )
            i = j
            continue
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{inline(line[level:].strip())}</h{level}>")
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
    """Write ``report.md``, ``report.html`` (figures embedded) and ``claims.json`` into ``out_dir``.

    Returns
    -------
    dict
        ``markdown``, ``html``, ``claims`` -> path.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "report.md"
    md.write_text(markdown_text)
    page = out_dir / "report.html"
    page.write_text(render_html(markdown_text, base_dir=out_dir))
    cj = out_dir / "claims.json"
    cj.write_text(
        json.dumps(
            {"claims": [c.as_dict() for c in claims], "thresholds": THRESHOLDS, **(extra or {})},
            indent=1,
            default=str,
        )
    )
    return {"markdown": md, "html": page, "claims": cj}
