"""Submit a study's flows to Slurm or jobflow-remote, and withdraw a submission.

The one place that hands flows to a scheduler: ``lithiophilic submit``, ``paper --submit``
and a script all call :func:`submit_flows_to` with flows built by a study's
``build_flows(options)``; nothing re-runs a command line. :func:`submit_study` does the
whole round for one study (build the flows, open the store, submit)::

    from lithiophilic.hpc.slurm import SlurmResources
    from lithiophilic.hpc.submit import submit_study
    from lithiophilic.studies import surface

    records = submit_study(
        surface, surface.Options.quick(materials=["Cu"]), target=SlurmResources(partition="debug")
    )

Every submitted job (Slurm) or flow (jobflow-remote) has a record in the job-tracking
collection next to the outputs; ``lithiophilic db status`` shows their states. Submitting
the same options again reuses every stored calculation, so only unfinished work runs.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

from lithiophilic.errors import ConfigurationError
from lithiophilic.hpc.slurm import SlurmResources

if TYPE_CHECKING:
    from jobflow import Flow

__all__ = [
    "CancelledSubmission",
    "RemoteProject",
    "SubmitTarget",
    "cancel_submitted",
    "job_status",
    "refresh_job_states",
    "submission_context",
    "submit_flows_to",
    "submit_study",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoteProject:
    """A jobflow-remote project to submit flows to.

    Parameters
    ----------
    name
        Project name (``NAME.yaml`` in jobflow-remote's projects folder; written by
        ``lithiophilic remote init``).
    worker
        Worker of the project (``None``: its first worker).
    resources
        Scheduler resources that override the worker's own (``partition``, ``time``,
        ``ntasks``, ``cpus_per_task``, ``account``). Give only those chosen explicitly;
        ``None`` values are dropped, so the worker keeps its setting.
    """

    name: str
    worker: str | None = None
    resources: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            msg = "--remote: give the name of a jobflow-remote project"
            raise ConfigurationError(msg)


#: Where flows go: Slurm (every job one sbatch job with these resources, or packed into
#: allocations with ``pack``/``max_jobs``) or a jobflow-remote project.
SubmitTarget: TypeAlias = SlurmResources | RemoteProject


@dataclass(frozen=True)
class CancelledSubmission:
    """What :func:`cancel_submitted` withdrew, and what it could not.

    Parameters
    ----------
    slurm_job_ids
        Slurm jobs cancelled (``scancel``); their records are ``CANCELLED`` unless they had
        already completed.
    remote_flow_uuids
        jobflow-remote flows that cannot be withdrawn from here (``jf flow delete`` them).
    """

    slurm_job_ids: list[str]
    remote_flow_uuids: list[str]


def submission_context(
    data_dir: str | Path | None = None, store: str | Path | None = None
) -> dict[str, Any]:
    """Open the job store and return the submission keywords of :func:`submit_flows_to`.

    Parameters
    ----------
    data_dir
        Database directory (default ``$LITHIOPHILIC_DATA`` or ``./lithiophilic-data``);
        Slurm scripts, logs and job folders go to ``DATA_DIR/slurm``.
    store
        Job store choice, as ``--store`` (see :func:`lithiophilic.db.get_store`).

    Returns
    -------
    dict
        ``store_spec`` (how jobs reopen the store), ``tracking`` (the job-tracking store)
        and ``work_dir``.

    Raises
    ------
    ConfigurationError
        If the store cannot be opened.
    """
    from lithiophilic.db import get_data_dir, get_store, get_tracking_store

    ddir = get_data_dir(data_dir)
    job_store = get_store(data_dir=ddir, store=store)
    return {
        "store_spec": {"data_dir": str(ddir), "store": None if store is None else str(store)},
        "tracking": get_tracking_store(job_store),
        "work_dir": ddir / "slurm",
    }


def _job_env(store_spec: Mapping[str, Any]) -> dict[str, str]:
    """SQS searches of Slurm jobs are cached in DATA_DIR/sqs-cache unless the user chose a cache."""
    from lithiophilic.structures import SQS_CACHE_ENV

    if os.environ.get(SQS_CACHE_ENV) or not store_spec.get("data_dir"):
        return {}
    return {SQS_CACHE_ENV: str(Path(store_spec["data_dir"]) / "sqs-cache")}


def submit_flows_to(
    flows: Mapping[str, Flow],
    *,
    target: SubmitTarget,
    store_spec: Mapping[str, str | None],
    tracking: Any,
    work_dir: Path,
    command: str,
    after: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Submit ``flows`` to Slurm or to a jobflow-remote project and record them.

    Slurm: every job of every flow becomes one sbatch job, waiting (``afterok``) for the
    jobs whose outputs it needs and for ``after`` (see
    :func:`lithiophilic.hpc.slurm.submit_flows`); each job's record is in ``tracking``.
    With ``target.pack``/``target.max_jobs`` the jobs are packed into allocations of up to
    ``pack`` jobs, at most ``max_jobs`` of them queued at once (see
    :mod:`lithiophilic.hpc.pack`); still one record per job.
    jobflow-remote: each flow goes to the project's queue and one record per flow
    (``SUBMITTED``, scheduler ``jobflow-remote:NAME``) goes to ``tracking``.

    Parameters
    ----------
    flows
        Label -> flow, as a study's ``build_flows`` returns them.
    target
        :class:`~lithiophilic.hpc.slurm.SlurmResources` (submit to Slurm with these
        resources) or a :class:`RemoteProject`.
    store_spec
        How Slurm jobs reopen the job store: ``{"data_dir": ..., "store": ...}`` (arguments
        of :func:`lithiophilic.db.get_store`); jobflow-remote jobs use the project's store.
    tracking
        Store of the submission records (:func:`lithiophilic.db.get_tracking_store`).
    work_dir
        Directory of the Slurm scripts, serialized jobs, logs and run folders, on a
        filesystem the compute nodes see.
    command
        What made the flows (a command line, or a study and its options), recorded to rerun.
    after
        Slurm job ids every job also waits for (``afterok``), e.g. an earlier stage whose
        stored results these flows reuse. Slurm only.

    Returns
    -------
    list of dict
        Slurm: one record per job (``uuid``, ``name``, ``flow``, ``slurm_job_id``,
        ``depends_on``, ``state``, ...). jobflow-remote: one per flow (``flow``,
        ``flow_uuid``, ``db_ids``).

    Raises
    ------
    ConfigurationError
        If ``sbatch`` is missing, the project or worker is unknown, or ``after`` is given
        for jobflow-remote.
    SlurmError
        If Slurm refuses a job (the jobs of this submission already submitted are
        cancelled and recorded as ``CANCELLED``).
    """
    if isinstance(target, RemoteProject):
        return _submit_remote(flows, target, tracking=tracking, command=command, after=after)
    if not isinstance(target, SlurmResources):
        msg = f"target: {target!r} is neither SlurmResources nor a RemoteProject"
        raise ConfigurationError(msg)
    how: dict[str, Any] = {
        "store_spec": dict(store_spec),
        "tracking": tracking,
        "work_dir": work_dir,
        "resources": target,
        "command": command,
        "after": after,
        "env": _job_env(store_spec),
    }
    if target.pack is not None or target.max_jobs is not None:
        from lithiophilic.hpc.pack import submit_packed

        return submit_packed(dict(flows), **how)
    from lithiophilic.hpc.slurm import submit_flows

    return submit_flows(dict(flows), **how)


