"""`lithiophilic md-aggregation` and `lithiophilic aggregation analyze`: Fig. 5f/5g."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.cli.app import DataDirOpt, QuietOpt, StoreOpt, app, console, out
from lithiophilic.cli.common import (
    WorkersOpt,
    fail,
    parse_lateral,
    register_study_command,
    run_command,
)
from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from lithiophilic.studies import aggregation

logger = logging.getLogger("lithiophilic")

aggregation_app = typer.Typer(help="Analyse Li-aggregation trajectories.", no_args_is_help=True)
app.add_typer(aggregation_app, name="aggregation")


def md_options(
    material: list[str] | None = None,
    n_li: int | None = None,
    coverage: float = defaults.MD_COVERAGE,
    time_ps: float = defaults.MD_TIME_PS,
    replicas: int = defaults.MD_REPLICAS,
    temperature_k: float = defaults.MD_TEMPERATURE_K,
    timestep_fs: float = defaults.MD_TIMESTEP_FS,
    dump_every: int = defaults.MD_DUMP_EVERY,
    thermostat: str = "langevin",
    potential: str = defaults.MD_POTENTIAL,
    lateral: str | None = None,
    seed: int = 1,
    cutoff: float | None = None,
    n_mpi: int = 1,
    engine: str = "lammps",
    ase_calculator: str = "sevenn",
    teacher: str | None = None,
    quick: bool = False,
) -> aggregation.Options:
    """Map the ``md-aggregation`` parameters to the study's Options (no I/O).

    Raises
    ------
    ConfigurationError
        For a bad ``lateral`` or any setting the Options refuse (naming the field).
    """
    from lithiophilic.studies import aggregation

    settings: dict[str, Any] = {
        "n_li": n_li,
        "coverage": coverage,
        "time_ps": time_ps,
        "replicas": replicas,
        "temperature_k": temperature_k,
        "timestep_fs": timestep_fs,
        "dump_every": dump_every,
        "thermostat": thermostat,
        "potential": potential,
        "seed": seed,
        "cutoff_a": cutoff,
        "n_mpi": n_mpi,
        "engine": engine,
        "ase_calculator": ase_calculator,
    }
    if teacher:
        from lithiophilic.studies.aggregation_teacher import TeacherCheck

        settings["teacher"] = TeacherCheck(calculator=teacher)
    if material:
        settings["materials"] = list(material)
    if lateral:
        settings["lateral_size"] = parse_lateral(lateral)
    if quick:
        return aggregation.Options.quick(**settings)
    return aggregation.Options(**settings)


@app.command("md-aggregation")
def md_aggregation(
    ctx: typer.Context,
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material",
            "-m",
            help="Material (repeatable); default the paper's "
            f"{' and '.join(defaults.PAPER_MD_MATERIALS)}.",
        ),
    ] = None,
    n_li: Annotated[
        int | None, typer.Option("--n-li", help="Li atoms (default: --coverage).")
    ] = None,
    coverage: Annotated[
        float, typer.Option(help="Li per top-plane substrate atom (used without --n-li).")
    ] = defaults.MD_COVERAGE,
    time_ps: Annotated[
        float, typer.Option("--time-ps", help="MD length, ps.")
    ] = defaults.MD_TIME_PS,
    replicas: Annotated[int, typer.Option(help="Independent replicas.")] = defaults.MD_REPLICAS,
    temperature_k: Annotated[
        float, typer.Option("--temperature-k", help="NVT temperature, K.")
    ] = defaults.MD_TEMPERATURE_K,
    timestep_fs: Annotated[
        float, typer.Option("--timestep-fs", help="Time step, fs (≤ 5).")
    ] = defaults.MD_TIMESTEP_FS,
    dump_every: Annotated[
        int, typer.Option("--dump-every", help="Steps between trajectory frames.")
    ] = defaults.MD_DUMP_EVERY,
    thermostat: Annotated[str, typer.Option(help="'langevin' or 'nose-hoover'.")] = "langevin",
    potential: Annotated[
        str, typer.Option(help="Registered LAMMPS potential.")
    ] = defaults.MD_POTENTIAL,
    lateral: Annotated[
        str | None,
        typer.Option(help="Surface cells of the slab, e.g. 15x15 (alloys: multiple of 5)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Base seed (replica r uses seed + r).")] = 1,
    cutoff: Annotated[
        float | None,
        typer.Option("--cutoff", help="Li-Li cluster cutoff, Å (default: RDF minimum)."),
    ] = None,
    n_mpi: Annotated[int, typer.Option("--n-mpi", help="MPI ranks per MD (mpirun).")] = 1,
    engine: Annotated[
        str,
        typer.Option(
            help="'lammps' (the --potential) or 'ase' (--ase-calculator, restartable chunks)."
        ),
    ] = "lammps",
    ase_calculator: Annotated[
        str,
        typer.Option(
            "--ase-calculator",
            help="With --engine ase: 'sevenn' (the teacher), another registry calculator, "
            "or 'lammps:<potential>'.",
        ),
    ] = "sevenn",
    teacher: Annotated[
        str | None,
        typer.Option(
            "--teacher",
            help="Also run this teacher (e.g. 'sevenn') and the potential in the ASE engine on a "
            "5x5x6 slab, 3 replicas x 5 ps at 2 fs per surface, and compare (~8 CPU-h with SevenNet-0, "
            "one replica per worker; restartable).",
        ),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="10x10x3 slab, at most 5 ps and 3 replicas: a smoke run, not science.",
        ),
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for Fig. 5f/5g (default DATA_DIR/reports)."),
    ] = None,
    workers: WorkersOpt = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Li aggregation MD on (111) slabs (Fig. 5f, 5g): cluster metrics, aggregation rate with CI."""
    _, result = run_command(ctx)
    _render(result, out_dir=out_dir, data_dir=data_dir, json_file=json_file)


