r"""Run studies from saved ``Options``: the process of a campaign stage.

::

    python -m lithiophilic.studies.runner [--data-dir D] [--store S] [--results DIR] \
        STUDY OPTIONS.json [STUDY OPTIONS.json ...]

loads each study's ``Options`` from its file (written by
:meth:`~lithiophilic.studies.base.StudyOptions.save`), calls the study's ``run`` and writes
its ``Result`` to ``RESULTS/STUDY.json``. Exit status: 0 when every study completed, 1 when
a flow failed or a study raised, 2 when the input was rejected before any job ran
(:class:`~lithiophilic.errors.ConfigurationError`, nothing stored). Nothing here parses
``lithiophilic`` command-line flags: the settings are the files.

:func:`run_stage` is how :func:`lithiophilic.studies.paper.run` runs a stage: in this
process (the default: the study modules, torch and the MLIP are loaded once for the whole
campaign; peak memory sampled, :class:`RssSampler`), or in such a child process (isolation:
a crash or a leak ends with the stage; wall time and peak memory from ``os.wait4``); either
way it returns a :class:`StageRun`.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lithiophilic.errors import LithiophilicError
from lithiophilic.studies import panels_of

if TYPE_CHECKING:
    from jobflow import JobStore

    from lithiophilic.studies.base import StudyOptions

__all__ = ["RssSampler", "StageRun", "main", "run_saved", "run_stage"]

logger = logging.getLogger("lithiophilic.studies.runner")  # also when run as __main__

#: Exit status of a study whose input was rejected before any job ran.
EXIT_BAD_INPUT = 2

#: What ``StageRun.peak_rss_mib`` measures, by how the stage ran.
RSS_OWN_PROCESS = "high-water mark of the stage's process and its reaped children (os.wait4)"
RSS_SAMPLED = (
    "this process plus its child processes, sampled every 0.2 s during the stage, and the "
    "process high-water mark if the stage raised it (includes what earlier stages still hold)"
)


def run_saved(
    pairs: list[tuple[str, Path]],
    *,
    data_dir: Path | None = None,
    store: JobStore | str | None = None,
    results_dir: Path | None = None,
    collected: dict[str, Any] | None = None,
) -> int:
    """Run each ``(study name, options file)`` in turn; return the exit status.

    Parameters
    ----------
    pairs
        Study name (``surface``, ``pdos``, ``li_sites``, ``li_layers``, ``aggregation``) and
        the JSON/YAML file of its ``Options``.
    data_dir, store
        The job store: a ``JobStore``, or ``--data-dir`` / ``--store`` (opened after the
        first study's input checks).
    results_dir
        Where each ``Result`` is written as ``STUDY.json`` (default: not written).
    collected
        If given, each study's ``Result`` object is put there under the study's name.

    Returns
    -------
    int
        0 (all complete), 1 (a flow failed or a study raised) or 2 (input rejected).
    """
    from lithiophilic.db import get_data_dir, get_store
    from lithiophilic.studies import STUDIES, complete_runs
    from lithiophilic.studies.base import use_sqs_cache

    code = 0
    ddir = get_data_dir(data_dir)
    # the SQS searches made while building flows go to the data directory's cache, as in
    # a study's own run (without it a re-run searched again: 6.5 s of a reused quick binding stage)
    use_sqs_cache(ddir)
    job_store = None
    for name, path in pairs:
        try:
            study = STUDIES[name]
        except KeyError:
            logger.error("%s is not a study; choose from %s", name, ", ".join(STUDIES))
            code = max(code, EXIT_BAD_INPUT)
            continue
        try:
            options = study.Options.load(path)
            # input checks before the store is opened; a recorded complete run of these
            # options was checked when it ran, and its flows are built only if it is not stored
            flows = (
                None
                if complete_runs.recorded(ddir, options)
                else complete_runs.built_from_options(study.build_flows(options), options)
            )
            if job_store is None:
                job_store = (
                    get_store(data_dir=ddir, store=store)
                    if store is None or isinstance(store, str)
                    else store
                )
            result = study.run(options, store=job_store, data_dir=ddir, flows=flows)
        except (LithiophilicError, ValueError) as exc:
            logger.error("%s: %s", name, exc)
            # ConfigurationError is a ValueError: input rejected before any job ran
            code = max(code, EXIT_BAD_INPUT if isinstance(exc, ValueError) else 1)
            continue
        except Exception:
            logger.exception("%s failed", name)
            code = max(code, 1)
            continue
        for label, why in result.failed.items():
            logger.error("%s: %s failed: %s", name, label, why)
        if result.failed:
            code = max(code, 1)
        if collected is not None:
            collected[name] = result
        if results_dir is not None:
            results_dir.mkdir(parents=True, exist_ok=True)
            (results_dir / f"{name}.json").write_text(result.model_dump_json(indent=1))
        logger.info(
            "%s: done (%d missing, %d failed)", name, len(result.missing), len(result.failed)
        )
    return code


@dataclass
class StageRun:
    """Outcome of one stage: status, wall time, peak memory, log and options files.

    ``status`` is ``ok``, ``partly failed (exit 1; see log)`` (a flow failed, the rest is
    stored) or ``failed (exit N; see log)`` (exit 2: input rejected, nothing stored).
    ``peak_rss_mib`` is what ``rss_measure`` says; ``start_rss_mib`` (in this process only)
    what the process held when the stage started.
    """

    name: str
    studies: tuple[str, ...]
    status: str
    returncode: int
    wall_s: float
    peak_rss_mib: float
    log: str
    options: list[str] = field(default_factory=list)
    own_process: bool = True
    rss_measure: str = RSS_OWN_PROCESS
    start_rss_mib: float | None = None
    #: Study name -> its ``Result`` as the stage returned it, when the stage ran in this
    #: process (not in :meth:`as_dict`; empty for a stage in its own process).
    results: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def panels(self) -> tuple[str, ...]:
        """Panel ids of the stage's studies."""
        return tuple(p for s in self.studies for p in panels_of(s))

    @property
    def ok(self) -> bool:
        """Whether the stage completed."""
        return self.returncode == 0

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (paths as given)."""
        return {
            "name": self.name,
            "panels": list(self.panels),
            "studies": list(self.studies),
            "status": self.status,
            "returncode": self.returncode,
            "wall_s": self.wall_s,
            "peak_rss_mib": self.peak_rss_mib,
            "own_process": self.own_process,
            "rss_measure": self.rss_measure,
            "start_rss_mib": self.start_rss_mib,
            "log": self.log,
            "options": self.options,
        }


class RssSampler:
    """Peak resident memory (MiB) of this process and its child processes during a block.

    A thread sums the RSS of this process and of all its live descendants (an MPI run,
    LAMMPS) every ``interval_s``; on exit the process's own high-water mark (``ru_maxrss``)
    is taken too when the block raised it, so a spike between two samples of this process is
    not missed (a child's is). Linux ``VmHWM`` cannot be reset, hence the sampling.

    Examples
    --------
    >>> with RssSampler() as rss:
    ...     blob = bytearray(50 * 2**20)
    >>> rss.peak_mib >= rss.start_mib > 0
    True
    """

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.start_mib = 0.0
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="rss-sampler", daemon=True)

    @staticmethod
    def sample_mib() -> float:
        """Return the RSS of this process plus its live descendants now (MiB)."""
        import psutil

        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:  # ended between listing and reading
                continue
        return total / 2**20

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_mib = max(self.peak_mib, self.sample_mib())

    def __enter__(self) -> RssSampler:
        self._hwm0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.start_mib = self.peak_mib = self.sample_mib()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mib = max(self.peak_mib, self.sample_mib())
        hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if hwm > self._hwm0:  # this process's own peak was reached during the block
            self.peak_mib = max(self.peak_mib, hwm)


def _status(code: int, every_result: bool) -> str:
    if code == 0:
        return "ok"
    if code == 1 and every_result:
        return "partly failed (exit 1; see log)"
    return f"failed (exit {code}; see log)"


def _stage_files(
    stage: str, opts: Sequence[StudyOptions], out_dir: Path
) -> tuple[list[tuple[str, Path]], Path, Path]:
    """Save the stage's options; return (study, options file) pairs, its results dir and log."""
    pairs = []
    for o in opts:
        name = type(o).study
        pairs.append((name, o.save(out_dir / "options" / f"{name}.json")))
        (out_dir / "data" / f"{name}.json").unlink(missing_ok=True)  # no earlier run's failures
    log = out_dir / "logs" / f"{stage}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return pairs, out_dir / "data", log


def _stage_run(
    stage: str, pairs: list[tuple[str, Path]], results: Path, log: Path, code: int, **usage: Any
) -> StageRun:
    every = all((results / f"{name}.json").is_file() for name, _ in pairs)
    return StageRun(
        name=stage,
        studies=tuple(name for name, _ in pairs),
        status=_status(code, every),
        returncode=code,
        log=str(log),
        options=[str(f) for _, f in pairs],
        **usage,  # type: ignore[arg-type]
    )


def run_stage(
    stage: str,
    opts: Sequence[StudyOptions],
    *,
    out_dir: Path,
    data_dir: Path,
    store: JobStore | str | None = None,
    own_process: bool = False,
) -> StageRun:
    """Run one campaign stage's studies; never raises for a failed study.

    Each study's options are saved to ``out_dir/options/STUDY.json``, its Result to
    ``out_dir/data/STUDY.json`` and the stage's log to ``out_dir/logs/STAGE.log``.

    Parameters
    ----------
    stage
        Stage name (the log's name).
    opts
        The studies' Options, run in order.
    out_dir
        The campaign's report directory.
    data_dir
        Database directory.
    store
        A ``JobStore``, or ``None`` / a store choice as ``--store`` (opened here, or by the
        child process).
    own_process
        Run the studies in a child process (``python -m lithiophilic.studies.runner``; wall
        time and peak memory from ``os.wait4``): a crash or a leak ends with the stage, at
        the price of an interpreter start, the imports and the model load (about 20 s per
        stage, ``bench/results/paper_quick_startup.json``). False (default): in this process,
        the loaded model reused (:func:`lithiophilic.potentials.get_calculator`), peak memory
        sampled (:class:`RssSampler`). A ``JobStore`` object always runs here.
    """
    if own_process and (store is None or isinstance(store, str)):
        return _run_stage_process(stage, opts, out_dir=out_dir, data_dir=data_dir, store=store)
    return _run_stage_here(stage, opts, out_dir=out_dir, store=store, data_dir=data_dir)


def _run_stage_process(
    stage: str, opts: Sequence[StudyOptions], *, out_dir: Path, data_dir: Path, store: str | None
) -> StageRun:
    """Run one stage in a child process (``python -m lithiophilic.studies.runner run``)."""
    pairs, results, log = _stage_files(stage, opts, out_dir)
    cmd = [sys.executable, "-m", "lithiophilic.studies.runner"]
    cmd += ["--data-dir", str(data_dir), "--results", str(results)]
    cmd += ["--store", store] if store is not None else []
    cmd += [str(x) for pair in pairs for x in pair]
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
        _, wait_status, usage = os.wait4(proc.pid, 0)
    return _stage_run(
        stage,
        pairs,
        results,
        log,
        os.waitstatus_to_exitcode(wait_status),
        wall_s=round(time.perf_counter() - t0, 1),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),
    )


#: Loggers whose records go to the stage's log when it runs in this process (``py.warnings``:
#: the warnings, as a child process writes them to its log).
_STAGE_LOGGERS = ("lithiophilic", "jobflow", "py.warnings")


def _run_stage_here(
    stage: str,
    opts: Sequence[StudyOptions],
    *,
    out_dir: Path,
    store: JobStore | str | None,
    data_dir: Path,
) -> StageRun:
    """Run one stage in this process; its log records and warnings go to the stage's log only.

    As from a child process, they do not reach the root logger's handlers (the console of
    ``lithiophilic paper``) while the stage runs.
    """
    pairs, results, log = _stage_files(stage, opts, out_dir)
    collected: dict[str, Any] = {}
    handler = logging.FileHandler(log, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    watched = [logging.getLogger(name) for name in _STAGE_LOGGERS]
    saved = [(lg.level, lg.propagate) for lg in watched]
    for lg in watched:
        lg.addHandler(handler)
        lg.setLevel(min(lg.level or logging.INFO, logging.INFO))
        lg.propagate = False
    t0 = time.perf_counter()
    try:
        with RssSampler() as rss, warnings.catch_warnings():
            for category in (UserWarning, FutureWarning, DeprecationWarning):
                warnings.filterwarnings("ignore", category=category)  # as in the child process
            logging.captureWarnings(True)
            try:
                code = run_saved(
                    pairs,
                    data_dir=data_dir,
                    store=store,
                    results_dir=results,
                    collected=collected,
                )
            finally:
                logging.captureWarnings(False)
    finally:
        for lg, (level, propagate) in zip(watched, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
        handler.close()
    run = _stage_run(
        stage,
        pairs,
        results,
        log,
        code,
        wall_s=round(time.perf_counter() - t0, 1),
        peak_rss_mib=round(rss.peak_mib, 1),
        start_rss_mib=round(rss.start_mib, 1),
        own_process=False,
        rss_measure=RSS_SAMPLED,
    )
    run.results = collected
    return run


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in ("lithiophilic", "jobflow"):
        logging.getLogger(name).setLevel(logging.INFO)
    for category in (UserWarning, FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m lithiophilic.studies.runner STUDY OPTIONS.json ...``."""
    parser = argparse.ArgumentParser(prog="python -m lithiophilic.studies.runner")
    parser.add_argument(
        "pairs", nargs="+", metavar="STUDY OPTIONS", help="study name, options file"
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--store", default=None)
    parser.add_argument("--results", type=Path, default=None, help="directory of the Results")
    args = parser.parse_args(argv)
    _setup_logging()
    if len(args.pairs) % 2:
        logger.error("give pairs of STUDY OPTIONS.json, got %s", args.pairs)
        return EXIT_BAD_INPUT
    it = iter(args.pairs)
    pairs = [(name, Path(path)) for name, path in zip(it, it, strict=True)]
    return run_saved(pairs, data_dir=args.data_dir, store=args.store, results_dir=args.results)


if __name__ == "__main__":
    sys.exit(main())
