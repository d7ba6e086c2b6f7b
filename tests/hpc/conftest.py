"""Real Slurm (slurm-wlm + munge) and a real Mongo-wire server (secantusdb), on loopback.

Both are started once per session under a temporary directory and stopped by PID. A test
that needs them is skipped (with the reason) only when the daemon binaries are missing.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "slurm"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from localslurm import LocalMongo, LocalSlurm, missing_binaries  # noqa: E402


@pytest.fixture(scope="session")
def local_slurm(tmp_path_factory):
    missing = missing_binaries()
    if missing:
        pytest.skip(
            f"Slurm daemons not installed ({', '.join(missing)}): apt-get install slurm-wlm munge"
        )
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"), cpus=2)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory):
    if LocalMongo.executable() is None:
        pytest.skip("secantusd-py (Mongo-wire server, pip install --pre secantusdb) not installed")
    server = LocalMongo(tmp_path_factory.mktemp("mongo")).start()
    yield {"host": server.host, "port": server.port}
    server.stop()


@pytest.fixture(scope="session")
def sleeper(local_slurm, tmp_path_factory):
    from hpc_helpers import cli_env

    """A job that outlives its 1-minute time limit, submitted by the first Slurm test.

    Slurm needs 60-90 s to kill it; the other Slurm tests run meanwhile (on the second CPU).
    """
    from jobflow import Flow, job

    from lithiophilic.db import get_store, get_tracking_store
    from lithiophilic.hpc.slurm import SlurmResources, submit_flows

    data_dir = tmp_path_factory.mktemp("sleeper")
    store = get_store(data_dir=data_dir)
    tracking = get_tracking_store(store)
    old = dict(os.environ)
    os.environ.update(cli_env(**local_slurm.env()))
    try:
        flow = Flow([job(time.sleep)(600)], name="sleeper")
        records = submit_flows(
            {"sleeper": flow},
            store_spec={"data_dir": str(data_dir), "store": None},
            tracking=tracking,
            work_dir=data_dir / "slurm",
            resources=SlurmResources(partition="debug", time="1"),
        )
    finally:
        os.environ.clear()
        os.environ.update(old)
    return data_dir, records
