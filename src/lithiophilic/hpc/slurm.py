"""Run jobflow flows as Slurm jobs with dependencies, tracked in the job database.

Design: every job of the flow (nested flows included) becomes one Slurm job whose script
runs ``python -m lithiophilic.hpc.slurm run JOB.json``; a job that needs the output of another
waits for it with ``--dependency=afterok:ID`` (and ``--kill-on-invalid-dep=yes``: when a
parent fails its children are cancelled, not left pending forever). Inputs are read from and
outputs written to the shared job store, so the store must be reachable from the compute
nodes (the embedded store on a shared filesystem, or MongoDB). A job that replaces itself by
a dynamic sub-flow at run time (e.g. "one slab job per termination") runs that sub-flow
inside its own Slurm job; use jobflow-remote (``lithiophilic submit --remote``) to spread
dynamic fan-outs over separate Slurm jobs. Many short jobs: ``SlurmResources(pack=N,
max_jobs=M)`` runs them N to an allocation with at most M allocations queued
(:mod:`lithiophilic.hpc.pack`, through :func:`lithiophilic.hpc.submit.submit_flows_to`).

Every submitted job has a record in the ``lithiophilic_jobs`` collection next to the
outputs (``SUBMITTED`` → ``RUNNING`` → ``COMPLETED``/``FAILED``/``CANCELLED`` with the
reason); :func:`refresh_states` asks Slurm (``scontrol show job``) about jobs that have not
reported back (killed at the time limit, cancelled, node failure).

:func:`submit_command` submits a whole ``lithiophilic`` command line as one tracked job
(``python -m lithiophilic.hpc.slurm command JOB.json``): ``paper --submit slurm`` uses it for the
report job that runs after every stage's jobs.

Rerun a failed or killed submission by submitting the same command again (with more
``--time`` if the time limit killed it): every converged calculation is reused through its
cache key, so only the unfinished work runs again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lithiophilic.errors import ConfigurationError, LithiophilicError

__all__ = [
    "SlurmError",
    "SlurmResources",
    "cancel_jobs",
    "check_sbatch",
    "refresh_states",
    "render_job_script",
    "submit_command",
    "submit_flows",
]

logger = logging.getLogger(__name__)

_TIME_RE = re.compile(r"^(\d+-)?\d{1,2}(:\d{2}){0,2}$|^\d+$")
#: Slurm job states that mean the job ended without success.
_SLURM_FAILED = {
    "FAILED",
    "TIMEOUT",
    "CANCELLED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
}


_TERMINATED = "terminated by Slurm"


class SlurmError(LithiophilicError, RuntimeError):
    """Raised when Slurm refuses a submission (bad partition, account, time, ...)."""


@dataclass
class SlurmResources:
    """Resources of every Slurm job of a submission.

    Parameters
    ----------
    partition
        Slurm partition (``None``: the cluster's default).
    time
        Wall-time limit, Slurm format (``MM``, ``HH:MM:SS``, ``D-HH:MM``).
    ntasks
        Tasks of the allocation. The job runs as one driver process; lithiophilic's GPAW
        calculator starts its own MPI ranks on them (``--nprocs`` defaults to
        ``$SLURM_NTASKS``). Should the job itself be started under ``srun``/``mpirun``, only
        rank 0 writes outputs and states.
    cpus_per_task
        CPU cores per task (``OMP_NUM_THREADS`` is set to it).
    nodes
        Nodes (``None``: Slurm decides).
    account, qos, mem
        Passed through when given.
    extra
        Further ``#SBATCH`` lines, e.g. ``["--gres=gpu:1"]``.
    pre_run
        Shell lines run before the job (module loads, venv activation).
    pack
        Run up to this many jobs one after another inside one Slurm allocation (``None``:
        one sbatch job per job). ``time`` is then the limit of one allocation, for all of
        its jobs. See :mod:`lithiophilic.hpc.pack`.
    max_jobs
        At most this many allocations queued (pending or running) at once; the others are
        submitted by the allocations as they finish. Implies ``pack=1`` when ``pack`` is
        not given. ``None``: everything is queued at submission.
    """

    partition: str | None = None
    time: str = "01:00:00"
    ntasks: int = 1
    cpus_per_task: int = 1
    nodes: int | None = None
    account: str | None = None
    qos: str | None = None
    mem: str | None = None
    extra: list[str] = field(default_factory=list)
    pre_run: str = ""
    pack: int | None = None
    max_jobs: int | None = None

    def __post_init__(self) -> None:
        for option, value in (("--pack", self.pack), ("--max-jobs", self.max_jobs)):
            if value is not None and (isinstance(value, bool) or int(value) < 1):
                msg = f"{option} must be an integer >= 1, got {value!r}; nothing was submitted"
                raise ConfigurationError(msg)
        if not _TIME_RE.match(self.time):
            msg = f"--time: {self.time!r} is not a Slurm time (MM, HH:MM:SS or D-HH:MM:SS)"
            raise ConfigurationError(msg)
        if self.ntasks < 1 or self.cpus_per_task < 1:
            msg = f"--ntasks/--cpus-per-task must be >= 1, got {self.ntasks}/{self.cpus_per_task}"
            raise ConfigurationError(msg)
        if self.partition is not None and not re.fullmatch(r"[\w.,-]+", self.partition):
            msg = f"--partition: {self.partition!r} is not a partition name"
            raise ConfigurationError(msg)

    def sbatch_lines(self) -> list[str]:
        """Return the ``#SBATCH`` option lines."""
        opts = [f"--time={self.time}", f"--ntasks={self.ntasks}"]
        opts.append(f"--cpus-per-task={self.cpus_per_task}")
        for name, val in (
            ("partition", self.partition),
            ("nodes", self.nodes),
            ("account", self.account),
            ("qos", self.qos),
            ("mem", self.mem),
        ):
            if val is not None:
                opts.append(f"--{name}={val}")
        opts += list(self.extra)
        return [f"#SBATCH {o}" for o in opts]


def check_sbatch() -> str:
    """Return the path of ``sbatch``.

    Raises
    ------
    ConfigurationError
        If ``sbatch`` is not on PATH.
    """
    path = shutil.which("sbatch")
    if path is None:
        msg = (
            "scheduler slurm: 'sbatch' was not found on PATH (load the Slurm module or run on a "
            "login node); nothing was submitted"
        )
        raise ConfigurationError(msg)
    return path


_SCRIPT = """#!/bin/bash
#SBATCH --job-name={job_name}
#SBATCH --output={log}
{sbatch_lines}
# generated by lithiophilic submit: job {uuid} ({name}) of flow {flow!r}
set -e
{pre_run}
export OMP_NUM_THREADS=${{SLURM_CPUS_PER_TASK:-1}}
{env}
{launcher}{python} -m lithiophilic.hpc.slurm {mode} {job_file}
"""


def render_job_script(
    *,
    job_file: Path,
    log: Path,
    uuid: str,
    name: str,
    flow_name: str,
    resources: SlurmResources,
    env: dict[str, str],
    python: str | None = None,
    mode: str = "run",
) -> str:
    """Return the sbatch script that runs one serialized job.

    ``mode`` is ``run`` (a jobflow job) or ``command`` (a ``lithiophilic`` command line,
    see :func:`submit_command`).
    """
    safe = re.sub(r"[^\w.-]+", "_", name)[:40] or "job"
    exports = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items()))
    return _SCRIPT.format(
        job_name=f"lith-{safe}",
        log=log,
        sbatch_lines="\n".join(resources.sbatch_lines()),
        uuid=uuid,
        name=name.replace("\n", " "),
        flow=flow_name,
        pre_run=resources.pre_run,
        env=exports,
        launcher="",  # one driver process; GPAW starts its own MPI ranks ($SLURM_NTASKS)
        python=shlex.quote(python or sys.executable),
        mode=mode,
        job_file=shlex.quote(str(job_file)),
    )


