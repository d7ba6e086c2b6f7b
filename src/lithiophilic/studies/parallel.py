"""Run jobflow flows with several worker processes: ``run_flows_locally(..., workers=N)``.

The scheduler mirrors jobflow's ``run_locally`` (``jobflow/managers/local.py``) job for job:

- a job runs once the jobs it depends on (its parents in its flow, and every job its inputs
  reference) have finished, together with their diversions;
- a job with a failed parent and ``on_missing_references == ERROR`` fails without running;
  the children of a ``stop_children`` job are skipped; ``stop_jobflow`` starts nothing more;
- a job's diversions run after it, one after the other (replace, then detour, then addition),
  each a flow run by this same scheduler, so a fan-out decided at run time (one relaxation
  per Li site, ``Response(replace=Flow(...))``) runs in parallel too; the job counts as done
  only when its diversions are, and the children of a replaced job read its output from the
  store by uuid (the newest index), as in ``run_locally``.

A job of lithiophilic is first run in this process with calculators deferred
(:func:`lithiophilic.potentials.registry.defer_calculators`): a job whose result the store
already holds (reused by cache key), or that only builds structures or flows, finishes here;
one that asks for a calculator stops before computing and goes to a worker. Workers start
when the first job needs one, so a re-run whose every job is stored starts none (no
interpreter start, no model load). Other jobs (any package) go straight to a worker.

Ready jobs start in the serial order (earlier flows first, a job's diversions before the
jobs after it), so the work and the store's reuse look-ups happen in about the order of a
serial run; a job named as a running one waits for it (the flows of a study repeat the
bulk and slab relaxations of a material, which the second then reuses instead of computing
them twice side by side). Each job runs in one of ``workers`` processes (``spawn``: never
a fork of a process that loaded torch) with one thread (``OMP_NUM_THREADS=1`` before torch is imported,
``torch.set_num_threads(1)``), its own connection to the same store (the embedded
``LockedMontyStore`` takes several writing processes; MongoDB does anyway), its own job folder
under ``DATA_DIR/runs`` and this process's environment (the SQS cache directory too). Jobs go
to the workers as MSON JSON; a worker answers with the response's diversions (Flow JSON) and
stop flags, and sends its log records (at this process's logger levels) over the same pipe to
this process's loggers, so a stage log holds them as in a serial run. A job that raises is
failed with jobflow's message (recorded by the caller as in the serial path); a worker that
dies (out of memory, a crash) fails its job with the reason and is replaced.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from random import randint
from typing import TYPE_CHECKING, Any

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import SpawnContext, SpawnProcess

    from jobflow import Flow, Job, JobStore

__all__ = ["THREAD_VARIABLES", "ParallelRun", "run_flows_parallel", "store_spec"]

logger = logging.getLogger(__name__)

#: Environment variables set to 1 in every worker before torch (or NumPy's BLAS) is imported.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

#: Where jobflow's ``run_locally`` logs a failed job (the parallel runner logs it there too).
_RUN_LOCALLY_LOGGER = logging.getLogger("jobflow.managers.local")

#: Seconds a worker gets to leave after being told to, before it is terminated.
_JOIN_TIMEOUT_S = 10.0


# --------------------------------------------------------------------------- worker side
def _one_thread() -> None:
    """Use one thread for OpenMP/BLAS and torch in this process."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _open_store(spec: str) -> JobStore:
    """Rebuild and connect the job store serialised by :func:`store_spec`."""
    from maggma.stores import MontyStore
    from monty.json import MontyDecoder

    store = json.loads(spec, cls=MontyDecoder)
    if isinstance(store.docs_store, MontyStore):
        from lithiophilic.db.embedded import _install_montydb_prefilter

        _install_montydb_prefilter()
    store.connect()
    return store


