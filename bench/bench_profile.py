"""Profile the paper campaign: where the wall time goes, per stage and per category (issue 21).

Runs ``lithiophilic paper [--quick]`` exactly as a user does, in a fresh database, with an
instrumentation loaded through a ``sitecustomize`` into the ``paper`` process and, with
``-- --stage-processes``, into every stage's own interpreter (``lithiophilic.studies.runner``)
(nothing in ``src/lithiophilic`` changes). Stages run in the ``paper`` process (the default
since one-process campaigns) are told apart by timing ``studies.runner.run_stage``. In each
instrumented process:

* timers (exclusive, outermost wins) around every ASE calculator evaluation
  (``Calculator.get_property`` and every subclass's ``calculate``: neighbour lists and graph
  building included) -> ``model_evaluation`` (SevenNet-0 and other MLIPs), ``gpaw_scf``,
  ``lammps`` by the calculator's class; around ``potentials.registry.get_calculator``
  (building the calculator: sevenn/torch imports and weight load) -> ``model_load``; around
  the ``lammps`` module's commands -> ``lammps``; around child processes (GPAW's
  ``mpiexec ... gpaw python``, LAMMPS under ``mpirun``) -> ``gpaw_scf`` / ``lammps``;
* the interpreter's own start (process creation to ``sitecustomize``) -> ``startup_imports``;
* a sampling thread (every ``--interval-ms``, main thread's stack) splits the rest:
  ``startup_imports`` (any importlib frame), ``db_flow`` (jobflow, maggma, montydb,
  mongomock, monty.json, pydantic, emmet), ``optimizer_ase`` (ASE optimiser/filter loop and
  ``run_ase_calc`` around it), ``report_figures`` (matplotlib), ``other`` (structure
  building, analysis, our Python); the same samples give the top functions outside the
  calculator (self and inclusive time).

A sampler costs ~nothing next to cProfile, which would inflate the overhead it measures.
Separately it measures the start-up of a stage process: bare interpreter, importing the
runner and studies, importing sevenn and building SevenNet-0, the first evaluation, and the
slowest imports of ``python -X importtime``.

    .venv/bin/python bench/bench_profile.py            # quick campaign (~8-15 min)
    .venv/bin/python bench/bench_profile.py --full     # full campaign (> 1 h)
    .venv/bin/python bench/bench_profile.py --smoke    # surface stage of Cu only (~1 min quiet)
    .venv/bin/python bench/bench_profile.py --out X.json -- --stage binding -m Cu
    .venv/bin/python bench/bench_profile.py --analyze WORK   # again, or a run cut short

Every process dumps its profile every 60 s and on SIGTERM, so a campaign cut short still
gives the stages it ran (flagged ``partial``).

Writes ``bench/results/profile_paper_quick.json`` (``_full``, ``_smoke``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_DIR = "LITHIO_PROFILE_DIR"

#: Categories, in the order they are reported.
CATEGORIES = (
    "model_evaluation",
    "model_load",
    "optimizer_ase",
    "db_flow",
    "startup_imports",
    "gpaw_scf",
    "lammps",
    "report_figures",
    "worker_idle",
    "other",
)

#: The coordinator's time blocked on its workers; replaced by what the workers did meanwhile.
WAITING = "waiting_for_workers"

_DB_FLOW = (
    "/jobflow/",
    "/maggma/",
    "/montydb/",
    "/mongomock/",
    "/pymongo/",
    "/bson/",
    "/monty/json",
    "/monty/serialization",
    "/pydantic/",
    "/pydantic_core/",
    "/emmet/",
    "/orjson/",
)


# =========================================================================== instrumentation
# (runs inside the instrumented processes; stdlib imports only at module level)
class _Profiler:
    def __init__(self, out_dir: Path, interval_s: float) -> None:
        self.out_dir = out_dir
        self.interval_s = interval_s
        self.t_site = time.time()
        self.t_create = _process_start_time()
        self.main_ident = threading.main_thread().ident
        self.region: str | None = None
        self.region_t0 = 0.0
        self.timed: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.samples: dict[str, int] = {}
        self.region_samples: dict[str, int] = {}
        self.self_fn: dict[str, int] = {}
        self.incl_fn: dict[str, int] = {}
        self.n_untimed = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.marks: list[dict] = []
        self.current: dict | None = None  # the stage running now: name and snapshot before
        self.dump_every_s = float(os.environ.get("LITHIO_PROFILE_DUMP_S", "60"))
        self.finished = False

    def snapshot(self, in_flight: bool = False) -> dict:
        timed = dict(self.timed)
        if in_flight and self.region is not None:  # the region running now, so far
            timed[self.region] = timed.get(self.region, 0.0) + time.perf_counter() - self.region_t0
        with self.lock:
            return {
                "t": time.time(),
                "timed_s": timed,
                "timed_calls": dict(self.calls),
                "untimed_samples": dict(self.samples),
                "n_untimed_samples": self.n_untimed,
                "self_samples": dict(self.self_fn),
                "inclusive_samples": dict(self.incl_fn),
            }

    # ---- exclusive timed regions (main thread, outermost only)
    def enter(self, category: str) -> bool:
        if self.region is not None or threading.get_ident() != self.main_ident:
            return False
        self.region, self.region_t0 = category, time.perf_counter()
        return True

    def leave(self) -> None:
        if self.region is None:
            return
        cat = self.region
        self.timed[cat] = self.timed.get(cat, 0.0) + time.perf_counter() - self.region_t0
        self.calls[cat] = self.calls.get(cat, 0) + 1
        self.region = None

    def wrap(self, fn, category):  # type: ignore[no-untyped-def]
        prof = self

        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            cat = category(args[0]) if callable(category) else category
            entered = prof.enter(cat)
            try:
                return fn(*args, **kwargs)
            finally:
                if entered:
                    prof.leave()

        wrapped.__wrapped__ = fn  # type: ignore[attr-defined]
        wrapped.__name__ = getattr(fn, "__name__", "wrapped")
        wrapped.__doc__ = getattr(fn, "__doc__", None)
        return wrapped

    # ---- sampling
    def run_sampler(self) -> None:
        last_dump = time.time()
        while not self.stop.wait(self.interval_s):
            if time.time() - last_dump > self.dump_every_s:  # a campaign cut short keeps its data
                last_dump = time.time()
                with contextlib.suppress(Exception):  # never disturb the profiled process
                    self.dump(final=False)
            region = self.region
            if region is not None:  # inside a timer: no stack walk (the sampler's own cost)
                self.region_samples[region] = self.region_samples.get(region, 0) + 1
                continue
            frame = sys._current_frames().get(self.main_ident)
            if frame is None:
                continue
            stack = []
            f = frame
            while f is not None:
                stack.append((f.f_code.co_filename, f.f_code.co_name, f.f_code.co_firstlineno))
                f = f.f_back
            cat = classify_stack(stack)
            key = _fn_key(stack[0])
            keys = {_fn_key(s) for s in stack}
            with self.lock:
                self.samples[cat] = self.samples.get(cat, 0) + 1
                self.n_untimed += 1
                self.self_fn[key] = self.self_fn.get(key, 0) + 1
                for k in keys:
                    self.incl_fn[k] = self.incl_fn.get(k, 0) + 1

    def dump(self, final: bool = True) -> None:
        if final:
            self.stop.set()
            if self.region is not None:
                self.leave()
            self.finished = True
        t_exit = time.time()
        try:
            argv = Path("/proc/self/cmdline").read_bytes().decode().split("\0")
        except OSError:
            argv = list(sys.argv)
        marks = [_delta(m["stage"], m["before"], m["after"]) for m in list(self.marks)]
        if not final and self.current is not None:
            part = _delta(
                self.current["stage"], self.current["before"], self.snapshot(in_flight=True)
            )
            marks.append({**part, "partial": True, "in_flight_added": True})
        timed = dict(self.timed)
        if not final and self.region is not None:  # the region running now, so far
            timed[self.region] = timed.get(self.region, 0.0) + time.perf_counter() - self.region_t0
        doc = {
            "pid": os.getpid(),
            "complete": final,
            "stage_marks": marks,
            "argv": [a for a in argv if a],
            "t_create": self.t_create,
            "t_site": self.t_site,
            "t_exit": t_exit,
            "interval_s": self.interval_s,
            "timed_s": timed,
            "timed_calls": self.calls,
            "region_samples": self.region_samples,
            "untimed_samples": self.samples,
            "n_untimed_samples": self.n_untimed,
            "self_samples": dict(sorted(self.self_fn.items(), key=lambda kv: -kv[1])[:60]),
            "inclusive_samples": dict(sorted(self.incl_fn.items(), key=lambda kv: -kv[1])[:200]),
        }
        path = self.out_dir / f"proc-{os.getpid()}.json"
        tmp = path.with_suffix(f".tmp{threading.get_ident()}")
        tmp.write_text(json.dumps(doc))
        tmp.replace(path)


def _delta(stage: str, a: dict, b: dict) -> dict:
    """What happened between two snapshots (one in-process stage)."""

    def sub(x: dict, y: dict) -> dict:
        return {k: v - x.get(k, 0) for k, v in y.items() if v - x.get(k, 0)}

    self_d = sub(a["self_samples"], b["self_samples"])
    incl_d = sub(a["inclusive_samples"], b["inclusive_samples"])
    return {
        "stage": stage,
        "t0": a["t"],
        "t1": b["t"],
        "wall_s": b["t"] - a["t"],
        "timed_s": sub(a["timed_s"], b["timed_s"]),
        "timed_calls": sub(a["timed_calls"], b["timed_calls"]),
        "untimed_samples": sub(a["untimed_samples"], b["untimed_samples"]),
        "n_untimed_samples": b["n_untimed_samples"] - a["n_untimed_samples"],
        "self_samples": dict(sorted(self_d.items(), key=lambda kv: -kv[1])[:60]),
        "inclusive_samples": dict(sorted(incl_d.items(), key=lambda kv: -kv[1])[:200]),
    }


def _fn_key(frame: tuple[str, str, int]) -> str:
    filename, name, line = frame
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})"


def _blocked_on_pipe(stack: list[tuple[str, str, int]]) -> str | None:
    """``worker_idle`` (a worker without a job) or the coordinator waiting for its workers."""
    inner = [f for f, _, _ in stack[:4]]
    if not any(f.endswith(("multiprocessing/connection.py", "selectors.py")) for f in inner):
        return None
    for f, name, _ in stack:
        if f.endswith("lithiophilic/studies/parallel.py"):
            return {"_worker_main": "worker_idle", "_collect": WAITING}.get(name)
    return None


def classify_stack(stack: list[tuple[str, str, int]]) -> str:
    """Category of a sample outside every timed region; ``stack`` innermost first."""
    files = [s[0] for s in stack]
    blocked = _blocked_on_pipe(stack)
    if blocked:
        return blocked
    if any("importlib._bootstrap" in f or "<frozen importlib" in f for f in files):
        return "startup_imports"
    for f in files:  # innermost categorising frame decides the flow/db part
        if any(p in f for p in _DB_FLOW):
            return "db_flow"
        if "/ase/" in f or "/lithiophilic/" in f or "/matplotlib/" in f:
            break
    for f, name, _ in stack:
        if "/ase/optimize/" in f or "/ase/filters" in f:
            return "optimizer_ase"
        if f.endswith("lithiophilic/workflows/base.py") and name in ("run_ase_calc", "_relax"):
            return "optimizer_ase"
    for f in files:
        if "/gpaw/" in f:
            return "gpaw_scf"
        if "/lammps/" in f:
            return "lammps"
        if "/sevenn/" in f or "/torch/" in f:
            return "model_evaluation"
        if "/matplotlib/" in f:
            return "report_figures"
    return "other"


def _process_start_time() -> float:
    """Creation time of this process (epoch seconds), from /proc."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        btime = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration):
        return time.time()