def _sbatch(script: Path, dependencies: list[str], *, after_any: Sequence[str] = ()) -> str:
    """Submit ``script`` after ``dependencies`` succeeded and ``after_any`` ended; return its id."""
    cmd = [check_sbatch(), "--parsable"]
    spec = [f"afterok:{':'.join(dependencies)}"] if dependencies else []
    spec += [f"afterany:{':'.join(after_any)}"] if after_any else []
    if spec:
        cmd += [f"--dependency={','.join(spec)}", "--kill-on-invalid-dep=yes"]
    cmd.append(str(script))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        err = (proc.stderr or proc.stdout).strip().splitlines()
        msg = f"sbatch refused {script.name}: {err[-1] if err else 'exit ' + str(proc.returncode)}"
        raise SlurmError(msg)
    return proc.stdout.strip().split(";")[0]


def cancel_jobs(ids: list[str]) -> None:
    """``scancel`` these Slurm job ids (no-op without ``scancel``)."""
    exe = shutil.which("scancel")
    if exe and ids:
        subprocess.run([exe, *ids], capture_output=True, check=False, timeout=60)


def _new_submission(work_dir: Path) -> tuple[str, Path]:
    """Return a new submission id and its directory (created)."""
    submission = time.strftime("%Y%m%d-%H%M%S-") + uuidlib.uuid4().hex[:6]
    sub_dir = (work_dir / submission).resolve()
    sub_dir.mkdir(parents=True, exist_ok=True)
    return submission, sub_dir