def _run_job(
    job_json: str, job_dir: Path, store: JobStore, *, here: bool = False
) -> tuple[str, str]:
    """Run one job in ``job_dir``: ``("ok", diversions JSON)`` or ``("failed", traceback)``.

    ``here``: in the coordinator, without building a calculator: ``("deferred", "")`` if the
    job asks for one (it computes: a worker runs it), else it ran as in a worker.
    """
    from contextlib import chdir, nullcontext

    from monty.json import MontyDecoder, MontyEncoder

    from lithiophilic.potentials.registry import CalculatorDeferred, defer_calculators

    try:
        job = json.loads(job_json, cls=MontyDecoder)
        if not here:
            _one_thread()
        with chdir(job_dir), defer_calculators() if here else nullcontext():
            response = job.run(store=store)
        parts = {
            "replace": response.replace,
            "detour": response.detour,
            "addition": response.addition,
            "stop_children": bool(response.stop_children),
            "stop_jobflow": bool(response.stop_jobflow),
        }
        return "ok", json.dumps(parts, cls=MontyEncoder)
    except CalculatorDeferred:
        return "deferred", ""
    except Exception:
        return "failed", traceback.format_exc()


#: Packages whose jobs the coordinator tries itself first (:func:`_try_here`): every job of
#: lithiophilic that computes builds its calculator with ``get_calculator`` first.
_TRIED_HERE = ("lithiophilic.",)


def _runs_here_first(job: Job) -> bool:
    """Return whether ``job``'s function belongs to :data:`_TRIED_HERE` (a Maker's too)."""
    function = job.function
    module = getattr(function, "__module__", "") or ""
    owner = getattr(function, "__self__", None)
    if owner is not None:
        module = type(owner).__module__
    return module.startswith(_TRIED_HERE)


#: A worker's threads send over its pipe one at a time (log records and the job's answer).
_SEND_LOCK = threading.Lock()


class _PipeLogHandler(logging.Handler):
    """Send log records to the coordinator over the worker's own pipe.

    No lock is shared between processes, so a worker killed while logging blocks no other.
    """

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        from logging.handlers import QueueHandler

        try:
            record = QueueHandler.prepare(self, record)  # type: ignore[arg-type]
            with _SEND_LOCK:
                self.conn.send(("log", record))
        except Exception:
            self.handleError(record)


def _log_to(conn: Connection, levels: Mapping[str, int]) -> None:
    """Send this process's log records to the coordinator, at the coordinator's logger levels."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_PipeLogHandler(conn))
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)


class _HeldRecords(logging.Filter):
    """Keep this thread's log records (once, in order) instead of letting a handler emit them."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self._ids: set[int] = set()
        self._thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self._thread:
            return True
        if id(record) not in self._ids:
            self._ids.add(id(record))
            self.records.append(record)
        return False