def _calc_category(calc: object) -> str:
    cls = type(calc)
    name = f"{cls.__module__}.{cls.__name__}".lower()
    if "gpaw" in name:
        return "gpaw_scf"
    if "lammps" in name:
        return "lammps"
    return "model_evaluation"


def _patch_calculator(prof: _Profiler, mod) -> None:  # type: ignore[no-untyped-def]
    calc_cls = mod.Calculator
    calc_cls.get_property = prof.wrap(calc_cls.get_property, _calc_category)

    def init_subclass(cls, **kwargs):  # type: ignore[no-untyped-def]
        if "calculate" in cls.__dict__:
            cls.calculate = prof.wrap(cls.__dict__["calculate"], _calc_category)

    calc_cls.__init_subclass__ = classmethod(init_subclass)


def _patch_registry(prof: _Profiler, mod) -> None:  # type: ignore[no-untyped-def]
    mod.get_calculator = prof.wrap(mod.get_calculator, "model_load")


def _patch_runner(prof: _Profiler, mod) -> None:  # type: ignore[no-untyped-def]
    orig = mod.run_stage

    def run_stage(stage, *args, **kwargs):  # type: ignore[no-untyped-def]
        before = prof.snapshot()
        prof.current = {"stage": stage, "before": before}
        try:
            return orig(stage, *args, **kwargs)
        finally:
            prof.current = None
            prof.marks.append({"stage": stage, "before": before, "after": prof.snapshot()})

    mod.run_stage = run_stage