def _job_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment variables of the jobs: inherited from the submitting process, then ``extra``."""
    keep = ("LITHIOPHILIC_SQS_CACHE", "PYTHONPATH", "JOBFLOW_CONFIG_FILE")
    return {**{k: v for k, v in os.environ.items() if k in keep}, **(extra or {})}


def _submit_one(
    sub_dir: Path,
    *,
    uuid: str,
    name: str,
    flow_name: str,
    payload: str,
    resources: SlurmResources,
    env: dict[str, str],
    deps: list[str],
    mode: str,
    record: dict[str, Any],
) -> dict[str, Any]:
    """Write one job's payload and sbatch script, submit it, return its tracking record.

    ``record`` holds the fields that differ between jobflow jobs and command jobs
    (``flow``, ``submission``, ``command``, ...); the Slurm fields are added here.
    """
    job_file = sub_dir / f"{uuid}.json"
    job_file.write_text(payload)
    log = sub_dir / f"{uuid}.out"
    script = sub_dir / f"{uuid}.sbatch"
    script.write_text(
        render_job_script(
            job_file=job_file,
            log=log,
            uuid=uuid,
            name=name,
            flow_name=flow_name,
            resources=resources,
            env=env,
            mode=mode,
        )
    )
    sid = _sbatch(script, deps)
    return {
        "uuid": uuid,
        "name": name,
        **record,
        "scheduler": "slurm",
        "slurm_job_id": sid,
        "depends_on": deps,
        "state": "SUBMITTED",
        "reason": None,
        "script": str(script),
        "log": str(log),
    }


def submit_command(
    argv: Sequence[str],
    *,
    name: str,
    store_spec: dict[str, str | None],
    tracking: Any,
    work_dir: Path,
    resources: SlurmResources,
    after: Sequence[str] = (),
    command: str = "",
    env: Mapping[str, str] | None = None,
    module: str = "lithiophilic",
) -> dict[str, Any]:
    """Submit one ``lithiophilic ARGV`` command line as a tracked Slurm job.

    The job waits for ``after`` (``afterok``: it is cancelled if one of them fails), runs
    ``python -m MODULE ARGV`` (``module``: ``lithiophilic``, the command line, or e.g.
    ``lithiophilic.studies.runner``) and records ``RUNNING`` and then ``COMPLETED`` or
    ``FAILED`` (with the exit code) in the tracking store, like the jobs of
    :func:`submit_flows`. ``env``: environment variables of the job (besides
    ``$LITHIOPHILIC_SQS_CACHE``, ``$PYTHONPATH`` and ``$JOBFLOW_CONFIG_FILE``, inherited).

    Returns
    -------
    dict
        The job record.

    Raises
    ------
    SlurmError
        If Slurm refuses the job.
    """
    from lithiophilic.db import record_jobs

    check_sbatch()
    submission, sub_dir = _new_submission(work_dir)
    uuid = str(uuidlib.uuid4())
    deps = list(dict.fromkeys(after))
    rec = _submit_one(
        sub_dir,
        uuid=uuid,
        name=name,
        flow_name=name,
        payload=json.dumps(
            {"uuid": uuid, "argv": list(argv), "store": store_spec, "module": module}
        ),
        resources=resources,
        env=_job_env(env),
        deps=deps,
        mode="command",
        record={
            "flow": name,
            "submission": submission,
            "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "command": command
            or shlex.join([*(["python", "-m"] if module != "lithiophilic" else []), module, *argv]),
        },
    )
    record_jobs(tracking, [rec])
    logger.info("submitted %s as Slurm job %s (after %s)", name, rec["slurm_job_id"], deps or "-")
    return rec


def submit_flows(
    flows: dict[str, Any],
    *,
    store_spec: dict[str, str | None],
    tracking: Any,
    work_dir: Path,
    resources: SlurmResources,
    command: str = "",
    after: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Submit every job of ``flows`` to Slurm (parents first) and record them.

    Parameters
    ----------
    flows
        Flows by label (as built by a study's ``build_flows``).
    store_spec
        How the jobs reopen the store: ``{"data_dir": ..., "store": ...}``
        (arguments of :func:`lithiophilic.db.get_store`).
    tracking
        Store of the job records (:func:`lithiophilic.db.get_tracking_store`).
    work_dir
        Directory for the scripts, serialized jobs, logs and run folders (on a filesystem
        the compute nodes see).
    resources
        Resources of every job.
    command
        The command line that made the flows (recorded, to rerun).
    after
        Slurm job ids every job also waits for (``afterok``), e.g. an earlier stage whose
        stored results the flows reuse.
    env
        Environment variables of the jobs, over those inherited from this process
        (``$LITHIOPHILIC_SQS_CACHE``, ``$PYTHONPATH``, ``$JOBFLOW_CONFIG_FILE``).

    Returns
    -------
    list of dict
        The job records (``uuid``, ``name``, ``slurm_job_id``, ``state``, ...).

    Raises
    ------
    ConfigurationError
        If ``sbatch`` is missing.
    SlurmError
        If Slurm refuses a job; jobs of this submission submitted before are cancelled
        and recorded as ``CANCELLED``.
    """
    from monty.json import MontyEncoder

    from lithiophilic.db import record_jobs

    check_sbatch()
    if resources.pack is not None or resources.max_jobs is not None:
        msg = (
            "resources: pack/max_jobs are submitted by lithiophilic.hpc.pack.submit_packed "
            "(or hpc.submit.submit_flows_to), not one sbatch job per job"
        )
        raise ConfigurationError(msg)
    submission, sub_dir = _new_submission(work_dir)
    job_env = _job_env(env)
    records: list[dict[str, Any]] = []
    slurm_ids: dict[str, str] = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    try:
        for label, flow in flows.items():
            for job, parents in flow.iterflow():
                payload = {"job": job, "store": store_spec, "run_dir": str(sub_dir / "runs")}
                deps = [slurm_ids[p] for p in parents if p in slurm_ids]
                deps += [a for a in after if a not in deps]
                rec = _submit_one(
                    sub_dir,
                    uuid=job.uuid,
                    name=job.name,
                    flow_name=label,
                    payload=json.dumps(payload, cls=MontyEncoder),
                    resources=resources,
                    env=job_env,
                    deps=deps,
                    mode="run",
                    record={
                        "flow": label,
                        "flow_uuid": flow.uuid,
                        "submission": submission,
                        "submitted_at": now,
                        "command": command,
                    },
                )
                sid = rec["slurm_job_id"]
                slurm_ids[job.uuid] = sid
                record_jobs(tracking, [rec])
                records.append(rec)
                logger.info("submitted %s as Slurm job %s (after %s)", job.name, sid, deps or "-")
    except SlurmError as exc:
        cancel_jobs(list(slurm_ids.values()))
        for rec in records:
            rec["state"], rec["reason"] = "CANCELLED", f"submission aborted: {exc}"
        record_jobs(tracking, records)
        raise
    return records


