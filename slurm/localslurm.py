"""Throw-away local services: a single-node Slurm cluster and a Mongo-wire server.

For tests and benchmarks on one machine (Debian ``slurm-wlm`` + ``munge``, run as root):

    with LocalSlurm(tmpdir) as cluster:      # starts munged, slurmctld, slurmd
        env = cluster.env()                  # SLURM_CONF and PATH for sbatch/squeue/scontrol
        ...

Everything (keys, sockets, state, logs, jobcomp file) lives under ``tmpdir``; the daemons
are started in the background and stopped by their PIDs. :class:`LocalMongo` does the same
for a ``secantusd-py`` Mongo-wire server. Also a script:
``python slurm/localslurm.py DIR`` starts a cluster and prints ``export SLURM_CONF=...``;
Ctrl-C stops it.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch")


def missing_binaries() -> list[str]:
    """Return the Slurm/munge programs that are not installed."""
    extra = ["/usr/sbin"]
    path = os.pathsep.join([os.environ.get("PATH", ""), *extra])
    return [b for b in DAEMONS if shutil.which(b, path=path) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalSlurm:
    """Start and stop a single-node Slurm cluster under ``root``.

    Parameters
    ----------
    root
        Directory for all state (created).
    cpus
        CPUs of the node.
    partition
        Name of the (default) partition.
    """

    def __init__(self, root: str | Path, *, cpus: int = 2, partition: str = "debug") -> None:
        self.root = Path(root).resolve()
        self.cpus = cpus
        self.partition = partition
        self.procs: list[subprocess.Popen] = []
        self.conf = self.root / "slurm.conf"
        self.jobcomp = self.root / "jobcomp.txt"

    def _which(self, name: str) -> str:
        path = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
        if path is None:
            msg = f"{name} not installed (apt-get install slurm-wlm munge)"
            raise FileNotFoundError(msg)
        return path

    def env(self) -> dict[str, str]:
        """Return the environment variables the Slurm clients need."""
        return {"SLURM_CONF": str(self.conf)}

    def _write_conf(self) -> None:
        r = self.root
        user = getpass.getuser()  # root in CI; slurmd as another user runs only its own jobs
        (r / "state").mkdir(parents=True, exist_ok=True)
        (r / "spool").mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            f"""ClusterName=lithtest
SlurmctldHost=localhost
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={r}/munge/munge.socket.2
SlurmUser={user}
SlurmdUser={user}
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/slurmctld.log
SlurmdLogFile={r}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={self.jobcomp}
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=3600
KillWait=30
OverTimeLimit=0
InactiveLimit=0
NodeName=localhost CPUs={self.cpus} RealMemory=4000 State=UNKNOWN
PartitionName={self.partition} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""
        )

    def _start_munge(self) -> None:
        m = self.root / "munge"
        m.mkdir(parents=True, exist_ok=True)
        os.chmod(m, 0o755)  # munged refuses a socket directory that others cannot reach
        keydir = self.root / "munge-key"
        keydir.mkdir(exist_ok=True)
        os.chmod(keydir, 0o700)
        key = keydir / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        os.chmod(key, 0o400)
        cmd = [
            self._which("munged"),
            "-F",
            f"--key-file={key}",
            f"--socket={m}/munge.socket.2",
            f"--pid-file={m}/munged.pid",
            f"--log-file={m}/munged.log",
            f"--seed-file={m}/munged.seed",
            "--force",
        ]
        self._spawn(cmd, "munged")
        self._wait(lambda: (m / "munge.socket.2").exists(), "munged socket", 10)

    def _spawn(self, cmd: list[str], name: str) -> None:
        log = (self.root / f"{name}.stdout").open("w")
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env()}
        )
        self.procs.append(proc)

    def _wait(self, ok, what: str, timeout_s: float) -> None:
        t0 = time.monotonic()
        while not ok():
            for p in self.procs:
                if p.poll() is not None:
                    msg = f"{p.args[0]} exited ({p.returncode}); see logs in {self.root}"
                    raise RuntimeError(msg)
            if time.monotonic() - t0 > timeout_s:
                msg = f"timed out waiting for {what}; see logs in {self.root}"
                raise RuntimeError(msg)
            time.sleep(0.2)

    def _node_idle(self) -> bool:
        proc = subprocess.run(
            [self._which("sinfo"), "-h", "-o", "%t"],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env()},
            check=False,
        )
        return proc.returncode == 0 and proc.stdout.strip().startswith(("idle", "mix", "alloc"))

    def start(self) -> LocalSlurm:
        """Start munged, slurmctld and slurmd; return when the node is idle."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_conf()
        self._start_munge()
        self._spawn([self._which("slurmctld"), "-D", "-f", str(self.conf)], "slurmctld")
        self._spawn(
            [self._which("slurmd"), "-D", "-N", "localhost", "-f", str(self.conf)], "slurmd"
        )
        self._wait(self._node_idle, "the Slurm node to become idle", 30)
        return self

    def stop(self) -> None:
        """Stop every daemon started here, by PID (SIGTERM, then SIGKILL)."""
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        self.procs.clear()

    def __enter__(self) -> LocalSlurm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalMongo:
    """A Mongo-wire server (``secantusd-py`` from the secantusdb package) on loopback.

    Parameters
    ----------
    root
        Storage directory (created).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def executable() -> str | None:
        """Return the path of ``secantusd-py`` (next to this Python, or on PATH), or None."""
        local = Path(sys.executable).parent / "secantusd-py"
        return str(local) if local.exists() else shutil.which("secantusd-py")

    def start(self) -> LocalMongo:
        """Start the server and return once it accepts connections."""
        exe = self.executable()
        if exe is None:
            msg = "secantusd-py not installed (pip install --pre secantusdb)"
            raise FileNotFoundError(msg)
        self.root.mkdir(parents=True, exist_ok=True)
        log = (self.root / "server.log").open("w")
        self.proc = subprocess.Popen(
            [exe, "--host", self.host, "--port", str(self.port), "--storage-path",
             str(self.root / "data"), "--standalone"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        t0 = time.monotonic()
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() - t0 > 30:
                    self.stop()
                    msg = f"secantusd-py did not start; see {self.root / 'server.log'}"
                    raise RuntimeError(msg) from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server by its PID."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def __enter__(self) -> LocalMongo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    cluster = LocalSlurm(sys.argv[1] if len(sys.argv) > 1 else "/tmp/localslurm").start()
    sys.stdout.write(f"export SLURM_CONF={cluster.conf}\n")
    sys.stdout.flush()
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
