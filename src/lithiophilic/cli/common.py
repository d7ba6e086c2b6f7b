"""Helpers every command uses: parsing, failing with exit 2, the study-command registry, run_study."""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from lithiophilic.cli.app import console
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


#: ``--keep-trajectory`` of the commands that relax (applied by :meth:`StudyCommand.options_from_params`).
KeepTrajectoryOpt = Annotated[
    bool,
    typer.Option(
        "--keep-trajectory",
        help="Keep every relaxation's ionic steps (energies, positions, forces) in the data "
        "store; output only, cache keys unchanged.",
    ),
]


#: ``--workers`` of the commands whose jobs run on an MLIP (applied by :meth:`StudyCommand.options_from_params`).
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Worker processes running the jobs side by side, one thread each (the per-site "
        "relaxations too); 1: one after another, also on one thread. Default: one per usable "
        "core (a store in memory: 1). At most the number of cores.",
    ),
]


def parse_miller(text: str) -> tuple[int, int, int]:
    """Parse ``111``, ``1,1,1``, ``(1-10)`` or ``1 -1 0`` into a Miller index.

    Raises
    ------
    ConfigurationError
        If it is not three integers or is (0,0,0).
    """
    cleaned = text.strip().strip("()[]")
    parts = (
        re.findall(r"-?\d+", cleaned)
        if re.search(r"[,\s]", cleaned)
        else re.findall(r"-?\d", cleaned)
    )
    if len(parts) != 3 or re.sub(r"[-\d,\s]", "", cleaned):
        msg = (
            f"miller: {text!r} is not a Miller index; give three integers, e.g. 111, 100 or 1,-1,0"
        )
        raise ConfigurationError(msg)
    miller = tuple(int(p) for p in parts)
    if miller == (0, 0, 0):
        msg = "miller: (0,0,0) is not a plane; give e.g. 111, 100 or 110"
        raise ConfigurationError(msg)
    return miller  # type: ignore[return-value]


def fail(exc: BaseException, code: int) -> NoReturn:
    """Print ``exc`` as an error and exit with ``code`` (2: bad input)."""
    console.print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(code)


def finish(json_file: Path | None, payload: dict[str, Any], failed: dict[str, str]) -> None:
    """Write the JSON output, report failed flows and exit 1 if any failed."""
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps({**payload, "failed": failed}, indent=1, default=str))
    for name, why in failed.items():
        console.print(f"[bold red]{escape(name)}:[/] {escape(why)}")
    if failed:
        raise typer.Exit(1)


def parse_lateral(text: str) -> tuple[int, int]:
    """Parse ``NXxNY`` (e.g. ``15x15``) into two cell counts."""
    parts = re.findall(r"\d+", text)
    if len(parts) != 2 or re.sub(r"[\dx×,\s]", "", text):
        msg = f"lateral: {text!r} is not two cell counts; give e.g. 15x15"
        raise ConfigurationError(msg)
    return int(parts[0]), int(parts[1])


def parse_slab(text: str, option: str) -> tuple[int, int, int]:
    """Parse ``NXxNYxLAYERS`` (e.g. ``12x12x7``) for the option named ``option``."""
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        msg = f"{option}: {text!r} is not NXxNYxLAYERS (e.g. 12x12x7)"
        raise ConfigurationError(msg)
    return int(parts[0]), int(parts[1]), int(parts[2])


@dataclass(frozen=True)
class StudyCommand:
    """A CLI command that is a face of a study: its arguments become the study's ``Options``.

    ``options`` takes the command's own parameters (by name; parameters it does not accept,
    such as ``--json`` or ``--data-dir``, are left out) and returns the study's ``Options``.
    ``lithiophilic submit COMMAND ...`` parses the arguments with the command's parser, builds
    the Options with ``options`` and submits ``study.build_flows(options)``: nothing runs here.
    The study module is named (``study_module``) and imported on first use of :attr:`study`,
    so ``import lithiophilic.cli`` and ``--help`` do not import the studies.
    """

    name: str
    study_module: str
    options: Callable[..., Any]

    @property
    def study(self) -> ModuleType:
        """The study module (imported on first use)."""
        return importlib.import_module(self.study_module)

    def options_from_params(self, params: dict[str, Any]) -> Any:
        """Return the Options for parsed command parameters (extra parameters ignored)."""
        accepted = inspect.signature(self.options).parameters
        options = self.options(**{k: v for k, v in params.items() if k in accepted})
        if params.get("keep_trajectory") and "keep_trajectory" not in accepted:
            options = options.updated(keep_trajectory=True)
        if params.get("workers") is not None and "workers" not in accepted:
            options = options.updated(workers=params["workers"])
        return options

    def run(self, params: dict[str, Any]) -> tuple[Any, Any]:
        """Build the Options from parsed parameters (exit 2 on bad input) and run the study.

        ``data_dir``, ``store_opt`` and ``quiet`` among ``params`` choose the store and the
        progress display. Returns the Options and the study's Result.
        """
        options = options_or_exit(self.options_from_params, params=params)
        result = run_study(
            self.study,
            options,
            data_dir=params.get("data_dir"),
            store_opt=params.get("store_opt"),
            quiet=bool(params.get("quiet")),
        )
        return options, result


