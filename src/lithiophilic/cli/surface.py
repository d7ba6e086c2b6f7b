"""`lithiophilic surface-energy`: Fig. 5a (parse -> :mod:`lithiophilic.studies.surface` -> render)."""

from __future__ import annotations

import inspect
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.cli.app import DataDirOpt, QuietOpt, StoreOpt, app, out
from lithiophilic.cli.common import (
    KeepTrajectoryOpt,
    WorkersOpt,
    parse_miller,
    register_study_command,
    run_command,
)
from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from lithiophilic.studies import surface as surface_study

logger = logging.getLogger("lithiophilic")


def gamma_table(rows: list[dict[str, Any]], title: str) -> Table:
    """Return the rich table of Fig. 5a table rows (:func:`~lithiophilic.studies.surface.gamma_table_rows`)."""
    table = Table(title=title)
    for col in (
        "material",
        "facet",
        "term.",
        "n_layers",
        "N",
        "method",
        "γ unrel (J/m²)",
        "γ relaxed (J/m²)",
        "γ relaxed (eV/Å²)",
        "range (J/m²)",
        "conv.",
    ):
        table.add_column(col)
    for r in rows:
        g, g_ev, span = (
            r["gamma_relaxed_j_per_m2"],
            r["gamma_relaxed_ev_per_a2"],
            r["gamma_range_j_per_m2"],
        )
        table.add_row(
            r["material"],
            r["facet"],
            r["termination"],
            str(r["n_layers"]),
            str(r["n_atoms"]),
            r["method"],
            f"{r['gamma_unrelaxed_j_per_m2']:.3f}",
            "—" if g is None else f"{g:.3f}",
            "—" if g_ev is None else f"{g_ev:.4f}",
            "" if span is None else f"{span[0]:.3f}–{span[1]:.3f}",
            "yes" if r["converged"] else "[red]NO[/]",
        )
    return table


def surface_options(
    material: list[str] | None = None,
    miller: list[str] | None = None,
    calculator: str = "sevenn",
    n_layers: int = defaults.N_LAYERS,
    min_thickness_a: float = defaults.MIN_THICKNESS_A,
    thickness_series: str | None = None,
    vacuum_a: float = defaults.VACUUM_A,
    n_fixed_layers: int = defaults.N_FIXED_LAYERS,
    fix: str = "center",
    fmax: float | None = None,
    max_terminations: int | None = None,
    sqs_samples: int = defaults.SQS_SAMPLES,
    quick: bool = False,
) -> surface_study.Options:
    """Return the surface study's Options for the ``surface-energy`` command's parameters.

    With ``quick``, parameters left at the command's defaults take the quick preset's values
    (:meth:`lithiophilic.studies.surface.Options.quick`); ``fmax`` None takes the preset's.

    Raises
    ------
    ConfigurationError
        For a bad Miller index, thickness series or setting (naming the field).
    """
    from lithiophilic.studies import surface as surface_study

    given: dict[str, Any] = {
        "materials": material or None,
        "millers": [list(parse_miller(m)) for m in miller] if miller else None,
        "calculator": calculator,
        "n_layers": n_layers,
        "min_thickness_a": min_thickness_a,
        "thickness_series": _parse_series(thickness_series),
        "vacuum_a": vacuum_a,
        "n_fixed_layers": n_fixed_layers,
        "fix": fix,
        "slab_fmax_ev_per_a": fmax,
        "max_terminations": max_terminations,
        "sqs_samples": sqs_samples,
    }
    if quick:
        params = inspect.signature(surface_options).parameters
        preset = ("n_layers", "min_thickness_a", "n_fixed_layers", "sqs_samples")
        given = {k: v for k, v in given.items() if not (k in preset and v == params[k].default)}
        return surface_study.Options.quick(**{k: v for k, v in given.items() if v is not None})
    return surface_study.Options(**{k: v for k, v in given.items() if v is not None})


