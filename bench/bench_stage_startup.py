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
import json, tempfile, time
t = {}
clock = [time.perf_counter(), time.process_time()]

def tick(name, suffix=""):
    wall, cpu = time.perf_counter(), time.process_time()
    t[name + "_s" + suffix], t[name + "_cpu_s" + suffix] = wall - clock[0], cpu - clock[1]
    clock[:] = [time.perf_counter(), time.process_time()]

from lithiophilic.studies import STUDIES
for name in ("surface", "pdos", "li_sites", "li_layers", "aggregation"):
    STUDIES[name]
import lithiophilic.db
tick("import_studies")

def phases(suffix=""):
    from ase.build import fcc111
    from lithiophilic.db import get_store
    from lithiophilic.potentials import get_calculator
    clock[:] = [time.perf_counter(), time.process_time()]
    get_store(data_dir=tempfile.mkdtemp())
    tick("open_store", suffix)
    import sevenn.calculator, torch
    tick("import_torch_sevenn", suffix)
    calc = get_calculator("sevenn")
    tick("load_model", suffix)
    slab = fcc111("Cu", size=(3, 3, 4), vacuum=7.0)
    for what in ("first_eval", "second_eval"):
        slab.rattle(0.01, seed=len(t))
        slab.calc = calc
        clock[:] = [time.perf_counter(), time.process_time()]
        slab.get_forces()
        tick(what, suffix)

phases()
phases("_again_same_process")
import resource
t["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(t))
"""


def interpreter_s() -> tuple[float, float]:
    """Wall and CPU time of ``python -c pass``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def child() -> dict[str, float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD], check=True, capture_output=True, text=True
    ).stdout
    phases = json.loads(out.strip().splitlines()[-1])
    phases["process_total_s"] = time.perf_counter() - t0
    return phases


def campaign(
    data_dir: Path, out_dir: Path, stage_processes: bool, extra: list[str]
) -> dict[str, object]:
    """Run ``lithiophilic paper --quick [extra]`` once; wall and CPU time, its stage table."""
    cmd = [sys.executable, "-m", "lithiophilic", "paper", "--quick", "-q", *extra]
    cmd += ["--data-dir", str(data_dir), "--out", str(out_dir)]
    cmd += ["--stage-processes"] if stage_processes else []
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    claims = json.loads((out_dir / "claims.json").read_text())
    return {
        "stage_processes": stage_processes,
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "stages": [
            {k: st[k] for k in ("name", "status", "wall_s", "peak_rss_mib")}
            for st in claims["stages"]
        ],
    }


def rerun_modes(data_dir: Path, repeat: int, out: Path, extra: list[str]) -> None:
    """Re-run a finished quick campaign in both modes, alternating; write the comparison."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            for procs in (True, False):
                run = campaign(data_dir, Path(tmp) / f"r{i}{procs}", procs, extra)
                runs.append(run)
                print(json.dumps(run), flush=True)
    med = {}
    for procs, mode in ((True, "stage_processes"), (False, "one_process")):
        mine = [r for r in runs if r["stage_processes"] is procs]
        for k in ("wall_s", "cpu_s", "peak_rss_mib"):
            med[f"{mode}_{k}"] = median(float(r[k]) for r in mine)  # type: ignore[arg-type]
    doc = {
        "benchmark": "re-run of a finished paper --quick (every job reused): one process per "
        "stage vs one process for the campaign, alternating",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python bench/bench_stage_startup.py --rerun "
        f"DATA -- {' '.join(extra)}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "median": med,
        "ratio_wall_one_over_stage_processes": round(
            med["one_process_wall_s"] / med["stage_processes_wall_s"], 3
        ),
        "ratio_cpu_one_over_stage_processes": round(
            med["one_process_cpu_s"] / med["stage_processes_cpu_s"], 3
        ),
        "runs": runs,
    }
    out.write_text(json.dumps(doc, indent=1))
    print(json.dumps({k: v for k, v in doc.items() if k != "runs"}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--rerun", type=Path, default=None, metavar="DATA_DIR")
    parser.add_argument("extra", nargs="*", help="with --rerun: the campaign's paper options")
    args = parser.parse_args()
    if args.rerun is not None:
        out = args.out or RESULTS / "paper_quick_rerun_modes.json"
        rerun_modes(args.rerun, args.repeat, out, args.extra)
        return
    args.out = args.out or RESULTS / "paper_quick_startup.json"
    with tempfile.TemporaryDirectory():
        runs = []
        for _ in range(args.repeat):
            run = child()
            run["interpreter_s"], run["interpreter_cpu_s"] = interpreter_s()
            runs.append(run)
            print(json.dumps(run), flush=True)
    med = {k: round(median(r[k] for r in runs), 3) for k in runs[0]}
    fresh = ("interpreter", "import_studies", "open_store", "import_torch_sevenn", "load_model")
    again = ("open_store", "import_torch_sevenn", "load_model")
    cost = {}
    for unit in ("s", "cpu_s"):
        warm = med[f"first_eval_{unit}"] - med[f"second_eval_{unit}"]
        cost[f"own_process_{unit}"] = round(sum(med[f"{k}_{unit}"] for k in fresh) + warm, 2)
        cost[f"same_process_{unit}"] = round(
            sum(med[f"{k}_{unit}_again_same_process"] for k in again), 3
        )
        cost[f"first_eval_warmup_{unit}"] = round(warm, 3)
    doc = {
        "benchmark": "start-up cost of a campaign stage: own process vs. the campaign's process",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python bench/bench_stage_startup.py",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_end": os.getloadavg(),
        "median": med,
        "stage_startup": cost,
        "note": "per stage, wall (_s) and CPU (_cpu_s, robust on a loaded machine) time; own "
        "process: interpreter + study imports + store + torch/sevenn import + SevenNet-0 load "
        "+ the first evaluation's extra time over the second (3x3x4 Cu(111)); same process: a "
        "later stage reopens the store and gets the cached model",
        "runs": runs,
    }
    args.out.write_text(json.dumps(doc, indent=1))
    print(json.dumps({k: v for k, v in doc.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