#: Command name -> study command (filled by the command modules).
STUDY_COMMANDS: dict[str, StudyCommand] = {}


def register_study_command(name: str, study_module: str, options: Callable[..., Any]) -> None:
    """Declare that command ``name`` runs study ``study_module`` with the Options ``options`` builds.

    ``study_module`` is the study's module name; it is imported when the command runs.
    """
    STUDY_COMMANDS[name] = StudyCommand(name, study_module, options)


def run_command(ctx: typer.Context) -> tuple[Any, Any]:
    """Run the study command being invoked with its own parsed parameters: (Options, Result)."""
    return STUDY_COMMANDS[str(ctx.info_name)].run(ctx.params)


def options_or_exit(build: Callable[..., Any], /, **params: Any) -> Any:
    """Build Options from command parameters; bad input exits 2 naming the field."""
    try:
        return build(**params)
    except (LithiophilicError, ValueError) as exc:
        fail(exc, 2)


def open_store(data_dir: Path | None, store_opt: str | None) -> Any:
    """Return the job store of ``--data-dir``/``--store``; exit 2 if it cannot be opened."""
    from lithiophilic.db import get_store

    try:
        return get_store(data_dir=data_dir, store=store_opt)
    except LithiophilicError as exc:
        fail(exc, 2)


def check_local_calculators(options: Any) -> None:
    """Check, for a local run, that calculators running as their own Makers (VASP) can start.

    Walks the options (nested study options too) for ``calculator``/``refine_calculator``
    names; a backend with ``native_makers`` gets :func:`~lithiophilic.potentials.check_installation`
    (VASP: the command and ``PMG_VASP_PSP_DIR``). A submitted run skips this: VASP may exist
    only on the compute node, and each VASP job checks at its start.

    Raises
    ------
    CalculatorUnavailableError
        Naming what to set.
    """
    from pydantic import BaseModel

    from lithiophilic.potentials.registry import REGISTRY, check_installation

    if not isinstance(options, BaseModel):
        return
    for name in type(options).model_fields:
        value = getattr(options, name)
        if isinstance(value, BaseModel):
            check_local_calculators(value)
        elif name in ("calculator", "refine_calculator") and isinstance(value, str):
            backend = REGISTRY.get(value)
            if backend is not None and backend.native_makers:
                check_installation(value)


def run_study(
    study: ModuleType,
    options: Any,
    *,
    data_dir: Path | None,
    store_opt: str | None,
    quiet: bool = False,
) -> Any:
    """Check the options' flows, run the study with a progress bar, return its Result.

    Input errors (found while building the flows, before any job runs) exit 2 and store
    nothing. Failed flows are printed with their job's uuid and the ``db show`` command.
    """
    from lithiophilic.cli.progress import job_progress
    from lithiophilic.db import describe_store, get_data_dir
    from lithiophilic.studies import complete_runs
    from lithiophilic.studies.base import use_sqs_cache as use_cache

    ddir = get_data_dir(data_dir)
    use_cache(ddir)  # SQS searches while building the flows are cached there
    try:
        # a recorded complete run of these options was checked when it ran; its flows are
        # built only if the store no longer holds its outputs (studies.complete_runs)
        flows = (
            None
            if complete_runs.recorded(ddir, options)
            else complete_runs.built_from_options(study.build_flows(options), options)
        )
        check_local_calculators(options)
    except (LithiophilicError, ValueError) as exc:
        fail(exc, 2)
    store = open_store(data_dir, store_opt)
    logger.info("job store: %s", describe_store(store))
    with job_progress(quiet=quiet) as on_job:
        result = study.run(options, store=store, data_dir=ddir, on_job=on_job, flows=flows)
    for label, why in result.failed.items():
        uuid = re.search(r"\(([0-9a-f-]{36})\)", why)
        hint = f" — see: lithiophilic db show {uuid.group(1)}" if uuid else ""
        console.print(f"[bold red]{escape(label)}:[/] {escape(why)}{hint}")
    return result
