"""Validate the fast potential against the accurate one on what the aggregation study measures.

Runs the same Li-aggregation MD (``lithiophilic md-aggregation``: same slabs, Li placements,
seeds, thermostat, analyzer) with ``licuzn-pod`` and with ``licuzn-eam`` on Cu(111) and
Cu0.64Zn0.36(111), each in a fresh database, and compares per surface the aggregation rate k
(first-order rate constant of the isolated-Li fraction, 95 % t-interval over replicas, Welch's
t-test between the two potentials), the final isolated fraction and mean cluster size, and the
Cu-vs-alloy verdict each potential gives.  Writes ``bench/results/potential_aggregation.json``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_potential_aggregation.py \
        [--time-ps 5] [--replicas 3] [--lateral 10x10] [--work DIR]

The slab has the production thickness (6 planes) and a 10x10 lateral cell so that the POD runs
take minutes; ``--lateral 15x15`` uses the production lateral size.
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

from lithiophilic.defaults import PAPER_MD_MATERIALS

RESULTS = Path(__file__).resolve().parent / "results"
SURFACES = PAPER_MD_MATERIALS


def run(potential: str, args: argparse.Namespace, work: Path) -> dict:
    out = work / potential
    cmd = [
        sys.executable,
        "-m",
        "lithiophilic",
        "md-aggregation",
        *(x for m in SURFACES for x in ("--material", m)),
        "--potential",
        potential,
        "--time-ps",
        str(args.time_ps),
        "--replicas",
        str(args.replicas),
        "--lateral",
        args.lateral,
        "--dump-every",
        "200",
        "--json",
        str(out / "md.json"),
        "--out",
        str(out / "figures"),
        "--data-dir",
        str(out / "db"),
    ]
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open(out / "md.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own CPU time
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) or not (out / "md.json").is_file():
        sys.stderr.write((out / "md.log").read_text()[-4000:])
        msg = f"md-aggregation with {potential} failed (exit {code})"
        raise SystemExit(msg)
    data = json.loads((out / "md.json").read_text())
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "returncode": code,
        "data": data,
    }


def surface_numbers(summary: dict) -> dict:
    frames = summary.get("replica_frames") or []
    last = [f[-1] for f in frames if f]
    mean = lambda key: sum(x[key] for x in last) / len(last) if last else None  # noqa: E731
    return {
        "n_completed": summary["n_completed"],
        "k_per_ps": summary["k_per_ps"],
        "k_ci_per_ps": [summary["k_ci_low_per_ps"], summary["k_ci_high_per_ps"]],
        "k_per_ps_replicas": summary["k_per_ps_replicas"],
        "cutoff_a": summary["cutoff_a"],
        "final_isolated_fraction": mean("isolated_fraction"),
        "final_mean_cluster_size": mean("mean_cluster_size"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-ps", type=float, default=5.0)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--lateral", default="10x10")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    from lithiophilic.analysis.aggregation import compare_rates

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-agg-"))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:  # one core each
        futures = {p: pool.submit(run, p, args, work) for p in ("licuzn-eam", "licuzn-pod")}
        runs = {p: f.result() for p, f in futures.items()}
    result: dict = {
        "benchmark": "aggregation observables: licuzn-eam vs licuzn-pod (same MD, same seeds)",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "settings": {
            "time_ps": args.time_ps,
            "replicas": args.replicas,
            "lateral": args.lateral,
            "n_layers": "default (6, bottom 2 fixed)",
        },
        "definition": runs["licuzn-pod"]["data"]["definition"],
        "cost": {p: {k: r[k] for k in ("wall_s", "cpu_s")} for p, r in runs.items()},
        "surfaces": {},
        "cu_vs_alloy": {},
    }
    for m in SURFACES:
        per = {p: surface_numbers(r["data"]["summaries"][m]) for p, r in runs.items()}
        cmp = compare_rates(
            per["licuzn-pod"]["k_per_ps_replicas"],
            per["licuzn-eam"]["k_per_ps_replicas"],
            label_a="licuzn-pod",
            label_b="licuzn-eam",
        )
        result["surfaces"][m] = {**per, "pod_vs_eam": cmp}
    for p, r in runs.items():
        comps = r["data"].get("comparisons") or []
        result["cu_vs_alloy"][p] = comps[0]["statement"] if comps else None
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "potential_aggregation.json"
    path.write_text(json.dumps(result, indent=1, default=float) + "\n")
    print(json.dumps({k: result[k] for k in ("cost", "cu_vs_alloy")}, indent=1))
    for m, s in result["surfaces"].items():
        print(m, {p: s[p]["k_per_ps"] for p in runs}, s["pod_vs_eam"]["statement"])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
