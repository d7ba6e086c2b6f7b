"""jobflow-remote: write a project file from a few options, and submit flows to it.

The project (``~/.jfremote/NAME.yaml``, or ``$JFREMOTE_PROJECTS_FOLDER``) has one worker
(``local`` on this machine or ``remote`` over SSH; Slurm or plain shell), its queue and job
store on MongoDB (any Mongo-wire server), and a GridFS additional store ``data`` for large
arrays. A password is never taken from the command line: it comes from an environment
variable, is written only into the project file (mode 600), and is never logged.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Literal

from lithiophilic.errors import ConfigurationError

__all__ = ["PASSWORD_ENV", "project_dict", "remote_job_states", "submit_remote", "write_project"]

logger = logging.getLogger(__name__)

#: Default environment variable holding the MongoDB password.
PASSWORD_ENV = "LITHIOPHILIC_MONGO_PASSWORD"


def projects_folder() -> Path:
    """Return jobflow-remote's projects folder (``$JFREMOTE_PROJECTS_FOLDER`` or ~/.jfremote)."""
    return Path(os.environ.get("JFREMOTE_PROJECTS_FOLDER", "~/.jfremote")).expanduser()


def project_dict(
    name: str,
    *,
    mongo_host: str,
    mongo_port: int,
    database: str,
    username: str | None,
    password: str | None,
    worker: Literal["local", "remote"],
    scheduler: Literal["slurm", "shell"],
    work_dir: str,
    resources: dict[str, Any],
    pre_run: str,
    ssh_host: str | None = None,
    ssh_user: str | None = None,
) -> dict[str, Any]:
    """Return a jobflow-remote project as a dict (see :func:`write_project`)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        msg = f"project name: {name!r} may contain only letters, digits, '_', '.', '-'"
        raise ConfigurationError(msg)
    if worker not in ("local", "remote"):
        msg = f"--worker: {worker!r} is not one of 'local', 'remote'"
        raise ConfigurationError(msg)
    if scheduler not in ("slurm", "shell"):
        msg = f"--scheduler: {scheduler!r} is not one of 'slurm', 'shell'"
        raise ConfigurationError(msg)
    if worker == "remote" and not ssh_host:
        msg = "--ssh-host is required for a remote worker"
        raise ConfigurationError(msg)
    if not 0 < mongo_port < 65536:
        msg = f"--mongo-port: {mongo_port} is not a TCP port"
        raise ConfigurationError(msg)

    def mongo(collection: str, kind: str = "MongoStore") -> dict[str, Any]:
        store: dict[str, Any] = {
            "type": kind,
            "host": mongo_host,
            "port": int(mongo_port),
            "database": database,
            "collection_name": collection,
        }
        if username:
            store["username"] = username
        if password:
            store["password"] = password
        return store

    wk: dict[str, Any] = {
        "type": worker,
        "scheduler_type": scheduler,
        "work_dir": work_dir,
        "pre_run": pre_run or None,
    }
    if scheduler == "slurm":
        wk["resources"] = resources
    if worker == "remote":
        wk["host"] = ssh_host
        if ssh_user:
            wk["user"] = ssh_user
    return {
        "name": name,
        "workers": {f"{scheduler}_worker": wk},
        "queue": {"store": mongo("jobs")},
        "exec_config": {},
        "jobstore": {
            "docs_store": mongo("outputs"),
            "additional_stores": {"data": mongo("outputs_blobs", "GridFSStore")},
        },
    }


def write_project(
    project: dict[str, Any], *, folder: Path | None = None, force: bool = False
) -> Path:
    """Write the project YAML (mode 600 when it holds a password); return its path.

    Raises
    ------
    ConfigurationError
        If the file exists and ``force`` is False.
    """
    import yaml

    folder = folder or projects_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{project['name']}.yaml"
    if path.exists() and not force:
        msg = f"project file {path} exists; pass --force to overwrite it"
        raise ConfigurationError(msg)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(project, fh, sort_keys=False)
    os.chmod(path, 0o600)
    return path


def submit_remote(
    flows: dict[str, Any],
    *,
    project: str,
    worker: str | None = None,
    resources: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Submit flows to a jobflow-remote project's queue; return one record per flow.

    Raises
    ------
    ConfigurationError
        If the project or worker is unknown or the queue database is unreachable.
    """
    from jobflow_remote import submit_flow
    from jobflow_remote.config.base import ConfigError

    records = []
    for label, flow in flows.items():
        try:
            db_ids = submit_flow(
                flow,
                worker=worker,
                project=project,
                resources=resources or None,
                allow_external_references=True,
            )
        except ConfigError as exc:
            msg = f"--remote {project}: {exc}"
            raise ConfigurationError(msg) from exc
        records.append({"flow": label, "flow_uuid": flow.uuid, "db_ids": db_ids})
        logger.info(
            "submitted flow %s (%s) to jobflow-remote project %s", label, flow.uuid, project
        )
    return records


def remote_job_states(project: str, flow_uuids: list[str] | None = None) -> dict[str, int]:
    """Count the jobs of a jobflow-remote project per state (optionally of some flows)."""
    from jobflow_remote import JobController

    jc = JobController.from_project_name(project)
    counts: dict[str, int] = {}
    # filter in Python: some Mongo-wire servers lack array operators on job.hosts
    for info in jc.get_jobs_info_query({}):
        if flow_uuids and not set(info.hosts or []) & set(flow_uuids):
            continue
        counts[info.state.value] = counts.get(info.state.value, 0) + 1
    return counts


def refresh_remote_states(tracking: Any) -> int:
    """Update unfinished jobflow-remote flow records from their projects; return how many changed.

    A flow is ``COMPLETED`` when all its jobs are, ``FAILED`` when one failed (reason: the
    counts per state and how to inspect and rerun it), else ``RUNNING``/``SUBMITTED``.
    """
    from lithiophilic.db import FINAL_STATES, record_jobs

    changed = 0
    for rec in tracking.query({"scheduler": {"$regex": "^jobflow-remote:"}}):
        if rec.get("state") in FINAL_STATES:
            continue
        rec.pop("_id", None)
        project = rec["scheduler"].split(":", 1)[1]
        counts = remote_job_states(project, [rec["uuid"]])
        if not counts:
            continue
        bad = {s: n for s, n in counts.items() if s in ("FAILED", "REMOTE_ERROR", "CANCELLED")}
        if bad:
            new = "FAILED"
            reason = (
                f"jobflow-remote {counts}; inspect: jf -p {project} job list -fid {rec['uuid']}; "
                f"rerun: jf -p {project} job retry / job rerun"
            )
        elif set(counts) == {"COMPLETED"}:
            new, reason = "COMPLETED", None
        else:
            running = {
                "RUNNING",
                "SUBMITTED",
                "UPLOADED",
                "CHECKED_OUT",
                "RUN_FINISHED",
                "DOWNLOADED",
            }
            new = "RUNNING" if running & set(counts) else "SUBMITTED"
            reason = f"jobflow-remote {counts}"
        if new != rec.get("state") or reason != rec.get("reason"):
            rec["state"], rec["reason"] = new, reason
            record_jobs(tracking, [rec])
            changed += 1
    return changed
