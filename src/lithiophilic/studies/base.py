"""What every study shares: validated ``Options``, material inputs, running flows, ``Result``.

A study module (one per Fig. 5 panel family) exposes the same small protocol:

``Options``
    A :class:`StudyOptions` subclass holding every setting of the study, with ``quick()`` and
    ``full()`` presets defined in the study and nowhere else. Bad values raise
    :class:`~lithiophilic.errors.ConfigurationError` naming the field. Saved to and loaded
    from JSON or YAML with :meth:`StudyOptions.save` / :meth:`StudyOptions.load`.
``build_flows(options) -> dict[str, Flow]``
    jobflow flows keyed by a readable label, runnable locally or submittable (Slurm,
    jobflow-remote). Every input check happens here, before any job runs.
``run(options, store=None, *, data_dir=None, on_job=None, flows=None) -> Result``
    Run the flows locally (:func:`run_flows_locally`) against ``store`` (default: the
    embedded store of ``data_dir`` / ``$LITHIOPHILIC_DATA``) and return :func:`collect`'s
    result with ``failed`` filled in. ``flows``: flows already built by ``build_flows``
    (the CLI builds them first, to reject bad input before opening the store).
``collect(store, options) -> Result``
    A typed, versioned :class:`StudyResult` read from the database. On a half-finished
    campaign it returns what exists and names what is missing in ``Result.missing``, without
    raising.
``figures(result, out_dir) -> dict[str, Path]``, ``claims(result) -> list[Claim]``, ``table_rows(result)``
    The panel's figures (panel id -> PNG), the paper's claims for it set against ours
    (thresholds fixed in advance, :data:`lithiophilic.analysis.report.THRESHOLDS`) and the
    rows of its table.
``extra_tables(result) -> dict[str, list[dict]]`` (optional)
    Further titled tables shown after the panel's own in the report (the aggregation study's
    teacher check side by side).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pymatgen.core import Structure

from lithiophilic.errors import ConfigurationError
from lithiophilic.studies.workers import (  # noqa: F401  (re-exported: studies.base API)
    WORKER_MEMORY_GIB,
    WORKERS_ENV,
    effective_workers,
    one_thread,
    serial_only,
    usable_cores,
)

if TYPE_CHECKING:
    from jobflow import Flow, JobStore

    from lithiophilic.potentials import CalculatorSpec

__all__ = [
    "STRUCTURE_SUFFIXES",
    "JobEvent",
    "MaterialInput",
    "StudyOptions",
    "StudyResult",
    "build_and_run",
    "check_calculator_name",
    "default_store",
    "keep_relax_trajectories",
    "material_label",
    "materials_of",
    "resolve_material",
    "run_flows_locally",
    "use_sqs_cache",
]

logger = logging.getLogger(__name__)

#: ``$LITHIOPHILIC_SQS_CACHE`` as the user set it (None: each data directory caches its own).
_USER_SQS_CACHE = os.environ.get("LITHIOPHILIC_SQS_CACHE")

#: File suffixes read as a user's own structure (besides POSCAR/CONTCAR names).
STRUCTURE_SUFFIXES = (".cif", ".vasp", ".poscar", ".xyz", ".extxyz", ".json", ".traj")


def _to_material(value: Any) -> str | Structure:
    """Normalise a material input: a name/formula or file path (str), or a ``Structure``."""
    if isinstance(value, Structure):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and value.get("@class") == "Structure":
        return Structure.from_dict(dict(value))
    try:
        from ase import Atoms
    except ImportError:  # pragma: no cover - ase is a dependency
        Atoms = ()  # type: ignore[assignment,misc]
    if isinstance(value, Atoms):
        from pymatgen.io.ase import AseAtomsAdaptor

        struct = AseAtomsAdaptor.get_structure(value)
        struct.properties = {}
        return struct
    msg = (
        f"{value!r} is not a material: give a name or formula (Cu, Cu5Zn8, Cu0.64Zn0.36), "
        "a CIF/POSCAR path, a pymatgen Structure or an ASE Atoms"
    )
    raise ValueError(msg)


def _dump_material(value: str | Structure) -> Any:
    return value.as_dict() if isinstance(value, Structure) else value


#: A material: a catalogue name or formula, a structure file path (CIF/POSCAR/...), a pymatgen
#: ``Structure`` or an ASE ``Atoms`` (stored as a ``Structure``; saved as its ``as_dict``).
MaterialInput = Annotated[
    str | Structure,
    BeforeValidator(_to_material),
    PlainSerializer(_dump_material),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "object"}]}),
]


def _is_structure_file(text: str) -> bool:
    path = Path(text)
    name = path.name.upper()
    return path.suffix.lower() in STRUCTURE_SUFFIXES or name.startswith(("POSCAR", "CONTCAR"))


def resolve_material(material: str | Structure, *, field: str = "materials") -> str | Structure:
    """Return the catalogue name/formula, or the ``Structure`` read from a file.

    Raises
    ------
    ConfigurationError
        If ``material`` names a structure file that does not exist or cannot be read.
    """
    if isinstance(material, Structure) or not _is_structure_file(material):
        return material
    path = Path(material)
    if not path.is_file():
        msg = f"{field}: structure file {material!r} does not exist"
        raise ConfigurationError(msg)
    try:
        struct = Structure.from_file(path)
    except Exception as exc:
        msg = f"{field}: cannot read {material!r} as a structure ({type(exc).__name__}: {exc})"
        raise ConfigurationError(msg) from exc
    struct.properties = {}
    return struct


def material_label(material: str | Structure) -> str:
    """Return the label results are stored under: the name, a file's stem, or the formula."""
    if isinstance(material, Structure):
        return material.composition.reduced_formula
    if _is_structure_file(material):
        return Path(material).stem
    return material


