"""`lithiophilic submit` and `lithiophilic remote init`: Slurm and jobflow-remote."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lithiophilic.cli import common
from lithiophilic.cli.app import app, out
from lithiophilic.cli.common import (
    fail,
)
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


class SubmitExit(Exception):
    """The submitted command exited with a non-zero code (it printed why)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"exit {code}")
        self.code = code


def submit_flows_of(
    args: list[str],
    *,
    resources: Any,
    remote: str | None,
    worker: str | None,
    explicit: dict[str, Any],
    after: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Run the command ``args`` with its flows handed to Slurm or jobflow-remote.

    ``explicit`` holds the resources given on the command line (jobflow-remote overrides
    only those of its worker); ``after`` are Slurm job ids every job waits for. Returns
    the submission records; raises :class:`SubmitExit` if the command failed, and exits
    with code 2 for a Slurm or configuration error.
    """
    from lithiophilic.db import get_tracking_store, record_jobs
    from lithiophilic.hpc.slurm import SlurmError, submit_flows

    command = "lithiophilic " + " ".join(args)
    submitted: list[dict[str, Any]] = []

    def sink(flows: dict[str, Any], store: Any, data_dir: Path) -> dict[str, Any]:
        tracking = get_tracking_store(store)
        if remote:
            from lithiophilic.hpc.remote import submit_remote

            slurm_res = {k: v for k, v in explicit.items() if v is not None}
            recs = submit_remote(flows, project=remote, worker=worker, resources=slurm_res)
            now = time.strftime("%Y-%m-%dT%H:%M:%S")
            record_jobs(
                tracking,
                [
                    {
                        "uuid": r["flow_uuid"],
                        "name": f"flow {r['flow']}",
                        "flow": r["flow"],
                        "scheduler": f"jobflow-remote:{remote}",
                        "state": "SUBMITTED",
                        "submitted_at": now,
                        "command": command,
                    }
                    for r in recs
                ],
            )
            submitted.extend(recs)
        else:
            store_spec = {"data_dir": str(data_dir), "store": store_opt_of(args)}
            submitted.extend(
                submit_flows(
                    flows,
                    store_spec=store_spec,
                    tracking=tracking,
                    work_dir=data_dir / "slurm",
                    resources=resources,
                    command=command,
                    after=after,
                )
            )
        return {}

    common.flow_sink = sink
    quiet = out.quiet
    out.quiet = True
    try:
        code = app(args=args, standalone_mode=False)
    except (SlurmError, LithiophilicError) as exc:
        out.quiet = quiet
        fail(exc, 2)
    finally:
        common.flow_sink = None
        out.quiet = quiet
    if code:
        raise SubmitExit(int(code))
    return submitted


@app.command(
    "submit",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def submit(
    ctx: typer.Context,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="'slurm' (sbatch with dependencies).")
    ] = None,
    remote: Annotated[
        str | None, typer.Option("--remote", help="jobflow-remote project to submit to.")
    ] = None,
    worker: Annotated[
        str | None, typer.Option("--worker", help="jobflow-remote worker (default: first).")
    ] = None,
    partition: Annotated[str | None, typer.Option("--partition", help="Slurm partition.")] = None,
    time_limit: Annotated[
        str, typer.Option("--time", help="Wall-time limit per job (HH:MM:SS).")
    ] = "01:00:00",
    ntasks: Annotated[int, typer.Option("--ntasks", help="MPI tasks per job.")] = 1,
    cpus_per_task: Annotated[
        int, typer.Option("--cpus-per-task", help="Cores per task (OMP_NUM_THREADS).")
    ] = 1,
    account: Annotated[str | None, typer.Option("--account", help="Slurm account.")] = None,
    pre_run: Annotated[
        str, typer.Option("--pre-run", help="Shell lines run before each job (module load ...).")
    ] = "",
) -> None:
    """Submit the flows of another command to Slurm or jobflow-remote instead of running them.

    Give the options of submit first, then the command with its own options, e.g.
    `lithiophilic submit --scheduler slurm --partition debug surface-energy -m Cu --quick`
    or `lithiophilic submit --remote myproject binding -m Cu`. The command's --data-dir /
    --store choose the job store the jobs write to; `lithiophilic db status` shows their
    states. To rerun failed jobs, submit the same command again (stored calculations are
    reused).
    """
    from lithiophilic.hpc.slurm import SlurmResources, check_sbatch

    args = list(ctx.args)
    if (scheduler is None) == (remote is None):
        fail(
            ConfigurationError("submit: give exactly one of --scheduler slurm or --remote PROJECT"),
            2,
        )
    if scheduler is not None and scheduler != "slurm":
        fail(ConfigurationError(f"--scheduler: {scheduler!r} is not supported (allowed: slurm)"), 2)
    if not args or args[0] in ("submit", "db", "remote") or args[0].startswith("-"):
        fail(
            ConfigurationError(
                "submit: name the command whose flows to submit, e.g. surface-energy -m Cu"
            ),
            2,
        )
    try:
        resources = SlurmResources(
            partition=partition,
            time=time_limit,
            ntasks=ntasks,
            cpus_per_task=cpus_per_task,
            account=account,
            pre_run=pre_run,
        )
        if scheduler:
            check_sbatch()
    except LithiophilicError as exc:
        fail(exc, 2)
    # only what was given explicitly overrides a jobflow-remote worker's resources
    explicit = {
        "partition": partition,
        "time": time_limit if time_limit != "01:00:00" else None,
        "ntasks": ntasks if ntasks != 1 else None,
        "cpus_per_task": cpus_per_task if cpus_per_task != 1 else None,
        "account": account,
    }
    try:
        submitted = submit_flows_of(
            args, resources=resources, remote=remote, worker=worker, explicit=explicit
        )
    except SubmitExit as exc:
        raise typer.Exit(exc.code) from None
    table = Table("flow", "job", "id", title="Submitted")
    for r in submitted:
        if "slurm_job_id" in r:
            table.add_row(r["flow"], escape(r["name"]), r["slurm_job_id"])
        else:
            table.add_row(r["flow"], r["flow_uuid"], f"{len(r['db_ids'])} jobs")
    out.print(table)
    out.print("track with: lithiophilic db status" + (f" --remote {remote}" if remote else ""))


def store_opt_of(args: list[str]) -> str | None:
    """Return the --store value among a command's arguments (None: the default store)."""
    for i, a in enumerate(args):
        if a == "--store" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--store="):
            return a.split("=", 1)[1]
    return None


remote_app = typer.Typer(help="jobflow-remote projects.", no_args_is_help=True)


app.add_typer(remote_app, name="remote")


@remote_app.command("init")
def remote_init(
    name: Annotated[str, typer.Argument(help="Project name (file NAME.yaml).")],
    mongo_host: Annotated[str, typer.Option("--mongo-host", help="MongoDB host.")] = "127.0.0.1",
    mongo_port: Annotated[int, typer.Option("--mongo-port", help="MongoDB port.")] = 27017,
    database: Annotated[str, typer.Option("--database", help="Database name.")] = "lithiophilic",
    username: Annotated[
        str | None, typer.Option("--username", help="MongoDB user (password from --password-env).")
    ] = None,
    password_env: Annotated[
        str,
        typer.Option("--password-env", help="Environment variable holding the MongoDB password."),
    ] = "LITHIOPHILIC_MONGO_PASSWORD",
    worker: Annotated[str, typer.Option("--worker", help="'local' or 'remote' (SSH).")] = "local",
    scheduler: Annotated[str, typer.Option("--scheduler", help="'slurm' or 'shell'.")] = "slurm",
    ssh_host: Annotated[str | None, typer.Option("--ssh-host", help="Remote worker host.")] = None,
    ssh_user: Annotated[str | None, typer.Option("--ssh-user", help="Remote worker user.")] = None,
    work_dir: Annotated[
        str | None, typer.Option("--work-dir", help="Where jobs run (default ~/jfr-NAME).")
    ] = None,
    partition: Annotated[str | None, typer.Option("--partition", help="Slurm partition.")] = None,
    time_limit: Annotated[str, typer.Option("--time", help="Slurm time per job.")] = "01:00:00",
    ntasks: Annotated[int, typer.Option("--ntasks", help="Tasks per job.")] = 1,
    pre_run: Annotated[
        str | None,
        typer.Option(
            "--pre-run", help="Shell lines before each job (default: activate this venv)."
        ),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder", help="Projects folder (default $JFREMOTE_PROJECTS_FOLDER or ~/.jfremote)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a jobflow-remote project: Slurm/shell worker, MongoDB queue + job store, GridFS data."""
    from lithiophilic.hpc.remote import project_dict, write_project
    from lithiophilic.hpc.slurm import SlurmResources

    password = os.environ.get(password_env) or None
    try:
        SlurmResources(partition=partition, time=time_limit, ntasks=ntasks)
        resources: dict[str, Any] = {"time": time_limit, "ntasks": ntasks}
        if partition:
            resources["partition"] = partition
        venv = Path(sys.executable).parent / "activate"
        project = project_dict(
            name,
            mongo_host=mongo_host,
            mongo_port=mongo_port,
            database=database,
            username=username,
            password=password,
            worker=worker,  # type: ignore[arg-type]
            scheduler=scheduler,  # type: ignore[arg-type]
            work_dir=work_dir or str(Path.home() / f"jfr-{name}"),
            resources=resources,
            pre_run=pre_run if pre_run is not None else (f"source {venv}" if venv.exists() else ""),
            ssh_host=ssh_host,
            ssh_user=ssh_user,
        )
        path = write_project(project, folder=folder, force=force)
    except LithiophilicError as exc:
        fail(exc, 2)
    out.print(f"wrote {path} (mode 600)")
    if password:
        out.print(
            f"the password from ${password_env} is stored only in {path} (readable by you alone); "
            "it is not printed or logged"
        )
    out.print(f"next: jf -p {name} project check --errors; jf -p {name} runner start")