def _scontrol_state(job_id: str) -> dict[str, str] | None:
    exe = shutil.which("scontrol")
    if exe is None:
        return None
    proc = subprocess.run(
        [exe, "show", "job", "-o", job_id], capture_output=True, text=True, check=False, timeout=60
    )
    if proc.returncode != 0 or "JobState=" not in proc.stdout:
        return None
    fields = dict(re.findall(r"(\w+)=(\S*)", proc.stdout))
    return fields


def refresh_states(tracking: Any) -> int:
    """Update unfinished Slurm job records from ``scontrol``; return how many changed.

    A job Slurm ended without success (``TIMEOUT``, ``CANCELLED``, ``NODE_FAIL``, ...)
    that could not report itself is marked ``FAILED`` (``CANCELLED`` for a cancellation)
    with Slurm's state and reason, e.g. "Slurm TIMEOUT (time limit 00:01:00)".
    """
    from lithiophilic.db import FINAL_STATES, record_jobs

    changed = 0
    for rec in tracking.query({"scheduler": "slurm"}):
        rec.pop("_id", None)
        # final states are kept, except a self-reported SIGTERM whose cause Slurm can name
        if rec.get("state") in FINAL_STATES and not str(rec.get("reason") or "").startswith(
            _TERMINATED
        ):
            continue
        if not rec.get("slurm_job_id"):
            continue  # a packed job whose allocation is not submitted yet (--max-jobs)
        info = _scontrol_state(str(rec.get("slurm_job_id")))
        if info is None:
            continue
        state = info.get("JobState", "")
        if rec.get("state") in FINAL_STATES and state not in _SLURM_FAILED:
            continue  # still winding down after the SIGTERM
        new = rec["state"]
        reason = rec.get("reason")
        packed = "allocation" in rec  # the allocation's worker reports each job's own state
        if state == "PENDING":
            new = "PENDING"
        elif state in ("RUNNING", "COMPLETING", "CONFIGURING"):
            new = rec["state"] if packed else "RUNNING"
        elif state == "COMPLETED" and packed:
            new = "FAILED"
            reason = f"allocation {rec['slurm_job_id']} ended without running this job"
        elif state == "COMPLETED":
            new = "COMPLETED"
        elif state in _SLURM_FAILED:
            new = "CANCELLED" if state == "CANCELLED" else "FAILED"
            detail = info.get("Reason", "None")
            if state == "TIMEOUT":
                detail = f"time limit {info.get('TimeLimit', '?')}"
            reason = f"Slurm {state} ({detail}, exit code {info.get('ExitCode', '?')})"
        if new != rec["state"] or reason != rec.get("reason"):
            rec["state"], rec["reason"] = new, reason
            record_jobs(tracking, [rec])
            changed += 1
    return changed