def _patch_lammps(prof: _Profiler, mod) -> None:  # type: ignore[no-untyped-def]
    cls = getattr(mod, "lammps", None)
    if not isinstance(cls, type):
        return
    for name in ("__init__", "command", "commands_list", "commands_string", "file"):
        if name in cls.__dict__:
            setattr(cls, name, prof.wrap(cls.__dict__[name], "lammps"))


def _patch_subprocess(prof: _Profiler) -> None:
    import subprocess

    popen = subprocess.Popen
    orig_init, orig_wait = popen.__init__, popen.wait

    def init(self, args, *a, **kw):  # type: ignore[no-untyped-def]
        text = " ".join(map(str, args)) if isinstance(args, list | tuple) else str(args)
        cat = "subprocess_other"
        if "gpaw" in text:
            cat = "gpaw_scf"
        elif "lmp" in text or "md_engine" in text or "lammps" in text:
            cat = "lammps"
        elif "lithiophilic.studies.runner" in text:
            cat = "stage_process"
        self._bp_entered = prof.enter(cat)
        try:
            orig_init(self, args, *a, **kw)
        except BaseException:
            if self._bp_entered:
                prof.leave()
            raise

    def wait(self, *a, **kw):  # type: ignore[no-untyped-def]
        try:
            return orig_wait(self, *a, **kw)
        finally:
            if getattr(self, "_bp_entered", False) and self.returncode is not None:
                self._bp_entered = False
                prof.leave()

    popen.__init__ = init
    popen.wait = wait