def _submit_remote(
    flows: Mapping[str, Flow],
    project: RemoteProject,
    *,
    tracking: Any,
    command: str,
    after: Sequence[str],
) -> list[dict[str, Any]]:
    """Submit flows to a jobflow-remote project; record one ``SUBMITTED`` entry per flow."""
    from lithiophilic.db import record_jobs
    from lithiophilic.hpc.remote import submit_remote

    if after:
        msg = f"after: jobflow-remote flows cannot wait for Slurm jobs {list(after)}"
        raise ConfigurationError(msg)
    resources = {k: v for k, v in project.resources.items() if v is not None}
    records = submit_remote(
        dict(flows), project=project.name, worker=project.worker, resources=resources
    )
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    record_jobs(
        tracking,
        [
            {
                "uuid": r["flow_uuid"],
                "name": f"flow {r['flow']}",
                "flow": r["flow"],
                "scheduler": f"jobflow-remote:{project.name}",
                "state": "SUBMITTED",
                "submitted_at": now,
                "command": command,
            }
            for r in records
        ],
    )
    return records


def submit_study(
    study: ModuleType,
    options: Any,
    *,
    target: SubmitTarget,
    data_dir: str | Path | None = None,
    store: str | Path | None = None,
    after: Sequence[str] = (),
    command: str | None = None,
) -> list[dict[str, Any]]:
    """Build a study's flows for ``options`` and submit them (see :func:`submit_flows_to`).

    Parameters
    ----------
    study
        A study module (``lithiophilic.studies.surface``, ...).
    options
        Its ``Options``.
    target
        :class:`~lithiophilic.hpc.slurm.SlurmResources` or a :class:`RemoteProject`.
    data_dir, store
        The job store the jobs write to (as ``--data-dir`` / ``--store``).
    after
        Slurm job ids every job also waits for.
    command
        Recorded with the jobs (default: the study and its options as JSON).

    Returns
    -------
    list of dict
        The submission records of :func:`submit_flows_to`.

    Raises
    ------
    ConfigurationError
        For bad options or input (before anything is submitted), a missing ``sbatch``, an
        unknown project, or a store that cannot be opened.
    SlurmError
        If Slurm refuses a job.
    """
    from lithiophilic.hpc.slurm import check_sbatch

    if isinstance(target, SlurmResources):
        check_sbatch()
    context = submission_context(data_dir, store)
    # SQS searches done while building the flows are cached where the jobs will find them
    os.environ.update(_job_env(context["store_spec"]))
    flows = study.build_flows(options)
    recorded = command or f"{study.__name__}: {options.model_dump_json()}"
    return submit_flows_to(flows, target=target, command=recorded, after=after, **context)


