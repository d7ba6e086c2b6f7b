"""The header every benchmark JSON of this session's scripts carries: when, which commit, where."""

from __future__ import annotations

import os
import subprocess
import time


def run_info() -> dict:
    """Date (UTC), short commit, cores, OMP_NUM_THREADS and the load average at the end."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit,
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_end": list(os.getloadavg()),
    }