class _PostImportFinder:
    """Meta-path finder that runs a patch right after a target module executes."""

    def __init__(self, hooks: dict[str, object]) -> None:
        self.hooks = hooks
        self.busy: set[str] = set()

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name not in self.hooks or name in self.busy:
            return None
        import importlib.util

        self.busy.add(name)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.busy.discard(name)
        if spec is None or spec.loader is None:
            return spec
        loader, hook = spec.loader, self.hooks[name]
        orig_exec = loader.exec_module

        def exec_module(module):  # type: ignore[no-untyped-def]
            orig_exec(module)
            hook(module)  # type: ignore[operator]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def activate() -> None:
    """Install the instrumentation in this process (called from the generated sitecustomize)."""
    out = os.environ.get(ENV_DIR)
    if not out:
        return
    try:
        cmd = Path("/proc/self/cmdline").read_bytes().decode()
    except OSError:
        return
    if "lithiophilic.studies.runner" not in cmd and not (
        "lithiophilic\0paper" in cmd
        or "lithiophilic/__main__" in cmd
        or "spawn_main" in cmd  # a worker process (studies.parallel), spawned by the above
    ):
        return
    prof = _Profiler(Path(out), float(os.environ.get("LITHIO_PROFILE_INTERVAL_S", "0.01")))
    sys.meta_path.insert(
        0,
        _PostImportFinder(
            {
                "ase.calculators.calculator": lambda m: _patch_calculator(prof, m),
                "lithiophilic.potentials.registry": lambda m: _patch_registry(prof, m),
                "lithiophilic.studies.runner": lambda m: _patch_runner(prof, m),
                "lammps.core": lambda m: _patch_lammps(prof, m),
                "lammps": lambda m: _patch_lammps(prof, m),
            }
        ),
    )
    _patch_subprocess(prof)
    threading.Thread(target=prof.run_sampler, daemon=True, name="bench-profile").start()
    atexit.register(prof.dump)

    def on_term(signum, frame):  # type: ignore[no-untyped-def]
        prof.dump(final=False)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)


# =========================================================================== analysis
def process_breakdown(doc: dict) -> dict:
    """Seconds per category of one instrumented process or of one in-process stage (mark)."""
    if "wall_s" in doc:
        wall, interp = doc["wall_s"], 0.0
    else:
        wall = doc["t_exit"] - doc["t_create"]
        interp = max(0.0, doc["t_site"] - doc["t_create"])
    timed = dict(doc["timed_s"])
    untimed_wall = max(0.0, wall - interp - sum(timed.values()))
    n = max(1, doc["n_untimed_samples"])
    seconds = dict.fromkeys(CATEGORIES, 0.0)
    seconds["startup_imports"] += interp
    for cat, s in timed.items():
        seconds[cat] = seconds.get(cat, 0.0) + s
    for cat, k in doc["untimed_samples"].items():
        seconds[cat] = seconds.get(cat, 0.0) + untimed_wall * k / n
    per_sample = untimed_wall / n
    idle = ("selectors.py", "multiprocessing/connection.py")  # waiting on a pipe, not work
    top_self = [
        {"function": f, "self_s": round(k * per_sample, 2)}
        for f, k in doc["self_samples"].items()
        if not any(s in f for s in idle)
    ][:15]
    skip = ("bench_profile", "threading.py", "<frozen", "runpy.py")
    top_incl = [
        {"function": f, "inclusive_s": round(k * per_sample, 2)}
        for f, k in doc["inclusive_samples"].items()
        if not any(s in f for s in skip)
    ][:25]
    return {
        "wall_s": wall,
        "interpreter_init_s": interp,
        "seconds": seconds,
        "timed_calls": doc["timed_calls"],
        "n_samples_outside_timers": doc["n_untimed_samples"],
        "top_self_outside_calculator": top_self,
        "top_inclusive_outside_calculator": top_incl,
    }