register_study_command("md-aggregation", "lithiophilic.studies.aggregation", md_options)


def _fmt(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


def _render(
    result: aggregation.Result,
    *,
    out_dir: Path | None,
    data_dir: Path | None,
    json_file: Path | None,
) -> None:
    """Print the rate table, warnings, comparisons and figures; write JSON; exit 1 on failure."""
    from lithiophilic.db import get_data_dir
    from lithiophilic.studies import aggregation

    table = Table(
        title="Li aggregation on (111): rate k (1/ps), mean [95% t-interval] over replicas"
    )
    for col in (
        "material",
        "ok/replicas",
        "k (1/ps)",
        "95% CI",
        "d<size>/dt (1/ps)",
        "cutoff (Å)",
        "potential",
    ):
        table.add_column(col)
    for row in aggregation.table_rows(result):
        ci = (
            f"[{row['k_ci_low_per_ps']:.4f}, {row['k_ci_high_per_ps']:.4f}]"
            if row["k_ci_low_per_ps"] is not None
            else "-"
        )
        table.add_row(
            escape(row["material"]),
            f"{row['n_completed']}/{row['n_replicas']}",
            _fmt(row["k_per_ps"]),
            ci,
            _fmt(row["cluster_growth_per_ps"]),
            _fmt(row["cutoff_a"], ".2f"),
            escape(row["potential"])
            + ("" if row["validated_for_science"] else " [red](not validated)[/]"),
        )
    out.print(table)
    out.print(result.definition, markup=False, style="dim")
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    for label in result.missing:
        if label not in result.failed:
            console.print(f"[yellow]missing:[/] no aggregation result for {escape(label)}")
    for cmp in result.comparisons:
        out.print(cmp["statement"], markup=False)
    report_dir = out_dir or get_data_dir(data_dir) / "reports"
    for path in aggregation.figures(result, report_dir).values():
        out.print(f"figure: {path}")
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(aggregation.payload(result), indent=1, default=str))
    if result.failed:
        raise typer.Exit(1)


@aggregation_app.command("analyze")
def aggregation_analyze(
    trajectory: Annotated[
        Path,
        typer.Argument(
            help="LAMMPS dump (.lammpstrj[.gz], needs an element column or --type-map), extxyz or ASE .traj."
        ),
    ],
    cutoff: Annotated[
        float | None, typer.Option("--cutoff", help="Li-Li cutoff, Å (default: RDF first minimum).")
    ] = None,
    timestep_fs: Annotated[
        float | None,
        typer.Option("--timestep-fs", help="MD time step, fs (LAMMPS dumps: gives times)."),
    ] = None,
    type_map: Annotated[
        str | None, typer.Option("--type-map", help="LAMMPS types, e.g. 1=Li,2=Cu,3=Zn.")
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write per-frame metrics as JSON.")
    ] = None,
) -> None:
    """Per-frame Li-Li clusters of a trajectory (streamed) and its aggregation rate."""
    from lithiophilic.analysis.aggregation import (
        RATE_DEFINITION,
        analyze_trajectory_rate,
        parse_type_map,
    )
    from lithiophilic.errors import AnalysisError

    try:
        res = analyze_trajectory_rate(
            trajectory,
            cutoff_a=cutoff,
            type_map=parse_type_map(type_map) if type_map else None,
            timestep_fs=timestep_fs,
        )
    except (AnalysisError, ConfigurationError) as exc:
        fail(exc, 2)
    rows = res["frames"]
    table = Table(
        title=f"{trajectory.name}: {res['n_li']} Li, cutoff {res['cutoff_a']:.2f} Å ({res['cutoff_source']})"
    )
    for col in ("frame", "time (ps)", "clusters", "largest", "mean size", "isolated", "coord."):
        table.add_column(col)
    stride = max(1, len(rows) // 20)
    for f in rows[::stride]:
        table.add_row(
            str(f["frame"]),
            "-" if f["time_ps"] is None else f"{f['time_ps']:.2f}",
            str(f["n_clusters"]),
            str(f["largest_cluster"]),
            f"{f['mean_cluster_size']:.2f}",
            f"{f['isolated_fraction']:.3f}",
            f"{f['mean_coordination']:.2f}",
        )
    out.print(table)
    if "rate" in res:
        out.print(
            f"k = {res['rate']['k_per_ps']:.4g} 1/ps (R2 {res['rate']['r2']:.3f}, one trajectory: no CI)"
        )
    out.print(RATE_DEFINITION, markup=False, style="dim")
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(res, indent=1, default=str))
        console.print(f"wrote {json_file}")
