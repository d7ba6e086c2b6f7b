"""`lithiophilic submit` and `lithiophilic remote init`: Slurm and jobflow-remote.

``submit COMMAND ARGS`` parses ARGS with COMMAND's own parser, builds the study's Options
with the command's registered mapping (:data:`lithiophilic.cli.common.STUDY_COMMANDS`) and
hands ``study.build_flows(options)`` to :func:`lithiophilic.hpc.submit.submit_flows_to`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lithiophilic.cli.app import app, out
from lithiophilic.cli.common import STUDY_COMMANDS, StudyCommand, fail, options_or_exit
from lithiophilic.errors import ConfigurationError, LithiophilicError

if TYPE_CHECKING:
    from lithiophilic.hpc.submit import SubmitTarget

logger = logging.getLogger("lithiophilic")


def _target_or_exit(
    scheduler: str | None,
    remote: str | None,
    worker: str | None,
    resources: dict[str, Any],
) -> SubmitTarget:
    """Return where to submit (Slurm resources or a jobflow-remote project); exit 2 if unclear."""
    from lithiophilic.hpc.slurm import SlurmResources, check_sbatch
    from lithiophilic.hpc.submit import RemoteProject

    if (scheduler is None) == (remote is None):
        fail(
            ConfigurationError("submit: give exactly one of --scheduler slurm or --remote PROJECT"),
            2,
        )
    if scheduler is not None and scheduler != "slurm":
        fail(ConfigurationError(f"--scheduler: {scheduler!r} is not supported (allowed: slurm)"), 2)
    try:
        slurm = SlurmResources(**resources)
        if remote is None:
            check_sbatch()
            return slurm
        packing = [o for o, k in (("--pack", "pack"), ("--max-jobs", "max_jobs")) if resources[k]]
        if packing:
            msg = (
                f"{'/'.join(packing)}: only with --scheduler slurm; a jobflow-remote project packs "
                "jobs with its worker's 'batch' settings and caps the queue with its 'max_jobs'"
            )
            raise ConfigurationError(msg)
        # only what was given explicitly overrides a jobflow-remote worker's resources
        skip = ("pre_run", "pack", "max_jobs")
        explicit = {k: v for k, v in resources.items() if k not in skip and v != _DEFAULTS.get(k)}
        return RemoteProject(remote, worker=worker, resources=explicit)
    except LithiophilicError as exc:
        fail(exc, 2)


#: Defaults of the resource options (a value equal to its default was not chosen explicitly).
_DEFAULTS: dict[str, Any] = {"time": "01:00:00", "ntasks": 1, "cpus_per_task": 1}


def _study_command_or_exit(args: list[str]) -> StudyCommand:
    """Return the study command named by ``args[0]``; exit 2 naming the allowed ones."""
    allowed = ", ".join(sorted(STUDY_COMMANDS))
    if not args or args[0].startswith("-"):
        fail(
            ConfigurationError(
                "submit: name the command whose flows to submit, e.g. surface-energy -m Cu "
                f"(one of: {allowed})"
            ),
            2,
        )
    if args[0] not in STUDY_COMMANDS:
        fail(
            ConfigurationError(
                f"submit: {args[0]!r} is not a command with flows to submit; allowed: {allowed}"
            ),
            2,
        )
    return STUDY_COMMANDS[args[0]]


def parse_command_args(name: str, args: list[str]) -> dict[str, Any]:
    """Parse ``args`` with the parser of command ``name``; return its parameters by name.

    Values are those the command itself receives (repeatable options as lists, or None when
    not given). Bad arguments print click's message and exit 2; ``--help`` prints the
    command's help and exits 0.
    """
    group = typer.main.get_command(app)
    command = group.commands[name]  # type: ignore[attr-defined]
    parent = typer.Context(group, info_name="lithiophilic")
    try:  # --help raises typer.Exit(0) after printing the help
        ctx = command.make_context(name, list(args), parent=parent)
    except typer.TyperException as exc:  # click's usage errors (Typer's bundled click)
        exc.show()  # type: ignore[attr-defined]
        raise typer.Exit(exc.exit_code) from None  # type: ignore[attr-defined]
    return {
        param.name: _as_typer_passes(param, ctx.params[param.name])
        for param in command.params
        if param.name in ctx.params
    }


def _as_typer_passes(param: Any, value: Any) -> Any:
    """Return a parsed value as Typer hands it to the command (repeatable: list or None)."""
    if value is None or not (param.multiple or param.nargs == -1):
        return value
    if param.default is None and len(value) == 0:
        return None
    return list(value)


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
    pack: Annotated[
        int | None,
        typer.Option(
            "--pack",
            help="Slurm: run up to N jobs one after another in one allocation (--time is then "
            "per allocation). Default: one sbatch job per job.",
        ),
    ] = None,
    max_jobs: Annotated[
        int | None,
        typer.Option(
            "--max-jobs",
            help="Slurm: at most M allocations queued at once; finishing allocations submit "
            "the rest (implies --pack 1 if --pack is not given).",
        ),
    ] = None,
) -> None:
    """Submit the flows of another command to Slurm or jobflow-remote instead of running them.

    Give the options of submit first, then the command with its own options, e.g.
    `lithiophilic submit --scheduler slurm --partition debug surface-energy -m Cu --quick`
    or `lithiophilic submit --remote myproject binding -m Cu`. The command's --data-dir /
    --store choose the job store the jobs write to; `lithiophilic db status` shows their
    states. To rerun failed jobs, submit the same command again (stored calculations are
    reused). Many short jobs: `--pack 10 --max-jobs 4` runs them 10 to an allocation, with
    at most 4 allocations queued at once (each job keeps its own state in `db status`).
    """
    from lithiophilic.db import get_data_dir
    from lithiophilic.hpc.submit import submission_context, submit_flows_to
    from lithiophilic.studies.base import use_sqs_cache

    args = list(ctx.args)
    target = _target_or_exit(
        scheduler,
        remote,
        worker,
        {
            "partition": partition,
            "time": time_limit,
            "ntasks": ntasks,
            "cpus_per_task": cpus_per_task,
            "account": account,
            "pre_run": pre_run,
            "pack": pack,
            "max_jobs": max_jobs,
        },
    )
    command = _study_command_or_exit(args)
    params = parse_command_args(command.name, args[1:])
    options = options_or_exit(command.options_from_params, params=params)
    use_sqs_cache(get_data_dir(params.get("data_dir")))  # SQS searches while building flows
    try:
        flows = command.study.build_flows(options)
        submitted = submit_flows_to(
            flows,
            target=target,
            command="lithiophilic " + " ".join(args),
            **submission_context(params.get("data_dir"), params.get("store_opt")),
        )
    except (LithiophilicError, ValueError) as exc:
        fail(exc, 2)
    table = Table("flow", "job", "id", title="Submitted")
    for r in submitted:
        if r.get("scheduler") == "slurm":
            sid = r.get("slurm_job_id") or "queued later (--max-jobs)"
            where = f"allocation {r['allocation']}: " if "allocation" in r else ""
            table.add_row(r["flow"], escape(r["name"]), f"{where}{sid}")
        else:
            table.add_row(r["flow"], r["flow_uuid"], f"{len(r['db_ids'])} jobs")
    out.print(table)
    allocations = {r["allocation"]: r.get("slurm_job_id") for r in submitted if "allocation" in r}
    if allocations:
        queued = sum(1 for sid in allocations.values() if sid)
        out.print(
            f"{len(submitted)} jobs packed into {len(allocations)} allocations, {queued} queued now"
        )
    out.print("track with: lithiophilic db status" + (f" --remote {remote}" if remote else ""))


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