STAGE_OF_STUDY = {
    "surface": "surface",
    "pdos": "pdos",
    "li_sites": "binding",
    "li_layers": "binding",
    "verify": "verify",
    "aggregation": "md",
}


def _stage_name(argv: list[str]) -> str:
    for a in argv:
        if a in STAGE_OF_STUDY:
            return STAGE_OF_STUDY[a]
    return "unknown"


def _fractions(seconds: dict[str, float], wall: float) -> dict[str, dict[str, float]]:
    return {
        c: {"s": round(s, 2), "fraction": round(s / wall, 4) if wall else 0.0}
        for c, s in seconds.items()
        if s > 0 or c in CATEGORIES
    }


def _add_in_flight(doc: dict) -> None:
    """Give a partial stage the timed region that was still running at the dump.

    (Dumps before this fix left it out of the stage, which then spread that time over
    its samples.) The process's timers minus every stage's are that region's time so far.
    """
    marks = doc.get("stage_marks", [])
    partial = [m for m in marks if m.get("partial")]
    if not partial or partial[-1].get("in_flight_added"):
        return
    for cat, total in doc["timed_s"].items():
        missing = total - sum(m["timed_s"].get(cat, 0.0) for m in marks)
        if missing > 1.0:
            partial[-1]["timed_s"][cat] = partial[-1]["timed_s"].get(cat, 0.0) + missing
    partial[-1]["in_flight_added"] = True


def _is_worker(doc: dict) -> bool:
    return any("spawn_main" in a for a in doc["argv"])


def _merge_top(lists: list[list[dict]], key: str, n: int) -> list[dict]:
    acc: dict[str, float] = {}
    for rows in lists:
        for row in rows:
            acc[row["function"]] = acc.get(row["function"], 0.0) + row[key]
    top = sorted(acc.items(), key=lambda kv: -kv[1])[:n]
    return [{"function": f, key: round(v, 2)} for f, v in top]


def _with_workers(stage: dict, workers: list[dict]) -> dict:
    """A stage's breakdown with the coordinator's waiting replaced by what its workers did.

    The stage's process-seconds are the coordinator's own (its time blocked on the workers
    left out) plus every worker's whole life (start-up, jobs, and ``worker_idle``: alive
    without a job). Each category's share of those process-seconds, times the stage's wall,
    is its wall-equivalent: on 2 cores with 2 workers this is the share of the machine.
    """
    if not workers:
        return stage
    process_s = {c: v for c, v in stage["seconds"].items() if c != WAITING}
    for w in workers:
        for c, v in w["seconds"].items():
            process_s[c] = process_s.get(c, 0.0) + v
    total = sum(max(v, 0.0) for v in process_s.values()) or 1.0
    wall = stage["wall_s"]
    calls = dict(stage["timed_calls"])
    for w in workers:
        for c, k in w["timed_calls"].items():
            calls[c] = calls.get(c, 0) + k
    return {
        **stage,
        "seconds": {c: wall * max(v, 0.0) / total for c, v in process_s.items()},
        "process_seconds": {c: round(v, 2) for c, v in process_s.items()},
        "coordinator_waiting_s": round(stage["seconds"].get(WAITING, 0.0), 1),
        "n_worker_processes": len(workers),
        "worker_process_s": round(sum(w["wall_s"] for w in workers), 1),
        "timed_calls": calls,
        "n_samples_outside_timers": stage["n_samples_outside_timers"]
        + sum(w["n_samples_outside_timers"] for w in workers),
        "top_self_outside_calculator": _merge_top(
            [stage["top_self_outside_calculator"]]
            + [w["top_self_outside_calculator"] for w in workers],
            "self_s",
            15,
        ),
        "top_inclusive_outside_calculator": _merge_top(
            [stage["top_inclusive_outside_calculator"]]
            + [w["top_inclusive_outside_calculator"] for w in workers],
            "inclusive_s",
            25,
        ),
    }


