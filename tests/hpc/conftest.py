"""Real Slurm (slurm-wlm + munge) and a real Mongo-wire server (secantusdb), on loopback.

Both are started once per session under a temporary directory and stopped by PID. A test
that needs them is skipped (with the reason) only when the daemon binaries are missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "slurm"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from localslurm import LocalSlurm, missing_binaries  # noqa: E402


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory):
    exe = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    if not Path(exe).exists():
        pytest.skip("secantusd-py (Mongo-wire server, pip install --pre secantusdb) not installed")
    root = tmp_path_factory.mktemp("mongo")
    port = _free_port()
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(
        [
            exe,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(root / "data"),
            "--standalone",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    t0 = time.monotonic()
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() - t0 > 30:
                proc.kill()
                pytest.fail(f"secantusd-py did not start; see {root / 'server.log'}")
            time.sleep(0.2)
    yield {"host": "127.0.0.1", "port": port}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
