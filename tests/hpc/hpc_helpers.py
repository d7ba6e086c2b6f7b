"""Helpers of the HPC tests: run `lithiophilic` from this checkout in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).parent / "lithiophilic"
SRC = ROOT / "src"


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for `lithiophilic` subprocesses: this checkout's code, one thread."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(SRC), **extra}
    env.pop("LITHIOPHILIC_STORE", None)
    env.pop("LITHIOPHILIC_SQS_CACHE", None)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300, cwd=None):
    return subprocess.run(
        [str(EXE), *args],
        capture_output=True,
        text=True,
        env=env or cli_env(),
        timeout=timeout,
        cwd=cwd,
        check=False,
    )