@contextmanager
def _held_log() -> Iterator[_HeldRecords]:
    """Hold what a job tried in the coordinator logs, for :func:`_try_here` to keep or drop."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger(), *manager.loggerDict.values()]
    handlers = {id(h): h for lg in loggers if isinstance(lg, logging.Logger) for h in lg.handlers}
    if logging.lastResort is not None:
        handlers[id(logging.lastResort)] = logging.lastResort
    held = _HeldRecords()
    for handler in handlers.values():
        handler.addFilter(held)
    try:
        yield held
    finally:
        for handler in handlers.values():
            handler.removeFilter(held)


def _try_here(job_json: str, job_dir: Path, store: JobStore) -> tuple[str, str]:
    """Run a job in the coordinator with calculators deferred (:func:`_run_job` ``here``).

    Its log records are held: emitted if it ran here, dropped if it goes to a worker (which
    logs the job's start again), so a log shows each job once.
    """
    with _held_log() as held:
        status, text = _run_job(job_json, job_dir, store, here=True)
    if status != "deferred":
        for record in held.records:
            relay_log(record)
    return status, text


def relay_log(record: logging.LogRecord) -> None:
    """Hand a worker's log record to this process's logger of the same name."""
    target = logging.getLogger(record.name)
    if target.isEnabledFor(record.levelno):
        target.handle(record)


def _worker_main(conn: Connection, spec: str, levels: Mapping[str, int]) -> None:
    """Worker process: open the store, then run the jobs sent over ``conn`` until told to stop."""
    _one_thread()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the coordinator
    _log_to(conn, levels)
    try:
        store: JobStore | None = _open_store(spec)
        broken = ""
    except Exception:
        store, broken = None, f"the worker could not open the job store:\n{traceback.format_exc()}"
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        job_json, job_dir = message
        answer = ("failed", broken) if store is None else _run_job(job_json, Path(job_dir), store)
        with _SEND_LOCK:
            conn.send(answer)


# --------------------------------------------------------------------------- coordinator side
def shared_store(store: JobStore) -> bool:
    """Return whether other processes can reach ``store`` (none of its stores is in memory)."""
    return _memory_store(store) is None


def _memory_store(store: JobStore) -> object | None:
    """Return the first of ``store``'s stores that lives in this process's memory, if any."""
    from maggma.stores import MemoryStore, MontyStore

    for sub in [store.docs_store, *(store.additional_stores or {}).values()]:
        if isinstance(sub, MemoryStore) and not isinstance(sub, MontyStore):
            return sub
    return None


def store_spec(store: JobStore) -> str:
    """Return ``store`` as MSON JSON that a worker process can open.

    Raises
    ------
    ConfigurationError
        If the store lives in this process's memory (a maggma ``MemoryStore``), which other
        processes cannot reach.
    """
    from monty.json import MontyEncoder

    sub = _memory_store(store)
    if sub is not None:
        msg = (
            f"workers: the job store ({type(sub).__name__}) lives in this process's memory "
            "and worker processes cannot reach it; use the embedded store or MongoDB, "
            "or workers=1"
        )
        raise ConfigurationError(msg)
    return json.dumps(store, cls=MontyEncoder)


@contextmanager
def _single_thread_environment() -> Iterator[None]:
    """Set :data:`THREAD_VARIABLES` to 1 while a worker is spawned (it copies the environment)."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, ctx: SpawnContext, spec: str, number: int) -> None:
        self.conn, child = ctx.Pipe()
        # the log levels the coordinator has now: a worker sends what it would have logged
        names = ("", "jobflow", "lithiophilic")
        levels = {name: logging.getLogger(name or None).getEffectiveLevel() for name in names}
        self.process: SpawnProcess = ctx.Process(
            target=_worker_main,
            args=(child, spec, levels),
            name=f"lithiophilic-worker-{number}",
        )
        with _single_thread_environment():
            self.process.start()
        child.close()
        self.node: _Node | None = None

    def send(self, node: _Node, job_json: str, job_dir: Path) -> None:
        self.node = node
        # a worker that died while idle: its sentinel tells the coordinator, which fails the job
        with suppress(BrokenPipeError, OSError):
            self.conn.send((job_json, str(job_dir)))

    def death(self) -> str:
        """Say how the process ended."""
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                how = f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
            if -code == signal.SIGKILL:
                how += " (out of memory?)"
        else:
            how = f"exited with code {code}"
        return f"WorkerDied: worker process {self.process.pid} {how} while running this job"

    def close(self) -> None:
        """Ask the process to leave; terminate it if it does not."""
        if self.process.is_alive():
            with suppress(BrokenPipeError, OSError):
                self.conn.send(None)
        self.process.join(_JOIN_TIMEOUT_S if self.node is None else 0.1)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(_JOIN_TIMEOUT_S)
        self.conn.close()


@dataclass(eq=False)
class _Group:
    """A flow being run (a top-level flow, or a job's replace/detour/addition)."""

    label: str
    owner: _Node | None
    chain: Counter[str]
    remaining: int = 0
    bad: bool = False


@dataclass(eq=False)
class _Node:
    """One job: where it sits, what it waits for, how far it got."""

    job: Job
    parents: list[str]
    deps: set[str]
    group: _Group
    key: tuple[int, ...]
    state: str = "waiting"  # waiting, running, diverting, done
    diversions: list[Flow] = field(default_factory=list)
    diverted: int = 0
    diverted_bad: bool = False


@dataclass
class ParallelRun:
    """What a parallel run reports back: the first failed job of each flow label.

    ``first_failure``: label -> ``(uuid, name, reason)`` of its first failed job.
    """

    first_failure: dict[str, tuple[str, str, str]] = field(default_factory=dict)


class _Scheduler:
    """The coordinator: keeps the job graph, hands ready jobs to idle workers."""

    def __init__(
        self,
        runs_dir: Path,
        on_event: Callable[[str, str, str], None],
        on_failure: Callable[[str, str, str], str],
    ) -> None:
        self.runs_dir = runs_dir
        self.on_event = on_event  # (kind, name, uuid)
        self.on_failure = on_failure  # (uuid, name, jobflow's message) -> reason
        self.waiting: list[_Node] = []
        self.incomplete: Counter[str] = Counter()
        self.errored: set[str] = set()
        self.stopped: set[str] = set()
        self.stop_jobflow = False
        self.result = ParallelRun()
        self.started: dict[str, float] = {}
        self.running_names: Counter[str] = Counter()

    # ---- the graph
    def add_flow(self, flow: Flow, group: _Group, key: tuple[int, ...]) -> None:
        """Add the jobs of ``flow`` (a new group) in their serial order."""
        nodes = []
        for position, (job, parents) in enumerate(flow.iterflow()):
            deps = {ref.uuid for ref in job.input_references} | set(parents)
            deps.discard(job.uuid)
            nodes.append(_Node(job, list(parents), deps, group, (*key, position)))
        group.remaining = len(nodes)
        for node in nodes:
            self.incomplete[node.job.uuid] += 1
        self.waiting.extend(nodes)
        self.waiting.sort(key=lambda n: n.key)
        if not nodes:
            self._group_done(group)

    def _ready(self, node: _Node) -> bool:
        chain = node.group.chain
        return all(self.incomplete[u] - chain[u] <= 0 for u in node.deps)

    def next_ready(self, *, force: bool = False) -> _Node | None:
        """Return the first waiting job whose dependencies are done (``force``: the first).

        A job named as a running one waits for it: flows of one study repeat calculations
        (the bulk and slab relaxations of each material) that the store's reuse look-up
        then takes from the first instead of computing them twice side by side.
        """
        if self.stop_jobflow:
            return None
        for i, node in enumerate(self.waiting):
            if force or (self._ready(node) and not self.running_names[node.job.name]):
                return self.waiting.pop(i)
        return None

    def must_skip(self, node: _Node) -> bool:
        """Apply run_locally's checks before a job runs; True if it must not run."""
        from jobflow.core.reference import OnMissing

        if self.stopped.intersection(node.parents):
            logger.info(
                "%s is a child of a job with stop_children=True, skipping...", node.job.name
            )
            self.stopped.add(node.job.uuid)
            return True
        if (
            self.errored.intersection(node.parents)
            and node.job.config.on_missing_references == OnMissing.ERROR
        ):
            self.errored.add(node.job.uuid)
            return True
        return False

    def job_dir(self) -> Path:
        """Make a job folder named as run_locally names them."""
        from jobflow import SETTINGS

        while True:
            now = datetime.now(tz=UTC).strftime(SETTINGS.DIRECTORY_FORMAT)
            path = self.runs_dir / f"job_{now}-{randint(10000, 99999)}"
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return path

    # ---- outcomes
    def started_job(self, node: _Node) -> None:
        node.state = "running"
        self.running_names[node.job.name] += 1
        self.started.setdefault(node.group.label, time.perf_counter())
        self.on_event("started", node.job.name, node.job.uuid)

    def failed_job(self, node: _Node, message: str) -> None:
        """Record a job that raised (or whose worker died); fail it."""
        self._ended(node)
        uuid, name = node.job.uuid, node.job.name
        reason = self.on_failure(uuid, name, message)
        self.result.first_failure.setdefault(node.group.label, (uuid, name, reason))
        self.errored.add(uuid)
        self._complete(node, ok=False)

    def finished_job(self, node: _Node, answer: str) -> None:
        """Take a worker's answer for a job that ran: stop flags, then its diversions."""
        from monty.json import MontyDecoder

        self._ended(node)
        parts = json.loads(answer, cls=MontyDecoder)
        self.on_event("finished", node.job.name, node.job.uuid)
        if parts["stop_children"]:
            self.stopped.add(node.job.uuid)
        if parts["stop_jobflow"]:
            self.stop_jobflow = True
            self._complete(node, ok=False)
            return
        node.diversions = [parts[k] for k in ("replace", "detour", "addition") if parts[k]]
        node.state = "diverting"
        self._next_diversion(node)

    def skipped_job(self, node: _Node) -> None:
        self._complete(node, ok=False)

    def _next_diversion(self, node: _Node) -> None:
        if not node.diversions:
            self._complete(node, ok=not node.diverted_bad)
            return
        flow = node.diversions.pop(0)
        chain = node.group.chain + Counter([node.job.uuid])
        node.diverted += 1
        self.add_flow(flow, _Group(node.group.label, node, chain), (*node.key, node.diverted))

    def _ended(self, node: _Node) -> None:
        """Count a running job as ended (it answered, raised or its worker died)."""
        self.running_names[node.job.name] -= 1

    def _complete(self, node: _Node, *, ok: bool) -> None:
        node.state = "done"
        self.incomplete[node.job.uuid] -= 1
        group = node.group
        group.bad = group.bad or not ok
        group.remaining -= 1
        if group.remaining == 0:
            self._group_done(group)

    def _group_done(self, group: _Group) -> None:
        owner = group.owner
        if owner is None:
            t0 = self.started.get(group.label, time.perf_counter())
            logger.info("%s finished in %.0f s", group.label, time.perf_counter() - t0)
            return
        owner.diverted_bad = owner.diverted_bad or group.bad
        self._next_diversion(owner)


@dataclass(eq=False)
class _Pool:
    """The worker processes and the jobs waiting for one.

    Workers start as jobs need them, at most ``size``; ``pending`` holds started jobs as
    ``(node, job JSON, job folder)``, in order.
    """

    make: Callable[[], _Worker]
    size: int
    workers: list[_Worker] = field(default_factory=list)
    pending: list[tuple[_Node, str, Path]] = field(default_factory=list)

    def send_pending(self) -> int:
        """Give waiting jobs to free workers (starting workers up to ``size``); return how many."""
        sent = 0
        while self.pending:
            idle = [w for w in self.workers if w.node is None]
            if idle:
                worker = idle[0]
            elif len(self.workers) < self.size:
                worker = self.make()
                self.workers.append(worker)
            else:
                break
            worker.send(*self.pending.pop(0))
            sent += 1
        return sent


def _job_failed(scheduler: _Scheduler, node: _Node, text: str) -> None:
    """Fail ``node`` with the traceback ``text`` as run_locally reports it."""
    message = f"{node.job.name} failed with exception:\n{text}"
    _RUN_LOCALLY_LOGGER.info(message)
    scheduler.failed_job(node, message)


def _dispatch(scheduler: _Scheduler, pool: _Pool, store: JobStore, running: int) -> int:
    """Start ready jobs; return how many jobs run in workers now.

    A job of lithiophilic is tried here first, with calculators deferred
    (:func:`_run_job` ``here``): a job whose result is stored, or that only builds
    structures or flows, finishes without a worker; one that asks for a calculator goes to
    a worker. Jobs are tried only while none waits for a worker, so workers stay busy.
    """
    from monty.json import MontyEncoder

    while True:
        running += pool.send_pending()
        if pool.pending:
            return running
        node = scheduler.next_ready()
        if node is None and running == 0 and scheduler.waiting and not scheduler.stop_jobflow:
            # nothing runs and nothing is ready: run_locally would run the next job in order
            node = scheduler.next_ready(force=True)
        if node is None:
            return running
        if scheduler.must_skip(node):
            scheduler.skipped_job(node)
            continue
        scheduler.started_job(node)
        try:
            job_json = json.dumps(node.job, cls=MontyEncoder)
        except Exception:
            text = f"{node.job.name} failed with exception:\n{traceback.format_exc()}"
            scheduler.failed_job(node, text)
            continue
        job_dir = scheduler.job_dir()
        if _runs_here_first(node.job):
            status, text = _try_here(job_json, job_dir, store)
            if status == "ok":
                scheduler.finished_job(node, text)
                continue
            if status == "failed":
                _job_failed(scheduler, node, text)
                continue
        pool.pending.append((node, job_json, job_dir))


def _answer(worker: _Worker) -> tuple[str, Any]:
    """Read what ``worker`` sent, relaying log records; return its answer ('' if none yet)."""
    while worker.conn.poll():
        try:
            status, text = worker.conn.recv()
        except (EOFError, OSError):
            return "died", ""
        if status != "log":
            return status, text
        relay_log(text)
    return "", ""


def _collect(scheduler: _Scheduler, workers: list[_Worker], make: Callable[[], _Worker]) -> int:
    """Wait for answers (or deaths) of busy workers and apply them; return how many ended."""
    from multiprocessing.connection import wait

    busy = [w for w in workers if w.node is not None]
    handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
    ready = set(wait(handles))
    ended = 0
    for worker in busy:
        node = worker.node
        assert node is not None
        status, text = _answer(worker)
        if not status and worker.process.sentinel in ready and not worker.conn.poll():
            status = "died"
        if not status:
            continue
        ended += 1
        worker.node = None
        if status == "ok":
            scheduler.finished_job(node, text)
        elif status == "failed":
            _job_failed(scheduler, node, text)
        else:
            worker.process.join(1.0)
            why = worker.death()
            logger.error("%s (%s): %s", node.job.name, node.job.uuid, why)
            scheduler.failed_job(node, why)
            worker.close()
            workers[workers.index(worker)] = make()
    return ended


def run_flows_parallel(
    flows: Mapping[str, Flow],
    store: JobStore,
    *,
    runs_dir: Path,
    workers: int,
    on_event: Callable[[str, str, str], None],
    on_failure: Callable[[str, str, str], str],
) -> ParallelRun:
    """Run ``flows`` with ``workers`` worker processes into ``store`` (see the module docstring).

    Parameters
    ----------
    flows
        Label -> flow.
    store
        The job store; each worker opens its own connection from :func:`store_spec`.
    runs_dir
        Where each job gets its folder (``job_<time>-<random>``, as ``run_locally``).
    workers
        Number of worker processes (at least 1).
    on_event
        Called with ``(kind, name, uuid)`` as jobs start (``started``) and end well
        (``finished``).
    on_failure
        Called with ``(uuid, name, message)`` for a job that raised (jobflow's
        ``'<name> failed with exception:'`` and the traceback) or whose worker died; returns
        the one-line reason.

    Returns
    -------
    ParallelRun
        The first failed job of each label.

    Raises
    ------
    ConfigurationError
        If ``workers`` < 1, or the store lives in this process's memory.
    """
    import multiprocessing

    from threadpoolctl import threadpool_limits

    if workers < 1:
        msg = f"workers: {workers} is not a number of worker processes; give 1 or more"
        raise ConfigurationError(msg)
    spec = store_spec(store)
    scheduler = _Scheduler(runs_dir, on_event, on_failure)
    for index, (label, flow) in enumerate(flows.items()):
        scheduler.add_flow(flow, _Group(label, None, Counter()), (index,))
    ctx = multiprocessing.get_context("spawn")
    numbers = itertools.count()

    def make() -> _Worker:
        return _Worker(ctx, spec, next(numbers))

    pool = _Pool(make, workers)
    # jobs tried here evaluate numerics on one thread, as in the workers (same bits either way)
    limits = threadpool_limits(limits=1)
    try:
        running = 0
        while True:
            running = _dispatch(scheduler, pool, store, running)
            if running == 0:
                break
            running -= _collect(scheduler, pool.workers, make)
    finally:
        limits.restore_original_limits()
        for worker in pool.workers:
            worker.close()
    return scheduler.result