def _split_stages(procs: list[dict]) -> tuple[dict[str, dict], dict | None]:
    """Per-stage breakdowns (child processes or in-process marks) and the driver's own part.

    Worker processes (``studies.parallel``, spawned) go to the stage whose time window holds
    their midpoint; see :func:`_with_workers`.
    """
    stages: dict[str, dict] = {}
    driver = None
    in_process: dict[str, dict] = {}
    windows: dict[str, tuple[float, float]] = {}
    workers: list[dict] = []
    for doc in procs:
        if _is_worker(doc):
            workers.append(doc)
            continue
        b = process_breakdown(doc)
        if any("lithiophilic.studies.runner" in a for a in doc["argv"]):
            name = _stage_name(doc["argv"])
            stages[name] = b
            windows[name] = (doc["t_create"], doc["t_exit"])
        else:
            driver = b
            _add_in_flight(doc)
            for mark in doc.get("stage_marks", []):
                in_process[mark["stage"]] = {
                    **process_breakdown(mark),
                    "partial": bool(mark.get("partial")),
                }
                if "t0" in mark:
                    windows.setdefault(mark["stage"], (mark["t0"], mark["t1"]))
    for name, b in in_process.items():  # stages run in the driver (the default since 0adb16c)
        if "stage_process" not in b["seconds"] or not b["seconds"]["stage_process"]:
            stages.setdefault(name, b)
    if driver is not None and in_process:  # the driver's own part: start-up, report
        own = dict(driver["seconds"])
        for name, b in in_process.items():
            if name in stages and stages[name] is b:
                for c, sec in b["seconds"].items():
                    own[c] = own.get(c, 0.0) - sec
        driver = {**driver, "seconds": own}
    by_stage: dict[str, list[dict]] = {}
    for doc in workers:
        mid = 0.5 * (doc["t_create"] + doc["t_exit"])
        name = next((n for n, (a, b) in windows.items() if a <= mid <= b), "unassigned")
        by_stage.setdefault(name, []).append(process_breakdown(doc))
    for name in list(stages):
        stages[name] = _with_workers(stages[name], by_stage.pop(name, []))
    if driver is not None and by_stage:  # workers outside every stage: count them as the driver's
        extra = [w for ws in by_stage.values() for w in ws]
        driver = _with_workers(driver, extra)
    return stages, driver


def summarize(prof_dir: Path, total_wall: float) -> dict:
    procs = [json.loads(p.read_text()) for p in sorted(prof_dir.glob("proc-*.json"))]
    stages, driver = _split_stages(procs)
    totals = dict.fromkeys(CATEGORIES, 0.0)
    for b in stages.values():
        for c, sec in b["seconds"].items():
            totals[c] = totals.get(c, 0.0) + sec
    if driver is not None:  # the driver's own work (waiting for stages excluded)
        for c, sec in driver["seconds"].items():
            if c not in ("stage_process", WAITING):
                totals[c] = totals.get(c, 0.0) + sec
    out_stages = {}
    for name, b in stages.items():
        out_stages[name] = {
            "partial": b.get("partial", False),
            "wall_s": round(b["wall_s"], 1),
            "interpreter_init_s": round(b["interpreter_init_s"], 2),
            "categories": _fractions(b["seconds"], b["wall_s"]),
            "timed_calls": b["timed_calls"],
            "n_samples_outside_timers": b["n_samples_outside_timers"],
            "top_self_outside_calculator": b["top_self_outside_calculator"],
            "top_inclusive_outside_calculator": b["top_inclusive_outside_calculator"],
        }
        if "process_seconds" in b:
            out_stages[name]["workers"] = {
                "note": "categories above are wall-equivalents: each category's share of the "
                "stage's process-seconds (the coordinator's own, without its waiting, plus "
                "every worker's life) times the stage's wall",
                "n_worker_processes": b["n_worker_processes"],
                "worker_process_s": b["worker_process_s"],
                "coordinator_waiting_s": b["coordinator_waiting_s"],
                "process_seconds": b["process_seconds"],
            }
    out_driver = None
    if driver is not None:
        own = {c: s for c, s in driver["seconds"].items() if c not in ("stage_process", WAITING)}
        out_driver = {
            "note": "the 'lithiophilic paper' process outside its stages: interpreter, imports, "
            "options, opening the store, collecting results, figures and report",
            "process_wall_s": round(driver["wall_s"], 1),
            "waiting_for_stage_processes_s": round(driver["seconds"].get("stage_process", 0), 1),
            "outside_stages_s": round(sum(own.values()), 1),
            "categories_s": {c: round(max(v, 0.0), 2) for c, v in own.items() if v > 0.005},
            "categories_note": "process total minus its stages; sampled categories carry a "
            "few seconds of sampling error (a slightly negative difference is shown as 0)",
            "top_inclusive_whole_process": driver["top_inclusive_outside_calculator"][:15],
        }
    accounted = sum(totals.values())
    return {
        "stages": out_stages,
        "driver_outside_stages": out_driver,
        "totals": _fractions(totals, total_wall),
        "accounted_s": round(accounted, 1),
    }