# --------------------------------------------------------------------------- worker side
class _NoTracking:
    """Stand-in tracking store for MPI ranks other than 0."""

    def query_one(self, *args: Any, **kwargs: Any) -> None:
        return None

    def update(self, *args: Any, **kwargs: Any) -> None:
        return None


def run_job(job_file: str | Path) -> int:
    """Run one serialized job into its store (inside a Slurm job); return the exit code."""
    from monty.json import MontyDecoder

    from lithiophilic.db import get_store, get_tracking_store, set_job_state

    rank = int(os.environ.get("SLURM_PROCID", os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
    payload = json.loads(Path(job_file).read_text(), cls=MontyDecoder)
    job = payload["job"]
    job.hosts = []  # run alone: the flow it came from is not rebuilt here
    store = get_store(**payload["store"])
    tracking = get_tracking_store(store)
    if rank != 0:  # MPI: every rank runs the job; only rank 0 writes results and states
        tracking = _NoTracking()
        for st in (store.docs_store, *getattr(store, "additional_stores", {}).values()):
            st.update = _NoTracking.update.__get__(st)  # type: ignore[method-assign]

    def on_term(signum: int, frame: Any) -> None:
        set_job_state(
            tracking, job.uuid, "FAILED", f"{_TERMINATED} (signal {signum}: time limit or scancel)"
        )
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    return execute_job(job, store=store, tracking=tracking, run_dir=Path(payload["run_dir"]))


def execute_job(job: Any, *, store: Any, tracking: Any, run_dir: Path) -> int:
    """Run one job into ``store``, recording RUNNING then COMPLETED or FAILED; return 0 or 1."""
    from jobflow import run_locally

    from lithiophilic.db import set_job_state

    set_job_state(tracking, job.uuid, "RUNNING")
    root = Path(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        run_locally(
            job,
            store=store,
            create_folders=True,
            root_dir=root,
            ensure_success=True,
            allow_external_references=True,
            raise_immediately=True,
            log=False,
        )
    except Exception as exc:  # any failure of the job: record it, exit non-zero for afterok
        logger.exception("job %s failed", job.name)
        set_job_state(tracking, job.uuid, "FAILED", f"{type(exc).__name__}: {exc}"[:500])
        return 1
    set_job_state(tracking, job.uuid, "COMPLETED")
    return 0


def run_command(job_file: str | Path) -> int:
    """Run one submitted ``lithiophilic`` command line (inside a Slurm job); return its code."""
    from lithiophilic.db import get_store, get_tracking_store, set_job_state

    payload = json.loads(Path(job_file).read_text())
    uuid = payload["uuid"]
    tracking = get_tracking_store(get_store(**payload["store"]))
    proc: subprocess.Popen[bytes] | None = None

    def on_term(signum: int, frame: Any) -> None:
        if proc is not None and proc.poll() is None:
            proc.terminate()
        set_job_state(
            tracking, uuid, "FAILED", f"{_TERMINATED} (signal {signum}: time limit or scancel)"
        )
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    set_job_state(tracking, uuid, "RUNNING")
    module = payload.get("module", "lithiophilic")
    proc = subprocess.Popen([sys.executable, "-m", module, *payload["argv"]])
    code = proc.wait()
    if code == 0:
        set_job_state(tracking, uuid, "COMPLETED")
    else:
        set_job_state(tracking, uuid, "FAILED", f"command exited with code {code}; see the log")
    return code


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: ``python -m lithiophilic.hpc.slurm run|command JOB.json``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("run", "command"):
        sys.stderr.write("usage: python -m lithiophilic.hpc.slurm run|command JOB.json\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return run_job(args[1]) if args[0] == "run" else run_command(args[1])


if __name__ == "__main__":
    sys.exit(main())
