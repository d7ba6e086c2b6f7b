"""Wall time of the slow test files, one file at a time (OMP_NUM_THREADS=1), before/after.

    .venv/bin/python bench/bench_test_suite.py --label before [files...]
    .venv/bin/python bench/bench_test_suite.py --label after

Each file runs in its own ``pytest`` process with ``--durations=10``; the wall time of the
process, the pytest outcome line and the slowest test phases are merged into
``bench/results/test_suite_time.json`` under ``files.<file>.<label>`` (other labels kept).
The machine is shared (other jobs load it), so the CPU seconds of the pytest process and its
waited-for children (``cpu_s``) are the steadier number for compute-bound files; ``wall_s``
is what counts for files that wait on Slurm. Compare labels as ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "test_suite_time.json"
SLOW_FILES = [
    "tests/studies/test_verify.py",
    "tests/hpc/test_remote.py",
    "tests/potentials/test_gpaw_mpi_relax.py",
    "tests/analysis/test_pair_interaction.py",
    "tests/notebooks/test_notebooks.py",
    "tests/workflows/test_li_pair_validation.py",
    "tests/studies/test_screen.py",
    "tests/hpc/test_pack.py",
]
_DUR = re.compile(r"^\s*([\d.]+)s (call|setup|teardown)\s+(\S+)")


def run_file(path: str, extra: list[str]) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider"]
    cmd += ["--durations=10", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = proc.stdout.splitlines()
    slowest = []
    for line in lines:
        m = _DUR.match(line)
        if m:
            slowest.append({"s": float(m.group(1)), "phase": m.group(2), "test": m.group(3)})
    outcome = next((ln.strip("= ") for ln in reversed(lines) if " in " in ln), "")
    return {
        "wall_s": round(wall_s, 1),
        "cpu_s": round(cpu_s, 1),
        "outcome": outcome,
        "returncode": proc.returncode,
        "slowest": slowest,
        "failed": [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", default=SLOW_FILES)
    ap.add_argument("--label", required=True, help="e.g. before / after")
    ap.add_argument("--pytest-args", default="", help="extra pytest arguments, one string")
    args = ap.parse_args()
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    data.setdefault("conditions", "each file alone, OMP_NUM_THREADS=1, 2-core machine shared")
    files = data.setdefault("files", {})
    for path in args.files:
        res = run_file(path, args.pytest_args.split())
        files.setdefault(path, {})[args.label] = res
        print(
            f"{path}: {res['wall_s']} s wall, {res['cpu_s']} s CPU ({res['outcome']})", flush=True
        )
        OUT.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
