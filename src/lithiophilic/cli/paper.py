"""`lithiophilic paper`: the whole Fig. 5 campaign and its report (:mod:`lithiophilic.studies.paper`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.cli.app import DataDirOpt, QuietOpt, StoreOpt, app, console, out
from lithiophilic.cli.common import fail, open_store, options_or_exit
from lithiophilic.errors import ConfigurationError, LithiophilicError

if TYPE_CHECKING:
    from lithiophilic.hpc.submit import SubmitTarget
    from lithiophilic.studies.paper import (
        PaperOptions,
        PaperReport,
        PaperSubmission,
        StageRun,
    )

logger = logging.getLogger("lithiophilic")

#: Default wall-time limit per job of ``paper --submit`` (a jobflow-remote worker keeps its own
#: unless --time is given).
PAPER_SUBMIT_TIME = "04:00:00"


def paper_options(
    quick: bool = False,
    calculator: str = "sevenn",
    dft: str = "gpaw",
    md_potential: str = defaults.MD_POTENTIAL,
    md_teacher: str | None = None,
    stage: list[str] | None = None,
    nprocs: int | None = None,
    out_dir: Path = Path("lithiophilic-report"),
    material: list[str] | None = None,
    stage_processes: bool = False,
    workers: int | None = None,
) -> PaperOptions:
    """Return the campaign's :class:`~lithiophilic.studies.paper.PaperOptions` (no I/O).

    Also builds every stage's study Options, so a setting a study refuses is reported here.
    """
    from lithiophilic.studies.paper import DEFAULT_STAGES, PaperOptions, stage_options

    options = PaperOptions(
        preset="quick" if quick else "full",
        calculator=calculator,
        dft=dft,
        md_potential=md_potential,
        md_teacher=md_teacher,
        stages=stage or list(DEFAULT_STAGES),
        nprocs=nprocs,
        out_dir=out_dir,
        materials=material or [],
        stage_processes=stage_processes,
        workers=workers,
    )
    stage_options(options)
    return options


def _target(submit_to: str, resources: dict[str, Any]) -> SubmitTarget:
    """Return the Slurm resources or the jobflow-remote project of ``--submit``."""
    from lithiophilic.hpc.slurm import SlurmResources, check_sbatch
    from lithiophilic.hpc.submit import RemoteProject

    if submit_to == "slurm":
        target = SlurmResources(**resources)
        check_sbatch()
        return target
    if submit_to.startswith("remote:"):
        explicit = {
            "partition": resources["partition"],
            "time": resources["time"] if resources["time"] != PAPER_SUBMIT_TIME else None,
            "ntasks": resources["ntasks"] if resources["ntasks"] != 1 else None,
            "account": resources["account"],
        }
        SlurmResources(**resources)  # the same checks of --time, --ntasks, --partition
        return RemoteProject(submit_to.removeprefix("remote:"), None, explicit)
    msg = f"--submit: {submit_to!r} is not allowed; use 'slurm' or 'remote:PROJECT'"
    raise ConfigurationError(msg)


def _show_stage(res: StageRun) -> None:
    style = "green" if res.ok else "red"
    console.print(
        f"[{style}]{res.name}[/] ({', '.join(res.panels)}): {escape(res.status)}, "
        f"{res.wall_s:.0f} s, {res.peak_rss_mib:.0f} MiB — log {escape(res.log)}"
    )


def _render_report(report: PaperReport) -> None:
    table = Table(title="Fig. 5: the paper's claims and ours")
    for col in ("panel", "claim", "verdict"):
        table.add_column(col)
    for c in report.claims:
        table.add_row(c.panel, escape(c.claim), c.verdict)
    out.print(table)
    paths = report.paths
    console.print(f"report: {paths['html'].resolve()}\n        {paths['markdown'].resolve()}")


def _render_submission(sub: PaperSubmission, remote: str | None, data_dir: Path | None) -> None:
    from lithiophilic.studies import panels_of
    from lithiophilic.studies.paper import STAGE_STUDIES

    table = Table("stage", "panels", "jobs", "Slurm ids / flows", title="Submitted")
    for stage, recs in sub.stages.items():
        panels = [p for s in STAGE_STUDIES[stage] for p in panels_of(s)]
        shown = [r["slurm_job_id"] for r in recs if "slurm_job_id" in r] or [
            r.get("flow_uuid", "") for r in recs
        ]
        table.add_row(stage, ", ".join(panels), str(len(recs)), " ".join(shown))
    if sub.report_job is not None:
        table.add_row("report", "all", "1", sub.report_job["slurm_job_id"])
    out.print(table)
    report_cmd = f"python -m lithiophilic.studies.paper {sub.options_file}"
    report_cmd += f" --data-dir {data_dir}" if data_dir is not None else ""
    html = sub.options_file.parent.parent / "report.html"
    if remote is None:
        out.print(
            f"the report job runs after every stage job: {report_cmd}\n"
            f"report: {html} when it has finished; track with: lithiophilic db status"
        )
    else:
        out.print(
            f"track with: lithiophilic db status --remote {remote}; when every flow has "
            f"completed, run here (every calculation is reused): {report_cmd} "
            "(or the same paper command without --submit)"
        )


def _submit(
    options: PaperOptions,
    submit_to: str,
    resources: dict[str, Any],
    data_dir: Path | None,
    store_opt: str | None,
) -> None:
    from lithiophilic.db import get_data_dir
    from lithiophilic.studies.paper import PaperSubmissionError, submit

    try:
        target = _target(submit_to, resources)
    except LithiophilicError as exc:
        fail(exc, 2)
    ddir = get_data_dir(data_dir).resolve()
    try:
        sub = submit(options, target=target, data_dir=ddir, store=store_opt)
    except PaperSubmissionError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        if exc.remote_flows:
            console.print(
                "jobflow-remote flows already submitted (delete them with jf flow delete if "
                f"unwanted): {' '.join(exc.remote_flows)}"
            )
        raise typer.Exit(2) from None
    except (LithiophilicError, ValueError) as exc:
        fail(exc, 2)
    remote = submit_to.removeprefix("remote:") if submit_to.startswith("remote:") else None
    _render_submission(sub, remote, ddir)


@app.command("paper")
def paper(
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Small cells, few samples, short MD: every stage in minutes."),
    ] = False,
    calculator: Annotated[
        str, typer.Option(help="Calculator for surface energies and Li binding.")
    ] = "sevenn",
    dft: Annotated[str, typer.Option("--dft", help="DFT calculator for the PDOS (5b).")] = "gpaw",
    md_potential: Annotated[
        str, typer.Option("--md-potential", help="LAMMPS potential for the aggregation MD.")
    ] = defaults.MD_POTENTIAL,
    md_teacher: Annotated[
        str | None,
        typer.Option(
            "--md-teacher",
            help="Check the MD potential against this teacher (e.g. 'sevenn'; ~8 CPU-h, "
            "restartable); the 5f/g verdict stands only if they match.",
        ),
    ] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help="Run only these stages (surface, pdos, binding, verify, md); default all but "
            "verify (GPAW on the MLIP geometries, opt-in).",
        ),
    ] = None,
    nprocs: Annotated[
        int | None,
        typer.Option(
            "--nprocs", help="MPI ranks of the DFT runs (default $SLURM_NTASKS, else all cores)."
        ),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Report directory.")] = Path(
        "lithiophilic-report"
    ),
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material",
            "-m",
            help="Material (repeatable); default Cu, Cu5Zn8, Cu0.64Zn0.36 (MD: Cu, Cu0.64Zn0.36).",
        ),
    ] = None,
    submit_to: Annotated[
        str | None,
        typer.Option(
            "--submit",
            help="Submit instead of running here: 'slurm' (each stage's jobs with dependencies, "
            "then a report job) or 'remote:PROJECT' (jobflow-remote).",
        ),
    ] = None,
    partition: Annotated[
        str | None, typer.Option("--partition", help="With --submit slurm: partition.")
    ] = None,
    time_limit: Annotated[
        str, typer.Option("--time", help="With --submit: wall-time limit per job.")
    ] = PAPER_SUBMIT_TIME,
    ntasks: Annotated[
        int, typer.Option("--ntasks", help="With --submit: MPI tasks per job (GPAW ranks).")
    ] = 1,
    account: Annotated[
        str | None, typer.Option("--account", help="With --submit slurm: account.")
    ] = None,
    pre_run: Annotated[
        str, typer.Option("--pre-run", help="With --submit slurm: shell lines run before each job.")
    ] = "",
    stage_processes: Annotated[
        bool,
        typer.Option(
            "--stage-processes",
            help="Run each stage in its own process (isolation; ~20 s more per stage); "
            "default: one process, the model loaded once.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Worker processes of the MLIP stages (surface, binding): their jobs, the "
            "per-site relaxations too, side by side, one thread each; 1: one after another. "
            "Default: one per usable core (a store in memory: 1). At most the number of "
            "cores; the DFT stages, and MD replicas on several MPI ranks (full), run one job "
            "at a time; one-rank MD replicas (quick, the teacher check) run side by side.",
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """All of Fig. 5 for Cu, Cu5Zn8 and Cu0.64Zn0.36, tracked and reused; a report with verdicts.

    Each stage (surface, pdos, binding, verify, md) runs in turn against one database, in this
    process (--stage-processes: each in its own; verify: GPAW on the MLIP geometries of the
    surface and binding stages, read from it);
    a failed stage is reported, the others still run, and the command exits 1.
    With --submit slurm every stage's jobs go to Slurm (the binding stage after the surface
    stage, whose relaxed slabs it reuses), followed by a report job that runs the campaign
    again from its saved options: every calculation is then reused from the database, so it
    only writes the figures, numbers and report. If a job fails, the report job is cancelled;
    `lithiophilic db status` names the reason, and submitting again reuses finished work.
    """
    from lithiophilic.db import get_data_dir
    from lithiophilic.studies.paper import run

    if submit_to is not None and submit_to != "slurm" and not submit_to.startswith("remote:"):
        msg = f"--submit: {submit_to!r} is not allowed; use 'slurm' or 'remote:PROJECT'"
        fail(ConfigurationError(msg), 2)
    if submit_to is not None and nprocs is None:
        nprocs = ntasks  # the DFT ranks are the job's tasks, not this machine's cores
    options = options_or_exit(
        paper_options,
        quick=quick,
        calculator=calculator,
        dft=dft,
        md_potential=md_potential,
        md_teacher=md_teacher,
        stage=stage,
        nprocs=nprocs,
        out_dir=out_dir,
        material=material,
        stage_processes=stage_processes,
        workers=workers,
    )
    if submit_to is not None:
        resources = {
            "partition": partition,
            "time": time_limit,
            "ntasks": ntasks,
            "account": account,
            "pre_run": pre_run,
        }
        _submit(options, submit_to, resources, data_dir, store_opt)
        return
    open_store(data_dir, store_opt)  # an unreachable store exits 2 before any stage runs
    ddir = get_data_dir(data_dir).resolve()
    if quiet or not console.is_terminal:
        report = run(options, store=store_opt, data_dir=ddir, on_stage=_show_stage)
    else:
        with console.status("running the campaign (each stage's log is in OUT/logs) …"):
            report = run(options, store=store_opt, data_dir=ddir, on_stage=_show_stage)
    _render_report(report)
    if report.failed:
        raise typer.Exit(1)