def summary_line(totals: dict[str, dict[str, float]]) -> str:
    f = {c: 100 * v["fraction"] for c, v in totals.items()}
    start = f.get("startup_imports", 0) + f.get("model_load", 0)
    inside = f.get("model_evaluation", 0) + f.get("gpaw_scf", 0) + f.get("lammps", 0)
    return (
        f"{inside:.0f} % inside model or DFT evaluation (target 90 %): "
        f"{f.get('model_evaluation', 0):.0f} % model evaluation (SevenNet-0), "
        f"{f.get('gpaw_scf', 0):.0f} % GPAW SCF, {f.get('lammps', 0):.0f} % LAMMPS, "
        f"{f.get('optimizer_ase', 0):.0f} % optimiser + ASE, {f.get('db_flow', 0):.0f} % "
        f"database/flow, {start:.0f} % process start-up, imports and model load, "
        f"{f.get('report_figures', 0):.0f} % report figures, "
        f"{f.get('worker_idle', 0):.0f} % workers idle (waiting for a job), "
        f"{f.get('other', 0):.0f} % other"
    )


# =========================================================================== start-up costs
_STARTUP_SNIPPET = r"""
import json, time
t0 = time.perf_counter()
import lithiophilic.cli  # what 'lithiophilic paper' imports: every study, workflow, atomate2
t1 = time.perf_counter()
import sevenn.calculator
t2 = time.perf_counter()
from lithiophilic.potentials import get_calculator
calc = get_calculator("sevenn")
t3 = time.perf_counter()
from ase.build import bulk
atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 2))
atoms.calc = calc
atoms.get_potential_energy()
t4 = time.perf_counter()
atoms.rattle(0.01, seed=1)
atoms.get_forces()
t5 = time.perf_counter()
print(json.dumps({"import_lithiophilic_cli_s": t1 - t0, "import_sevenn_s": t2 - t1,
                  "build_sevennet0_s": t3 - t2, "first_evaluation_32_atoms_s": t4 - t3,
                  "second_evaluation_32_atoms_s": t5 - t4}))
"""


def measure_startup(py: str) -> dict:
    import subprocess

    env = {**os.environ}
    env.pop(ENV_DIR, None)
    t0 = time.perf_counter()
    subprocess.run([py, "-c", "pass"], check=True, env=env)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = subprocess.run(
        [py, "-c", _STARTUP_SNIPPET], check=True, capture_output=True, text=True, env=env
    )
    total = time.perf_counter() - t0
    parts = json.loads(res.stdout.strip().splitlines()[-1])
    imp = subprocess.run(
        [py, "-X", "importtime", "-c", "import lithiophilic.cli, sevenn.calculator"],
        capture_output=True,
        text=True,
        env=env,
    )
    rows = []
    for line in imp.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        cols = line.split("|")
        rows.append((int(cols[1]), int(cols[0].split(":")[1]), cols[2].rstrip()))
    top_level = sorted([r for r in rows if not r[2].startswith("  ")], key=lambda r: -r[0])[:12]
    top_self = sorted(rows, key=lambda r: -r[1])[:12]
    return {
        "bare_interpreter_s": round(bare, 3),
        "startup_script_total_s": round(total, 2),
        **{k: round(v, 3) for k, v in parts.items()},
        "importtime_top_cumulative_s": [
            {"module": n.strip(), "cumulative_s": round(c / 1e6, 3)} for c, _, n in top_level
        ],
        "importtime_top_self_s": [
            {"module": n.strip(), "self_s": round(s / 1e6, 3)} for _, s, n in top_self
        ],
        "per_stage_process_estimate_s": round(
            bare
            + parts["import_lithiophilic_cli_s"]
            + parts["import_sevenn_s"]
            + parts["build_sevennet0_s"],
            2,
        ),
    }


# =========================================================================== driver
def _write_sitecustomize(hook_dir: Path) -> None:
    hook_dir.mkdir(parents=True, exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "try:\n"
        "    import bench_profile as _bp\n"
        "    _bp.activate()\n"
        "finally:\n"
        "    sys.path.pop(0)\n"
    )


