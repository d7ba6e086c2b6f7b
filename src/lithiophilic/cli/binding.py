"""`lithiophilic binding`: Fig. 5c (single Li) and 5d/5e (Li layers).

The command maps its parameters to :class:`lithiophilic.studies.binding.Options` (the
single-Li study's options and, with ``--layers N``, the Li-layers study's), runs them with
:func:`~lithiophilic.cli.common.run_study` and renders the tables, figures and ``--json``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lithiophilic.cli.app import DataDirOpt, QuietOpt, StoreOpt, app, out
from lithiophilic.cli.common import (
    KeepTrajectoryOpt,
    WorkersOpt,
    parse_miller,
    register_study_command,
    run_command,
)

if TYPE_CHECKING:
    from lithiophilic.studies import binding as binding_study
    from lithiophilic.studies import li_layers, li_sites

logger = logging.getLogger("lithiophilic")


def binding_options(
    material: list[str] | None = None,
    miller: list[str] | None = None,
    calculator: str = "sevenn",
    max_sites: int | None = None,
    quick: bool = False,
    li_fmax: float | None = None,
    refine_calculator: str | None = None,
    refine_top_k: int = 3,
    refine_all: bool = False,
) -> li_sites.Options:
    """Return the single-Li study's Options of the ``binding`` parameters (no I/O).

    Raises
    ------
    ConfigurationError
        For a bad Miller index or setting (naming the field).
    """
    from lithiophilic.studies import li_sites

    settings: dict[str, Any] = {
        "calculator": calculator,
        "max_sites": max_sites,
        "refine_calculator": refine_calculator,
        "refine_top_k": refine_top_k,
        "refine_all": refine_all,
    }
    if material:
        settings["materials"] = list(material)
    if miller:
        settings["millers"] = [list(parse_miller(m)) for m in miller]
    if li_fmax is not None:
        settings["li_fmax_ev_per_a"] = li_fmax
    return li_sites.Options.quick(**settings) if quick else li_sites.Options(**settings)


def layer_options(
    sites: li_sites.Options,
    *,
    layers: int = 0,
    construction: str = "bcc110",
    li_max_strain: float | None = None,
    li_growth: str = "sequential",
    quick: bool = False,
) -> li_layers.Options | None:
    """Return the Li-layers study's Options of the ``binding`` parameters; None for ``--layers 0``.

    The layer settings are checked even when ``layers`` is 0. ``li_max_strain`` given
    replaces the quick preset's γ-brass strain too.

    Raises
    ------
    ConfigurationError
        For a bad setting (naming the field).
    """
    from lithiophilic.studies import li_layers

    settings: dict[str, Any] = {
        "sites": sites,
        "construction": construction,
        "li_growth": li_growth,
    }
    if li_max_strain is not None:
        settings.update(li_max_strain=li_max_strain, complex_li_max_strain=None)
    make = li_layers.Options.quick if quick else li_layers.Options
    if layers == 0:
        make(**settings, layers=1)  # checks the layer settings; no layers are run
        return None
    return make(**settings, layers=layers)


def binding_study_options(
    material: list[str] | None = None,
    miller: list[str] | None = None,
    calculator: str = "sevenn",
    max_sites: int | None = None,
    layers: int = 0,
    construction: str = "bcc110",
    quick: bool = False,
    li_fmax: float | None = None,
    li_max_strain: float | None = None,
    li_growth: str = "sequential",
    refine_calculator: str | None = None,
    refine_top_k: int = 3,
    refine_all: bool = False,
) -> binding_study.Options:
    """Return the ``binding`` command's Options: single Li and, with ``layers`` > 0, Li layers."""
    from lithiophilic.studies import binding as binding_study

    sites = binding_options(
        material=material,
        miller=miller,
        calculator=calculator,
        max_sites=max_sites,
        quick=quick,
        li_fmax=li_fmax,
        refine_calculator=refine_calculator,
        refine_top_k=refine_top_k,
        refine_all=refine_all,
    )
    lay = layer_options(
        sites,
        layers=layers,
        construction=construction,
        li_max_strain=li_max_strain,
        li_growth=li_growth,
        quick=quick,
    )
    return binding_study.Options(sites=sites, layers=lay)


def _site_table(rows: list[dict[str, Any]], calculator: str) -> Table:
    table = Table(
        title=f"Single-Li binding ({calculator}); E_b = -E_ads, larger = stronger; "
        "5c compares adsorbed sites"
    )
    for col in (
        "material",
        "facet",
        "slab",
        "site",
        "Li ends over",
        "outcome",
        "CN",
        "local height (Å)",
        "ΔE substrate (eV)",
        "E_b vs bcc Li (eV)",
        "strongest",
    ):
        table.add_column(col)

    def fmt(value: Any, spec: str) -> str:
        return "—" if value is None else format(value, spec)

    for r in rows:
        strongest = r["strongest"] or ""
        if r.get("spread_over_samples_ev") is not None:
            strongest += f" (samples ±{r['spread_over_samples_ev'] / 2:.3f})"
        table.add_row(
            r["material"],
            r["facet"],
            r["slab"],
            r["site_label"],
            r["final_site_kind"],
            r["outcome"] or "—",
            fmt(r["coordination_number"], "d"),
            fmt(r["local_height_a"], ".2f"),
            fmt(r["substrate_change_ev"], "+.3f"),
            f"{r['binding_energy_bcc_ev']:.3f}",
            strongest,
        )
    return table