def _format_validation_error(cls: type, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        shown = "" if isinstance(given, Mapping) or not loc else f" (got {given!r})"
        # a model-level validator names its field(s) in its own message
        parts.append(f"{loc}: {msg}{shown}" if loc else msg)
    return f"{cls.__name__}: " + "; ".join(parts)


def check_calculator_name(name: str | None) -> str | None:
    """Field check of a study's calculator name (None passes): a registered calculator.

    Raises ``ValueError`` (pydantic turns it into the field's error) with the registry's message.
    """
    from lithiophilic.potentials import CalculatorSpec

    if name is None:
        return None
    try:
        CalculatorSpec(name)
    except ConfigurationError as exc:
        raise ValueError(str(exc).removeprefix("calculator: ")) from None
    return name


class StudyOptions(BaseModel):
    """Base of every study's ``Options``: validated on creation and on assignment.

    Unknown fields are refused; a bad value raises :class:`ConfigurationError` naming the
    field and what is allowed (pydantic's message), before any job is built.
    """

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, arbitrary_types_allowed=True
    )

    #: Name of the study (``surface``, ``pdos``, ``li_sites``, ``li_layers``, ``aggregation``).
    study: ClassVar[str] = ""

    keep_trajectory: bool = Field(
        False,
        description="Relaxations keep every ionic step (energy, positions, forces, cell) in the "
        "data store (AseCalcDoc.trajectory); output only, cache keys unchanged.",
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="Worker processes running the study's jobs side by side (MLIP and "
        "classical calculators; 1: one after another in this process). None (default): one "
        "per core this process may use, when the study can run in parallel and the store is "
        "reachable from other processes (the embedded database or MongoDB), else 1. At most "
        "the number of cores; DFT and MD on several MPI ranks (n_mpi > 1) stay at 1. Every MLIP "
        "or classical job evaluates on one thread (torch and BLAS), whatever this is, so the "
        "results are the same bit for bit with any workers or OMP_NUM_THREADS; torch on more "
        "threads rounds differently (a relaxation on a soft surface can end 0.02 eV apart, "
        "bench/results/workers_quiet.json).",
    )

    @field_validator("workers", mode="after")
    @classmethod
    def _at_most_cores(cls, workers: int | None) -> int | None:
        cores = os.cpu_count() or 1
        if workers is not None and workers > cores:
            msg = f"at most the number of cores ({cores}) worker processes"
            raise ValueError(msg)
        return workers

    @model_validator(mode="after")
    def _workers_for_mlip_only(self) -> Self:
        if self.workers is not None and self.workers > 1:
            why = serial_only(self)
            if why:
                msg = f"workers: {self.workers} worker processes, but {why}; use workers=1"
                raise ValueError(msg)
        return self

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigurationError(_format_validation_error(type(self), exc)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise ConfigurationError(_format_validation_error(type(self), exc)) from None

    @classmethod
    def full(cls, **overrides: Any) -> Self:
        """Return the default (full, production) settings, with ``overrides``."""
        return cls(**overrides)

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the quick settings (minutes, not converged), with ``overrides``."""
        return cls(**overrides)

    def updated(self, **changes: Any) -> Self:
        """Return a validated copy with ``changes`` applied."""
        return type(self)(**{**self.model_dump(), **changes})

    def save(self, path: str | Path) -> Path:
        """Write the options as JSON (``.json``) or YAML (``.yaml``/``.yml``)."""
        path = Path(path)
        data = self.model_dump(mode="json")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            path.write_text(yaml.safe_dump(data, sort_keys=False))
        elif path.suffix.lower() == ".json":
            path.write_text(json.dumps(data, indent=1))
        else:
            msg = f"path: {path.suffix!r} is not a supported options file; use .json, .yaml or .yml"
            raise ConfigurationError(msg)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read options written by :meth:`save` (JSON or YAML).

        Raises
        ------
        ConfigurationError
            If the file is missing, not JSON/YAML, or holds invalid settings.
        """
        path = Path(path)
        if not path.is_file():
            msg = f"path: options file {str(path)!r} does not exist"
            raise ConfigurationError(msg)
        text = path.read_text()
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
        if not isinstance(data, dict):
            msg = f"path: {str(path)!r} does not hold a mapping of settings"
            raise ConfigurationError(msg)
        return cls(**data)


class StudyResult(BaseModel):
    """Base of every study's ``Result``: what the database holds for the options asked.

    ``missing`` names what is not (yet) in the database, ``failed`` what a run reported as
    failed; both are empty for a finished study.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    schema_version: int = Field(1, description="Version of this result's schema.")
    study: str = Field(description="Study name.")
    options: dict[str, Any] = Field(description="The options this result was collected for.")
    missing: list[str] = Field(
        default_factory=list, description="What the options ask for that the database lacks."
    )
    failed: dict[str, str] = Field(
        default_factory=dict, description="Label -> why it failed (from the run or the store)."
    )
    definition: str = Field("", description="Definitions and conventions of the numbers.")

    @property
    def complete(self) -> bool:
        """Whether everything the options ask for is in the database and nothing failed."""
        return not self.missing and not self.failed


def default_store(store: JobStore | None = None, *, data_dir: str | Path | None = None) -> JobStore:
    """Return ``store``, or the default store (embedded in ``$LITHIOPHILIC_DATA``).

    Also points the SQS search cache at the data directory (:func:`use_sqs_cache`), so the
    SQS searches done while a study builds its flows are cached there.
    """
    from lithiophilic.db import get_data_dir, get_store

    use_sqs_cache(get_data_dir(data_dir))
    if store is not None:
        return store
    return get_store(data_dir=data_dir)


@dataclass(frozen=True)
class JobEvent:
    """Something that happened while flows ran, for a progress display.

    ``kind``: ``planned`` (``total`` jobs known before the run), ``started``/``finished``
    (a job, by ``name`` and ``uuid``), ``failed`` (a flow whose output is missing; ``uuid``
    is its first job without a result) or ``step`` (``done`` of ``total`` steps inside a
    long job, e.g. MD chunks, reported by logging with ``extra={"progress": (done, total)}``).
    """

    kind: Literal["planned", "started", "finished", "failed", "step"]
    name: str = ""
    uuid: str = ""
    done: int = 0
    total: int = 0


#: Logger name under which long jobs report steps: ``logger.info(msg, extra={"progress": (i, n)})``.
PROGRESS_LOGGER = "lithiophilic"


class _JobEventHandler(logging.Handler):
    """Turn jobflow's run_locally log lines (and step records) into :class:`JobEvent` calls."""

    def __init__(
        self,
        callback: Callable[[JobEvent], None],
        on_error: Callable[[str], None] | None = None,
        *,
        steps_only: bool = False,
    ) -> None:
        super().__init__(level=logging.INFO)
        self.callback = callback
        self.on_error = on_error or (lambda text: None)
        self.steps_only = steps_only  # the parallel runner reports jobs itself

    def emit(self, record: logging.LogRecord) -> None:
        step = getattr(record, "progress", None)
        if step is not None:
            self.callback(JobEvent("step", record.getMessage(), done=step[0], total=step[1]))
            return
        if self.steps_only:
            return
        text = record.getMessage()
        if " failed with exception:" in text.split("\n", 1)[0]:
            self.on_error(text)
            return
        for prefix, kind in (("Starting job - ", "started"), ("Finished job - ", "finished")):
            if text.startswith(prefix):
                name, _, rest = text[len(prefix) :].rpartition(" (")
                uuid = rest.split(")")[0].split(",")[0].strip()
                self.callback(JobEvent(kind, name, uuid))  # type: ignore[arg-type]
                return


def use_sqs_cache(data_dir: str | Path) -> None:
    """Cache SQS searches in DATA_DIR/sqs-cache unless the user set ``$LITHIOPHILIC_SQS_CACHE``.

    Set in the environment, so Slurm jobs submitted from this process inherit it.
    """
    from lithiophilic.structures import SQS_CACHE_ENV

    if _USER_SQS_CACHE is None:
        os.environ[SQS_CACHE_ENV] = str(Path(data_dir) / "sqs-cache")


def run_flows_locally(
    flows: Mapping[str, Flow],
    store: JobStore,
    *,
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    workers: int = 1,
) -> dict[str, str]:
    """Run ``flows`` one after the other with jobflow's ``run_locally`` into ``store``.

    Job folders go to ``DATA_DIR/runs``; SQS searches are cached in ``DATA_DIR/sqs-cache``
    unless ``$LITHIOPHILIC_SQS_CACHE`` says otherwise. A failed job does not stop the other
    flows; it is recorded as ``FAILED`` (with the exception) in the store's job-tracking
    collection, so ``lithiophilic db show UUID`` says why.

    Parameters
    ----------
    flows
        Label -> flow.
    store
        The job store every output goes to.
    data_dir
        Database directory (default ``$LITHIOPHILIC_DATA`` or ``./lithiophilic-data``).
    on_job
        Called with a :class:`JobEvent` as jobs start and finish (progress display).
    workers
        1: the flows run one after the other in this process (jobflow's ``run_locally``).
        2 or more: their jobs, and the jobs they create when they run (one per Li site...),
        run side by side in that many worker processes of one thread each, with the same
        semantics, job folders, store and failure records (:mod:`lithiophilic.studies.parallel`).

    Returns
    -------
    dict
        Label -> why it failed (naming the failed job's uuid), for every flow whose output
        is missing; empty when everything ran.

    Raises
    ------
    ConfigurationError
        If ``workers`` < 1, or ``workers`` > 1 with a store held in this process's memory.
    """
    from jobflow import run_locally

    from lithiophilic.db import get_data_dir

    ddir = get_data_dir(data_dir)
    use_sqs_cache(ddir)
    runs = ddir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    failures = _FailureRecorder()
    if workers != 1:
        return _run_parallel(flows, store, runs, workers, failures.watch(on_job), failures)
    events: Callable[[JobEvent], None] = failures.watch(on_job)
    failed: dict[str, str] = {}
    with _watched_logs(_JobEventHandler(events, failures.error)):
        events(JobEvent("planned", total=sum(len(list(f.iterflow())) for f in flows.values())))
        for label, flow in flows.items():
            t0 = time.perf_counter()
            failures.current.clear()
            run_locally(
                flow,
                store=store,
                create_folders=True,
                root_dir=runs,
                ensure_success=False,
                log=False,
            )
            first = failures.current[0] if failures.current else None
            _check_output(store, label, flow, first, failed, events)
            logger.info("%s finished in %.0f s", label, time.perf_counter() - t0)
    failures.record(store)
    return failed


@contextmanager
def _watched_logs(handler: logging.Handler) -> Iterator[None]:
    """Attach ``handler`` to jobflow's and the progress loggers, at INFO at least, while inside.

    Worker processes take the levels they start with, so their step records reach it too.
    """
    watched = [logging.getLogger("jobflow"), logging.getLogger(PROGRESS_LOGGER)]
    levels = [lg.level for lg in watched]
    for lg in watched:
        lg.addHandler(handler)
        if lg.getEffectiveLevel() > logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, level in zip(watched, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


def _check_output(
    store: JobStore,
    label: str,
    flow: Flow,
    first: tuple[str, str, str] | None,
    failed: dict[str, str],
    events: Callable[[JobEvent], None],
) -> None:
    """Name why flow ``label`` failed in ``failed`` if its output is missing."""
    from lithiophilic.db import get_output_dict

    if get_output_dict(store, flow.output.uuid) is None:
        why = "a job of this flow failed"
        if first is not None:
            why = f"job {first[1]!r} ({first[0]}) failed: {first[2]}"
        failed[label] = why
        events(JobEvent("failed", label, first[0] if first else ""))


def _run_parallel(
    flows: Mapping[str, Flow],
    store: JobStore,
    runs: Path,
    workers: int,
    events: Callable[[JobEvent], None],
    failures: _FailureRecorder,
) -> dict[str, str]:
    """Run the ``workers`` > 1 branch of :func:`run_flows_locally`."""
    from lithiophilic.studies.parallel import run_flows_parallel

    events(JobEvent("planned", total=sum(len(list(f.iterflow())) for f in flows.values())))
    with _watched_logs(_JobEventHandler(events, steps_only=True)):  # workers' MD steps
        outcome = run_flows_parallel(
            flows,
            store,
            runs_dir=runs,
            workers=workers,
            on_event=lambda kind, name, uuid: events(JobEvent(kind, name, uuid)),  # type: ignore[arg-type]
            on_failure=failures.add,
        )
    failed: dict[str, str] = {}
    for label, flow in flows.items():
        _check_output(store, label, flow, outcome.first_failure.get(label), failed, events)
    failures.record(store)
    return failed


def build_and_run(
    options: Any,
    store: JobStore | None,
    *,
    build_flows: Callable[[Any], Mapping[str, Flow]],
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    flows: Mapping[str, Flow] | None = None,
    groups: Callable[[Mapping[str, Flow]], list[tuple[Any, Mapping[str, Flow]]]] | None = None,
) -> tuple[JobStore, dict[str, str], dict[str, str]]:
    """Open the store, build the flows (unless given) and run them: what every study's ``run`` does.

    ``groups`` splits the flows into groups run one after another, each with the workers of
    its own options (:func:`effective_workers`; default: one group, ``options``).

    The store comes first (:func:`default_store` points the SQS cache at the data directory),
    so SQS searches made while building flows are cached there. When the data directory
    records a complete run of the same options with the same code whose outputs the store
    still holds (:mod:`lithiophilic.studies.complete_runs`), nothing is built or run; a run
    in which no flow failed is recorded. Both only for the study's own flows: none given, or
    given as marked by ``complete_runs.built_from_options``.

    Returns
    -------
    tuple
        The store, label -> output uuid of each flow, and label -> why it failed
        (:func:`run_flows_locally`).
    """
    from lithiophilic.db import get_data_dir
    from lithiophilic.studies import complete_runs

    store = default_store(store, data_dir=data_dir)
    ddir = get_data_dir(data_dir)
    own = complete_runs.own_flows(flows, options)  # other flows: no record used or written
    stored = complete_runs.stored_outputs(store, ddir, options) if own else None
    if stored is not None:
        return store, stored, {}
    flows = flows if flows is not None else build_flows(options)
    failed: dict[str, str] = {}
    for group_options, group in groups(flows) if groups is not None else [(options, flows)]:
        workers = effective_workers(group_options, store)
        with one_thread(enabled=workers == 1 and not serial_only(group_options)):
            failed |= run_flows_locally(
                group, store, data_dir=data_dir, on_job=on_job, workers=workers
            )
    outputs = {label: flow.output.uuid for label, flow in flows.items()}
    if own and not failed:
        complete_runs.record(ddir, options, outputs)
    return store, outputs, failed


class _FailureRecorder:
    """Collect the jobs that raised during run_locally (uuid, name, last line of the error)."""

    def __init__(self) -> None:
        self.current: list[tuple[str, str, str]] = []
        self.all: list[tuple[str, str, str, str]] = []
        self._running: dict[str, str] = {}
        self._last: tuple[str, str] | None = None

    def watch(self, on_job: Callable[[JobEvent], None] | None) -> Callable[[JobEvent], None]:
        def events(event: JobEvent) -> None:
            if event.kind == "started":
                self._last = (event.uuid, event.name)
            if on_job is not None:
                on_job(event)

        return events

    def error(self, text: str) -> None:
        """Take jobflow's message '<name> failed with exception:' followed by the traceback."""
        if self._last is None:
            return
        uuid, name = self._last
        self.add(uuid, name, text)

    def add(self, uuid: str, name: str, text: str) -> str:
        """Record job ``uuid`` as failed with ``text``; return the reason (its last line)."""
        lines = [ln for ln in text.splitlines() if ln.strip()]
        reason = lines[-1].strip() if lines else "failed"
        self.current.append((uuid, name, reason))
        self.all.append((uuid, name, reason, text))
        return reason

    def record(self, store: JobStore) -> None:
        if not self.all:
            return
        from lithiophilic.db import get_tracking_store, record_jobs

        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        record_jobs(
            get_tracking_store(store),
            [
                {
                    "uuid": uuid,
                    "name": name,
                    "scheduler": "local",
                    "state": "FAILED",
                    "reason": reason,
                    "traceback": text[-4000:],
                    "submitted_at": now,
                }
                for uuid, name, reason, text in self.all
            ],
        )


def with_native_makers(maker: Any, spec: CalculatorSpec) -> Any:
    """Return ``maker``, its relax/static slots as VASP's atomate2 Makers if ``spec`` is VASP.

    A backend that runs as workflow Makers of its own (``native_makers``: VASP under
    custodian, one VASP run per relaxation) gets :func:`lithiophilic.workflows.vasp.with_vasp_makers`;
    any other keeps ``maker``. atomate2's VASP modules (~2 s to import) load only then.
    """
    if not spec.backend.native_makers:
        return maker
    from lithiophilic.workflows.vasp import with_vasp_makers

    return with_vasp_makers(maker, spec)


def keep_relax_trajectories(flows: dict[str, Flow], keep: bool) -> dict[str, Flow]:
    """Make every ``AseRelaxMaker`` in ``flows`` keep its trajectory when ``keep``; return ``flows``.

    ``keep`` is ``StudyOptions.keep_trajectory``. The trajectory is output only, so the cache
    keys, and what is reused, do not change.
    """
    if keep:
        from lithiophilic.workflows.base import AseRelaxMaker

        for flow in flows.values():
            flow.update_maker_kwargs({"keep_trajectory": True}, class_filter=AseRelaxMaker)
    return flows


def materials_of(values: Sequence[str | Structure]) -> list[tuple[str, str | Structure]]:
    """Return ``(label, resolved material)`` for each input, in order."""
    resolved = [resolve_material(v) for v in values]
    return [(material_label(v), r) for v, r in zip(values, resolved, strict=True)]