def run_campaign(work: Path, quick: bool, extra: list[str], interval_s: float) -> dict:
    import subprocess

    prof_dir, hook = work / "profile", work / "hook"
    prof_dir.mkdir(parents=True, exist_ok=True)
    _write_sitecustomize(hook)
    env = {**os.environ, ENV_DIR: str(prof_dir), "LITHIO_PROFILE_INTERVAL_S": str(interval_s)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
    env["LITHIOPHILIC_DATA"] = str(work / "data")
    cmd = [sys.executable, "-m", "lithiophilic", "paper", "--out", str(work / "report")]
    cmd += ["--data-dir", str(work / "data"), *(["--quick"] if quick else []), *extra]
    t0 = time.perf_counter()
    with open(work / "paper.log", "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    wall = time.perf_counter() - t0
    claims_path = work / "report" / "claims.json"
    stages = []
    if claims_path.is_file():
        claims = json.loads(claims_path.read_text())
        stages = [
            {k: s[k] for k in ("name", "status", "wall_s", "peak_rss_mib")}
            for s in claims["stages"]
        ]
    return {"returncode": proc.returncode, "wall_s": round(wall, 1), "stages_reported": stages}


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the full campaign (> 1 h)")
    parser.add_argument(
        "--smoke", action="store_true", help="surface stage of Cu only (< 1 min; checks the tool)"
    )
    parser.add_argument("--work", default=None, help="working directory (kept; default temp)")
    parser.add_argument("--out", default=None, help="output JSON")
    parser.add_argument("--interval-ms", type=float, default=10.0, help="sampling interval")
    parser.add_argument(
        "--analyze", default=None, metavar="WORK", help="only re-analyse an earlier --work dir"
    )
    parser.add_argument(
        "--note", default=None, help="what else ran on the machine meanwhile (stored as is)"
    )
    parser.add_argument("extra", nargs="*", help="more 'paper' options (after --)")
    args = parser.parse_args()
    tag = "smoke" if args.smoke else ("full" if args.full else "quick")
    out_path = Path(args.out or ROOT / "bench" / "results" / f"profile_paper_{tag}.json")
    extra = list(args.extra)
    if args.smoke:
        extra += ["--stage", "surface", "--material", "Cu"]
    with tempfile.TemporaryDirectory(prefix="lithio-profile-") as tmp:
        work = Path(args.analyze or args.work or tmp)
        if args.analyze and (work / "run.json").is_file():
            run = json.loads((work / "run.json").read_text())
        elif args.analyze:  # a campaign cut short: the instrumented processes' periodic dumps
            docs = [json.loads(p.read_text()) for p in (work / "profile").glob("proc-*.json")]
            t0 = min(d["t_create"] for d in docs)
            run = {"partial": True, "wall_s": round(max(d["t_exit"] for d in docs) - t0, 1)}
        else:
            work.mkdir(parents=True, exist_ok=True)
            run = run_campaign(work, not args.full, extra, args.interval_ms / 1000)
            (work / "run.json").write_text(json.dumps(run))
            print(json.dumps(run), flush=True)
        breakdown = summarize(work / "profile", run["wall_s"])
        startup = measure_startup(sys.executable)
    doc = {
        "benchmark": f"profile of lithiophilic paper{'' if args.full else ' --quick'}"
        + (" (smoke: surface stage, Cu)" if args.smoke else ""),
        "command": "bench/bench_profile.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_end": os.getloadavg(),
        "method": "timers around ASE Calculator.get_property/calculate (model_evaluation, "
        "gpaw_scf, lammps by calculator class), registry.get_calculator (model_load), lammps "
        "module commands and child processes (GPAW mpiexec, LAMMPS mpirun); interpreter "
        f"start from /proc; the rest split by {args.interval_ms:g} ms stack samples of the "
        "main thread (importlib -> startup_imports, jobflow/maggma/montydb/pydantic/monty.json "
        "-> db_flow, ASE optimiser loop -> optimizer_ase, matplotlib -> report_figures, a "
        "worker blocked on its pipe -> worker_idle). The same instrumentation runs in the "
        "spawned worker processes of studies.parallel; a stage's categories are "
        "wall-equivalents: its coordinator's own seconds (its wait for the workers left out) "
        "plus its workers' seconds, as shares of that sum, times the stage's wall",
        "machine_note": args.note,
        "campaign": run,
        **breakdown,
        "startup_measured_separately": startup,
        "summary": summary_line(breakdown["totals"]),
    }
    if run.get("partial"):
        done = [k for k, v in breakdown["stages"].items() if not v["partial"]]
        doc["note"] = (
            f"campaign cut short after {run['wall_s']:.0f} s (stages complete: {done}; the "
            "partial stage counts up to the last dump): the fractions cover only what ran"
        )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(doc, indent=1))
    print(doc["summary"])
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
