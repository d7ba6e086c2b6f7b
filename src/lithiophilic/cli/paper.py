"""`lithiophilic paper`: the whole Fig. 5 campaign and its report."""

from __future__ import annotations

import json
import logging
import os
import shlex
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.cli.app import DataDirOpt, StoreOpt, app, console, out
from lithiophilic.cli.common import (
    fail,
)
from lithiophilic.cli.submit import SubmitExit, submit_flows_of
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


# --- issue 8: the paper campaign ---
#: Default wall-time limit per job of ``paper --submit`` (a jobflow-remote worker keeps its own
#: unless --time is given).
PAPER_SUBMIT_TIME = "04:00:00"


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
    stage: Annotated[
        list[str] | None,
        typer.Option("--stage", help="Run only these stages (surface, pdos, binding, md)."),
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
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """All of Fig. 5 for Cu, Cu5Zn8 and Cu0.64Zn0.36, tracked and reused; a report with verdicts.

    With --submit slurm every stage's jobs go to Slurm (the binding stage after the surface
    stage, whose relaxed slabs it reuses), followed by a report job that runs this command
    again without --submit: every calculation is then reused from the database, so it only
    writes the figures, numbers and report. If a job fails, the report job is cancelled;
    `lithiophilic db status` names the reason, and submitting again reuses finished work.
    """
    from lithiophilic.db import describe_store, get_data_dir, get_store
    from lithiophilic.potentials import CalculatorSpec, calculator_provenance
    from lithiophilic.workflows.paper import PAPER_STAGES, PaperCampaign, build_report

    if submit_to is not None and submit_to != "slurm" and not submit_to.startswith("remote:"):
        fail(
            ConfigurationError(
                f"--submit: {submit_to!r} is not allowed; use 'slurm' or 'remote:PROJECT'"
            ),
            2,
        )
    if submit_to is not None and nprocs is None:
        nprocs = ntasks  # the DFT ranks are the job's tasks, not this machine's cores
    try:
        campaign = PaperCampaign(
            out_dir=out_dir,
            quick=quick,
            calculator=calculator,
            dft=dft,
            md_potential=md_potential,
            nprocs=nprocs,
            data_dir=get_data_dir(data_dir),
            store=store_opt,
            stages=stage or list(PAPER_STAGES),
            materials=material or (),
        )
        specs = {"energies": CalculatorSpec(calculator)}
        if "pdos" in campaign.stages:
            specs["PDOS"] = CalculatorSpec(dft)
    except (LithiophilicError, ValueError) as exc:
        fail(exc, 2)
    ddir = get_data_dir(data_dir)
    if submit_to is not None:
        report_argv = [
            "paper",
            *(["--quick"] if quick else []),
            *("--calculator", calculator, "--dft", dft, "--md-potential", md_potential),
            *("--nprocs", str(campaign.dft_nprocs), "--out", str(out_dir.resolve())),
            *[a for st in campaign.stages for a in ("--stage", st)],
            *[a for m in campaign.materials for a in ("--material", m)],
            *("--data-dir", str(ddir.resolve())),
            *(["--store", store_opt] if store_opt else []),
        ]
        _submit_paper(
            campaign,
            report_argv,
            submit_to=submit_to,
            resources={
                "partition": partition,
                "time": time_limit,
                "ntasks": ntasks,
                "account": account,
                "pre_run": pre_run,
            },
            data_dir=ddir,
            store_opt=store_opt,
        )
        return
    store = get_store(data_dir=ddir, store=store_opt)
    settings: dict[str, Any] = {
        "job database": describe_store(store),
        **{k: json.dumps(calculator_provenance(v), default=str) for k, v in specs.items()},
        **({"MD potential": md_potential} if "md" in campaign.stages else {}),
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }

    def show(res: Any) -> None:
        style = "green" if res.status == "ok" else "red"
        console.print(
            f"[{style}]{res.name}[/] ({', '.join(res.panels)}): {escape(res.status)}, "
            f"{res.wall_s:.0f} s, {res.peak_rss_mib:.0f} MiB — log {escape(res.log)}"
        )

    t0 = time.perf_counter()
    results = campaign.run(on_stage=show)
    settings["total wall time (s)"] = round(time.perf_counter() - t0, 1)
    paths = build_report(campaign, results, settings)
    claims = json.loads(paths["claims"].read_text())["claims"]
    table = Table(title="Fig. 5: the paper's claims and ours")
    for col in ("panel", "claim", "verdict"):
        table.add_column(col)
    for c in claims:
        table.add_row(c["panel"], c["claim"], c["verdict"])
    out.print(table)
    console.print(f"report: {paths['html'].resolve()}\n        {paths['markdown'].resolve()}")
    if any(r.returncode != 0 for r in results):
        raise typer.Exit(1)


def _cancel_submitted(
    records: list[dict[str, Any]], reason: str, data_dir: Path, store_opt: str | None
) -> None:
    """Cancel the Slurm jobs of ``records`` and mark them ``CANCELLED`` with ``reason``.

    jobflow-remote flows cannot be withdrawn from here; they are named instead.
    """
    from lithiophilic.db import get_store, get_tracking_store, set_job_state
    from lithiophilic.hpc.slurm import cancel_jobs

    slurm = [r for r in records if "slurm_job_id" in r]
    if slurm:
        cancel_jobs([r["slurm_job_id"] for r in slurm])
        tracking = get_tracking_store(get_store(data_dir=data_dir, store=store_opt))
        for r in slurm:
            now = tracking.query_one({"uuid": r["uuid"]}) or {}
            if now.get("state") != "COMPLETED":  # a finished job's results stay valid
                set_job_state(tracking, r["uuid"], "CANCELLED", reason)
        console.print(f"cancelled the {len(slurm)} Slurm job(s) already submitted")
    flows = [r["flow_uuid"] for r in records if "flow_uuid" in r]
    if flows:
        console.print(
            "jobflow-remote flows already submitted (delete them with jf flow delete if "
            f"unwanted): {' '.join(flows)}"
        )


def _submit_paper(
    campaign: Any,
    report_argv: list[str],
    *,
    submit_to: str,
    resources: dict[str, Any],
    data_dir: Path,
    store_opt: str | None,
) -> None:
    """Submit every stage of ``campaign`` (and, on Slurm, the report job); print the jobs."""
    from lithiophilic.db import get_store, get_tracking_store
    from lithiophilic.hpc.slurm import SlurmError, SlurmResources, check_sbatch, submit_command

    remote = submit_to.removeprefix("remote:") if submit_to.startswith("remote:") else None
    try:
        res = SlurmResources(**resources)
        if remote is None:
            check_sbatch()
    except LithiophilicError as exc:
        fail(exc, 2)
    explicit = {
        "partition": res.partition,
        "time": res.time if res.time != PAPER_SUBMIT_TIME else None,
        "ntasks": res.ntasks if res.ntasks != 1 else None,
        "account": res.account,
    }
    table = Table("stage", "panels", "jobs", "Slurm ids / flows", title="Submitted")
    ids: dict[str, list[str]] = {}
    submitted: list[dict[str, Any]] = []
    for st in campaign.stage_list():
        # binding reuses the relaxed bulk and clean slabs of the surface stage: wait for them
        after = ids.get("surface", []) if st.name == "binding" else []
        try:
            recs = submit_flows_of(
                st.args, resources=res, remote=remote, worker=None, explicit=explicit, after=after
            )
        except (SubmitExit, typer.Exit) as exc:
            code = int(getattr(exc, "code", None) or getattr(exc, "exit_code", None) or 2)
            why = f"paper submission aborted: stage {st.name} could not be submitted"
            console.print(f"[red]{why} (exit {code})[/]")
            _cancel_submitted(submitted, why, data_dir, store_opt)
            raise typer.Exit(code) from None
        submitted += recs
        ids[st.name] = [r["slurm_job_id"] for r in recs if "slurm_job_id" in r]
        shown = ids[st.name] or [r.get("flow_uuid", "") for r in recs]
        table.add_row(st.name, ", ".join(st.panels), str(len(recs)), " ".join(shown))
    report_cmd = shlex.join(["lithiophilic", *report_argv])
    if remote is None:
        tracking = get_tracking_store(get_store(data_dir=data_dir, store=store_opt))
        try:
            rec = submit_command(
                report_argv,
                name="paper-report",
                store_spec={"data_dir": str(data_dir.resolve()), "store": store_opt},
                tracking=tracking,
                work_dir=data_dir / "slurm",
                resources=res,
                after=[i for v in ids.values() for i in v],
            )
        except SlurmError as exc:
            _cancel_submitted(submitted, f"paper submission aborted: {exc}", data_dir, store_opt)
            fail(exc, 2)
        table.add_row("report", "all", "1", rec["slurm_job_id"])
    out.print(table)
    if remote is None:
        out.print(
            f"the report job runs after every stage job: {report_cmd}\n"
            f"report: {campaign.out_dir.resolve() / 'report.html'} when it has finished; "
            "track with: lithiophilic db status"
        )
    else:
        out.print(
            f"track with: lithiophilic db status --remote {remote}; when every flow has "
            f"completed, run here (every calculation is reused): {report_cmd}"
        )
