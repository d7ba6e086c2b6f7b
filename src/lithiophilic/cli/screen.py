"""`lithiophilic screen`: rank skins by lithiophilicity (parse -> :mod:`lithiophilic.studies.screen` -> render)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lithiophilic.cli.app import DataDirOpt, QuietOpt, StoreOpt, app, out
from lithiophilic.cli.common import finish, parse_miller, register_study_command, run_command

if TYPE_CHECKING:
    from lithiophilic.studies import screen as screen_study

logger = logging.getLogger("lithiophilic")

#: Table columns: (row key, header).
_COLUMNS = (
    ("rank", "rank"),
    ("skin", "skin"),
    ("facet", "facet"),
    ("adsorption_binding_energy_ev", "E_b ads (eV)"),
    ("first_layer_binding_energy_ev", "E_b(1) (eV/Li)"),
    ("skin_dissolution_energy_ev", "E_sol (eV)"),
    ("pair_interaction_energy_ev", "E_int pair (eV)"),
    ("li_incorporation_energy_ev", "E_inc (eV)"),
    ("adhesion_energy_j_per_m2", "W_adh (J/m²)"),
    ("diffusion_barrier_ev", "E_hop (eV)"),
    ("score_ev", "score (eV)"),
)


def screen_options(
    skin: list[str] | None = None,
    facet: str | None = None,
    calculator: str = "sevenn",
    quick: bool = False,
    li_compound: list[Path] | None = None,
    wetting_max_strain: float | None = None,
) -> screen_study.Options:
    """Return the screen's Options for the command's parameters.

    Raises
    ------
    ConfigurationError
        For a bad facet, skin or calculator (naming the field).
    """
    from lithiophilic.studies import screen as screen_study

    given: dict[str, Any] = {
        "skins": skin or [],
        "facet": None if facet is None else list(parse_miller(facet)),
        "calculator": calculator,
        "li_compounds": [str(p) for p in li_compound or []],
        "wetting_max_strain": wetting_max_strain,
    }
    return screen_study.Options.quick(**given) if quick else screen_study.Options(**given)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:+.3f}"
    return str(value)


def _print_comparison(comparison: dict[str, Any] | None) -> None:
    """Print the score and each descriptor against the measured overpotentials."""
    if not comparison:
        return
    measured = ", ".join(f"{k} {v} mV" for k, v in comparison["measured_overpotential_mv"].items())
    out.print(f"measured Li nucleation overpotentials: {measured} ({comparison['caveat']})")
    items = [("score", comparison["score"]), *comparison["descriptors"].items()]
    for name, cmp in items:
        if cmp is None:
            out.print(f"  {name}: not available for two measured skins")
            continue
        rho = cmp["spearman_rho"]
        verdicts = ", ".join(
            f"{p['more_lithiophilic_measured']}>{p['other']}: {p['verdict']}" for p in cmp["pairs"]
        )
        shown = "undefined" if rho is None else f"{rho:+.2f}"
        out.print(f"  {name}: rho {shown}; {verdicts}")


#: Columns of the Li incorporation / alloying table: (descriptor, header).
_LI_COLUMNS = (
    ("li_substitution_surface_energy_ev", "E_sub s (eV)"),
    ("li_substitution_subsurface_energy_ev", "E_sub ss (eV)"),
    ("li_interstitial_surface_energy_ev", "E_int s (eV)"),
    ("li_interstitial_subsurface_energy_ev", "E_int ss (eV)"),
    ("li_substitution_bulk_energy_ev", "E_sub bulk (eV)"),
    ("li_alloy_formation_energy_per_li_ev", "ΔE_f/Li alloy (eV)"),
)


def _print_li_descriptors(result: Any) -> None:
    """Print the facet choice and the Li incorporation / alloying table (reported only)."""
    from lithiophilic.studies import screen as screen_study

    for skin, choice in result.facet_choice.items():
        out.print(f"{skin}: facet {choice['facet_name']} — {choice['reason']}", markup=False)
    table = Table(title="Li incorporation and Li-skin alloying vs bcc Li (not in the score)")
    table.add_column("skin")
    for _, header in _LI_COLUMNS:
        table.add_column(header)
    for row in screen_study.table_rows(result):
        table.add_row(row["skin"], *(_cell(row.get(key)) for key, _ in _LI_COLUMNS))
    out.print(table)
    from lithiophilic.studies import screen_li

    for line in screen_li.reason_lines(result):  # why each n/a above is missing
        out.print(line, markup=False)


@app.command("screen")
def screen(
    ctx: typer.Context,
    skin: Annotated[
        list[str] | None,
        typer.Option(
            "--skin",
            "-s",
            help="Skin (repeatable): an element, a catalogue compound, a solid-solution "
            "formula (SQS) or a structure file.",
        ),
    ] = None,
    facet: Annotated[
        str | None,
        typer.Option(
            help="Facet; default: the lowest-gamma low-index facet of each skin (same "
            "calculator); 111 = the close-packed one of each lattice (fcc 111, hcp 0001, "
            "bcc 110, beta-Sn 100)."
        ),
    ] = None,
    calculator: Annotated[
        str, typer.Option(help="Calculator registry name (must cover Li).")
    ] = "sevenn",
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Thin slabs, <= 4 Li sites, 16-atom Li host: minutes."),
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write descriptors, scores, ranks as JSON.")
    ] = None,
    li_compound: Annotated[
        list[Path] | None,
        typer.Option(
            "--li-compound",
            help="Li-X compound structure file (CIF/POSCAR, repeatable) for the alloying hull.",
        ),
    ] = None,
    wetting_max_strain: Annotated[
        float | None,
        typer.Option(
            "--wetting-max-strain",
            help="Largest principal strain of the Li(110) film's coincidence cell (fraction; "
            "default: the first-layer bound, 0.05; quick hcp/gamma-brass 0.08).",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory of the figure (default DATA_DIR/reports)."),
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Rank current-collector skins by lithiophilicity descriptors (issue 20)."""
    from lithiophilic.db import get_data_dir
    from lithiophilic.studies import screen as screen_study
    from lithiophilic.studies import screen_wetting_neb

    options, result = run_command(ctx)
    table = Table(title=f"Skin screen ({options.calculator}, {result.rule_version})")
    for _, header in _COLUMNS:
        table.add_column(header)
    for row in screen_study.table_rows(result):
        table.add_row(*(_cell(row.get(key)) for key, _ in _COLUMNS))
    out.print(table)
    _print_li_descriptors(result)
    for line in screen_wetting_neb.detail_lines(result):
        out.print(line, markup=False)
    for row in screen_study.table_rows(result):
        if row["tied_with"] or row["unranked_reason"]:
            out.print(f"{row['skin']}: {row['unranked_reason'] or 'tied with ' + row['tied_with']}")
    for name, why in result.dropped.items():
        out.print(f"dropped from every score: {name} ({why})")
    _print_comparison(result.comparison)
    out.print(result.definition, markup=False, style="dim")
    paths = screen_study.figures(result, out_dir or get_data_dir(data_dir) / "reports")
    for path in paths.values():
        out.print(f"figure: {path}")
    payload = {
        "rule_version": result.rule_version,
        "definition": result.definition,
        "facets": result.facets,
        "skins": result.ranking,
        "dropped": result.dropped,
        "missing": result.missing,
        "comparison": result.comparison,
        "facet_choice": result.facet_choice,
        "li_details": result.li_details,
        "wetting": result.wetting,
        "mobility": result.mobility,
    }
    finish(json_file, payload, result.failed)


register_study_command("screen", "lithiophilic.studies.screen", screen_options)