def _prescreen_table(docs: list[dict[str, Any]], screen: str, refine: str) -> Table:
    from lithiophilic.analysis.surface import facet_label

    table = Table(title=f"Prescreen: sites ranked with {screen}, refined with {refine}")
    for col in (
        "material",
        "facet",
        "refined sites",
        f"strongest ({refine})",
        "E_b vs bcc (eV)",
        f"= {screen} strongest",
        "in top k",
        "Spearman rho",
    ):
        table.add_column(col)
    for d in docs:
        in_top = d["refined_lowest_in_top_k"]
        rho = d["spearman_rho"]
        table.add_row(
            d["material"],
            facet_label(d["miller"]),
            f"{len(d['refined_sites'])}/{d['n_screened']}",
            d["refined_lowest_label"],
            f"{d['binding_energy_bcc_ev']:.3f}",
            "yes" if d["refined_lowest_is_screen_lowest"] else "no",
            "unknown (use --refine-all)" if in_top is None else ("yes" if in_top else "no"),
            "-" if rho is None else f"{rho:.2f}",
        )
    return table


def _layer_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Li layers on (111): E_b per layer vs bcc Li (eV/Li)")
    for col in (
        "material",
        "mismatch",
        "n",
        "incremental E_b",
        "average E_b",
        "Li RMS shift (Å)",
        "conv.",
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["material"],
            f"{r['lattice_mismatch']:+.1%}",
            str(r["n_layers"]),
            f"{r['incremental_binding_energy_ev']:.3f}",
            f"{r['average_binding_energy_ev']:.3f}",
            f"{r['li_rms_shift_a']:.2f}",
            "yes" if r["converged"] else "[red]NO[/]",
        )
    return table


def render(result: binding_study.Result, report_dir: Path, json_file: Path | None) -> None:
    """Print the tables and figures of a binding result and write its ``--json``."""
    from lithiophilic.analysis.binding import BINDING_DEFINITION
    from lithiophilic.studies import binding as binding_study
    from lithiophilic.studies import li_layers, li_sites

    sites = result.sites
    options = sites.options
    out.print(_site_table(li_sites.table_rows(sites), options["calculator"]))
    if sites.prescreens:
        out.print(
            _prescreen_table(
                sites.prescreens, options["calculator"], options["refine_calculator"] or ""
            )
        )
    out.print(BINDING_DEFINITION, markup=False, style="dim")
    for png in li_sites.figures(sites, report_dir).values():
        out.print(f"figure: {png}")
    if result.layers is not None:
        out.print(_layer_table(li_layers.table_rows(result.layers)))
        for png in li_layers.figures(result.layers, report_dir).values():
            out.print(f"figure: {png}")
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        document = {**binding_study.payload(result), "failed": result.failed}
        json_file.write_text(json.dumps(document, indent=1, default=str))


@app.command("binding")
def binding(
    ctx: typer.Context,
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material", "-m", help="Material (repeatable); default Cu, Cu5Zn8, Cu0.64Zn0.36."
        ),
    ] = None,
    miller: Annotated[
        list[str] | None, typer.Option("--miller", help="Facet (repeatable); default 111.")
    ] = None,
    calculator: Annotated[str, typer.Option(help="Calculator registry name.")] = "sevenn",
    max_sites: Annotated[
        int | None, typer.Option("--max-sites", help="Relax at most this many sites per slab.")
    ] = None,
    layers: Annotated[
        int,
        typer.Option(
            "--layers",
            help="Also relax 1…N Li layers on (111) (Fig. 5d/5e); 0: single Li only.",
        ),
    ] = 0,
    construction: Annotated[
        str,
        typer.Option(
            "--construction",
            help="Li layers: 'bcc110' (commensurate bcc Li(110), default) or 'pseudomorphic' (hollow sites, fcc only).",
        ),
    ] = "bcc110",
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="4-plane slabs, thin SQS cells, fmax 0.1 eV/Å, γ-brass Li layers strained up to 8 %: minutes, not converged values.",
        ),
    ] = False,
    li_fmax: Annotated[
        float | None,
        typer.Option(
            "--li-fmax",
            help="Force threshold of the Li relaxations, eV/Å (default 0.05; 0.1 with --quick).",
        ),
    ] = None,
    li_max_strain: Annotated[
        float | None,
        typer.Option(
            "--li-max-strain",
            help="bcc110 Li layers: largest principal strain of the Li(110) layer; the smallest substrate supercell within it is used (default 0.05; with --quick 0.08 on γ-brass, whose cell is already large).",
        ),
    ] = None,
    li_growth: Annotated[
        str,
        typer.Option(
            "--li-growth",
            help="Li layers: 'sequential' (layer n added on the relaxed n-1 film, default) or 'independent' (each n relaxed from ideal layers on the clean slab; parallel on a queue).",
        ),
    ] = "sequential",
    refine_calculator: Annotated[
        str | None,
        typer.Option(
            "--refine-calculator",
            help="Prescreen mode: rank sites with --calculator, refine the best with this one (e.g. gpaw).",
        ),
    ] = None,
    refine_top_k: Annotated[
        int, typer.Option("--refine-top-k", help="Sites refined in prescreen mode.")
    ] = 3,
    refine_all: Annotated[
        bool,
        typer.Option(
            "--refine-all",
            help="Refine every site too, to check the refined-lowest site was in the top k.",
        ),
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for the Fig. 5c PNG (default DATA_DIR/reports)."),
    ] = None,
    keep_trajectory: KeepTrajectoryOpt = False,
    workers: WorkersOpt = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Single Li atom on every site of each facet (Fig. 5c); E_b vs bcc Li and vs the atom."""
    from lithiophilic.db import get_data_dir

    _, result = run_command(ctx)
    render(result, out_dir or get_data_dir(data_dir) / "reports", json_file)
    if result.failed:
        raise typer.Exit(1)


register_study_command("binding", "lithiophilic.studies.binding", binding_study_options)
