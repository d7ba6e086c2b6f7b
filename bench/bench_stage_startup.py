"""What a campaign stage pays before its first calculation, and what one process saves.

Each stage of ``lithiophilic paper`` run in its own process (``PaperOptions.stage_processes``)
starts an interpreter, imports the study modules (jobflow, pymatgen, ASE ...), opens the
database, imports torch and SevenNet and loads SevenNet-0, whose first evaluation is slower
than the next ones. In one process (the default) only the first stage pays this. This
benchmark measures each phase in ``--repeat`` fresh processes, and the same phases a second
time in the same process (what a later stage pays there), and writes
``bench/results/paper_quick_startup.json``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_stage_startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

#: The phases, in order; each child prints one JSON line of their wall times.
CHILD = r"""
import json, sys, tempfile, time
t = {}
t0 = time.perf_counter()
from lithiophilic.studies import STUDIES
for name in ("surface", "pdos", "li_sites", "li_layers", "aggregation"):
    STUDIES[name]
import lithiophilic.db
t["import_studies_s"] = time.perf_counter() - t0

def phases(t, suffix=""):
    from ase.build import fcc111
    t0 = time.perf_counter()
    from lithiophilic.db import get_store
    get_store(data_dir=tempfile.mkdtemp())
    t["open_store_s" + suffix] = time.perf_counter() - t0
    t0 = time.perf_counter()
    import sevenn.calculator, torch
    t["import_torch_sevenn_s" + suffix] = time.perf_counter() - t0
    t0 = time.perf_counter()
    from lithiophilic.potentials import get_calculator
    calc = get_calculator("sevenn")
    t["load_model_s" + suffix] = time.perf_counter() - t0
    slab = fcc111("Cu", size=(3, 3, 4), vacuum=7.0)
    for what in ("first_eval_s", "second_eval_s"):
        slab.rattle(0.01, seed=len(t))
        slab.calc = calc
        t0 = time.perf_counter()
        slab.get_forces()
        t[what + suffix] = time.perf_counter() - t0

phases(t)
phases(t, "_again_same_process")
import resource
t["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(t))
"""


def interpreter_s() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t0


def child() -> dict[str, float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD], check=True, capture_output=True, text=True
    ).stdout
    phases = json.loads(out.strip().splitlines()[-1])
    phases["process_total_s"] = time.perf_counter() - t0
    return phases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "paper_quick_startup.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory():
        runs = []
        for _ in range(args.repeat):
            run = child()
            run["interpreter_s"] = interpreter_s()
            runs.append(run)
            print(json.dumps(run), flush=True)
    med = {k: round(median(r[k] for r in runs), 3) for k in runs[0]}
    fresh = ("interpreter_s", "import_studies_s", "open_store_s", "import_torch_sevenn_s")
    fresh_cost = sum(med[k] for k in fresh) + med["load_model_s"]
    warm = med["first_eval_s"] - med["second_eval_s"]
    again = sum(
        med[k + "_again_same_process"]
        for k in ("open_store_s", "import_torch_sevenn_s", "load_model_s")
    )
    doc = {
        "benchmark": "start-up cost of a campaign stage: own process vs. the campaign's process",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python bench/bench_stage_startup.py",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_end": os.getloadavg(),
        "median": med,
        "stage_startup_own_process_s": round(fresh_cost + warm, 2),
        "stage_startup_same_process_s": round(again, 3),
        "first_eval_warmup_s": round(warm, 3),
        "note": "own process: interpreter + study imports + store + torch/sevenn import + "
        "SevenNet-0 load + the first evaluation's extra time over the second (3x3x4 Cu(111)); "
        "same process: a later stage reopens the store and gets the cached model",
        "runs": runs,
    }
    args.out.write_text(json.dumps(doc, indent=1))
    print(json.dumps({k: v for k, v in doc.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