def _parse_series(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        msg = f"thickness_series: {text!r} is not a comma-separated list of plane counts, e.g. 4,8"
        raise ConfigurationError(msg) from None


@app.command("surface-energy")
def surface_energy(
    ctx: typer.Context,
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material", "-m", help="Material (repeatable); default Cu, Cu5Zn8, Cu0.64Zn0.36."
        ),
    ] = None,
    miller: Annotated[
        list[str] | None,
        typer.Option(
            "--miller", help="Facet (repeatable), e.g. 111, 100, 110; default 111 and 100."
        ),
    ] = None,
    calculator: Annotated[
        str, typer.Option(help="Calculator registry name (see 'lithiophilic calculators').")
    ] = "sevenn",
    n_layers: Annotated[
        int, typer.Option("--n-layers", help="Atomic planes of simple-lattice slabs.")
    ] = defaults.N_LAYERS,
    min_thickness_a: Annotated[
        float,
        typer.Option("--min-thickness", help="Minimum thickness of complex slabs (γ-brass), Å."),
    ] = defaults.MIN_THICKNESS_A,
    thickness_series: Annotated[
        str | None,
        typer.Option(
            "--thickness-series", help="Extra n_layers for a convergence series, e.g. 4,8."
        ),
    ] = None,
    vacuum_a: Annotated[
        float, typer.Option("--vacuum", help="Vacuum between images, Å (>= 8).")
    ] = defaults.VACUUM_A,
    n_fixed_layers: Annotated[
        int, typer.Option("--n-fixed-layers", help="Fixed planes.")
    ] = defaults.N_FIXED_LAYERS,
    fix: Annotated[str, typer.Option(help="'center' (both faces relax) or 'bottom'.")] = "center",
    fmax: Annotated[
        float | None,
        typer.Option(
            "--fmax",
            help=f"Slab force threshold, eV/Å (default {defaults.SLAB_FMAX_EV_PER_A}; "
            f"{defaults.QUICK_SLAB_FMAX_EV_PER_A} with --quick).",
        ),
    ] = None,
    max_terminations: Annotated[
        int | None,
        typer.Option("--max-terminations", help="Keep at most this many terminations per facet."),
    ] = None,
    sqs_samples: Annotated[
        int, typer.Option("--sqs-samples", help="SQS samples per facet (random alloys).")
    ] = defaults.SQS_SAMPLES,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Small, fast settings (4 planes, 6 Å γ-brass slabs, ≤2 terminations, 1 thin SQS sample, no fixed planes, slab fmax 0.1 eV/Å): minutes, not converged values.",
        ),
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory for the CSV table and the Fig. 5a PNG (default DATA_DIR/reports).",
        ),
    ] = None,
    keep_trajectory: KeepTrajectoryOpt = False,
    workers: WorkersOpt = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Compute surface energies (Fig. 5a) and store them in the job database."""
    options, result = run_command(ctx)
    _render(result, options, out_dir or _data_dir(data_dir) / "reports", json_file)


def _data_dir(data_dir: Path | None) -> Path:
    from lithiophilic.db import get_data_dir

    return get_data_dir(data_dir)


def _render(
    result: surface_study.Result,
    options: surface_study.Options,
    report_dir: Path,
    json_file: Path | None,
) -> None:
    """Print the table and definition, write CSV/PNG and --json; exit 1 if a flow failed."""
    from lithiophilic.studies import surface as surface_study

    rows = surface_study.table_rows(result)
    out.print(gamma_table(rows, f"Surface energies ({options.calculator})"))
    out.print(result.definition, markup=False, style="dim")
    paths = surface_study.figures(result, report_dir)
    if paths:
        shown = [f"table: {paths['5a_csv']}"] + (
            [f"figure: {paths['5a']}"] if "5a" in paths else []
        )
        out.print("\n".join(shown))
    if json_file:
        payload = {"definition": result.definition, "rows": result.rows, "failed": result.failed}
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(payload, indent=1, default=str))
    if result.failed:
        raise typer.Exit(1)


register_study_command("surface-energy", "lithiophilic.studies.surface", surface_options)