def cancel_submitted(
    records: Sequence[Mapping[str, Any]], reason: str, *, tracking: Any
) -> CancelledSubmission:
    """Cancel the Slurm jobs of ``records`` and mark them ``CANCELLED`` with ``reason``.

    A job that has already completed keeps its ``COMPLETED`` record (its results stay
    valid). jobflow-remote flows cannot be withdrawn from here: they are returned, to be
    named to the user (``jf flow delete``).

    Parameters
    ----------
    records
        Submission records of :func:`submit_flows_to` (either scheduler).
    reason
        Why the submission is withdrawn (stored with each cancelled job).
    tracking
        The job-tracking store the records are in.

    Returns
    -------
    CancelledSubmission
        The Slurm job ids cancelled and the jobflow-remote flow uuids left alone.
    """
    from lithiophilic.db import set_job_state
    from lithiophilic.hpc.slurm import cancel_jobs

    packed_ids: list[str] = []
    plans = list(dict.fromkeys(str(r["pack_plan"]) for r in records if r.get("pack_plan")))
    if plans:  # packed: stop the allocations from submitting more, then cancel the queued ones
        from lithiophilic.hpc.pack import cancel_packed

        for plan in plans:
            packed_ids += cancel_packed(plan, reason, tracking=tracking)
    slurm = [r for r in records if r.get("slurm_job_id") and not r.get("pack_plan")]
    if slurm:
        cancel_jobs([str(r["slurm_job_id"]) for r in slurm])
        for r in slurm:
            now = tracking.query_one({"uuid": r["uuid"]}) or {}
            if now.get("state") != "COMPLETED":
                set_job_state(tracking, r["uuid"], "CANCELLED", reason)
        logger.info("cancelled %d Slurm job(s): %s", len(slurm), reason)
    remote = [str(r["flow_uuid"]) for r in records if "db_ids" in r]
    return CancelledSubmission(
        slurm_job_ids=[str(r["slurm_job_id"]) for r in slurm] + packed_ids,
        remote_flow_uuids=remote,
    )


def refresh_job_states(tracking: Any) -> int:
    """Update unfinished Slurm and jobflow-remote records from their schedulers.

    Slurm records are refreshed from ``scontrol`` (packed jobs still waiting for a place in
    the queue are ``FAILED`` once no allocation of their submission is left to submit them);
    jobflow-remote flow records from their projects' queues (an unreachable queue database is logged as a warning and the stored
    states are kept).

    Returns
    -------
    int
        How many records changed.
    """
    from lithiophilic.hpc.slurm import refresh_states

    changed = refresh_states(tracking)
    if tracking.count({"state": "WAITING"}):  # packed jobs held back by --max-jobs
        from lithiophilic.hpc.pack import refresh_waiting

        changed += refresh_waiting(tracking)
    if tracking.count({"scheduler": {"$regex": "^jobflow-remote:"}}):
        from lithiophilic.hpc.remote import refresh_remote_states

        try:
            changed += refresh_remote_states(tracking)
        except Exception as exc:  # queue database unreachable: the stored states stay
            logger.warning("jobflow-remote states not refreshed: %s", type(exc).__name__)
    return changed


def job_status(
    store: Any, *, submission: str | None = None, remote: str | None = None
) -> dict[str, Any]:
    """Return what the store holds and how its submitted jobs stand (states refreshed first).

    Parameters
    ----------
    store
        The job store.
    submission
        Only the jobs of this submission id (``None``: all).
    remote
        Also count the jobs of this jobflow-remote project per state.

    Returns
    -------
    dict
        ``outputs`` (count per document type), ``reused_calculations``, ``tracked_jobs``
        (count per state), ``jobs`` (the records, oldest first) and, with ``remote``,
        ``remote_jobs`` (count per jobflow-remote state).

    Raises
    ------
    ConfigurationError
        If the jobflow-remote project is unknown or its queue unreachable.
    """
    from lithiophilic.db import get_tracking_store, status_summary, tracked_jobs

    tracking = get_tracking_store(store)
    refresh_job_states(tracking)
    status: dict[str, Any] = {
        **status_summary(store),
        "jobs": tracked_jobs(tracking, submission=submission),
    }
    if remote:
        from lithiophilic.hpc.remote import remote_job_states

        try:
            status["remote_jobs"] = remote_job_states(remote)
        except Exception as exc:  # unknown project, unreachable queue database
            msg = f"--remote {remote}: {type(exc).__name__}: {exc}"
            raise ConfigurationError(msg) from exc
    return status
