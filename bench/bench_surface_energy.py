"""Benchmark the surface-energy campaign: wall time and peak memory per material.

Runs ``lithiophilic surface-energy`` once per material in a fresh process and a fresh
embedded database, then once more in the same database (every calculation is reused), and
writes the figures to ``bench/results/surface_energy.json``.

    .venv/bin/python bench/bench_surface_energy.py [--calculator sevenn] [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lithiophilic.defaults import PAPER_MATERIALS

ROOT = Path(__file__).resolve().parents[1]
EXE = ROOT / ".venv" / "bin" / "lithiophilic"


def run_one(material: str, calculator: str, extra: list[str], data_dir: Path) -> dict:
    cmd = [
        str(EXE),
        "surface-energy",
        "-m",
        material,
        "--calculator",
        calculator,
        "--data-dir",
        str(data_dir),
        "--json",
        str(data_dir / f"{material}.json"),
        *extra,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads((data_dir / f"{material}.json").read_text()) if proc.returncode == 0 else {}
    n_relax = sum(1 for r in out.get("rows", []))
    return {
        "material": material,
        "returncode": proc.returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        # ru_maxrss of children is the max over all children so far (KiB on Linux)
        "peak_rss_mib_max_so_far": round(after.ru_maxrss / 1024, 1),
        "n_slabs": n_relax,
        "stderr_tail": proc.stderr[-400:] if proc.returncode else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calculator", default="sevenn")
    parser.add_argument("--materials", nargs="*", default=list(PAPER_MATERIALS))
    parser.add_argument("--quick", action="store_true", help="thin slabs, one SQS sample")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "surface_energy.json"))
    args = parser.parse_args()
    extra = (
        [
            "--n-layers",
            "4",
            "--n-fixed-layers",
            "0",
            "--sqs-samples",
            "1",
            "--max-terminations",
            "1",
        ]
        if args.quick
        else []
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in args.materials:
            res = run_one(m, args.calculator, extra, Path(tmp) / m)
            print(json.dumps(res), flush=True)
            results.append(res)
        # re-run every material in its existing database: stored results are reused
        reruns = []
        for m in args.materials:
            res = run_one(m, args.calculator, extra, Path(tmp) / m)
            print(json.dumps({"rerun": res}), flush=True)
            reruns.append(res)
    total = sum(r["wall_s"] for r in results)
    total_rerun = sum(r["wall_s"] for r in reruns)
    doc = {
        "benchmark": "surface-energy campaign",
        "calculator": args.calculator,
        "quick": args.quick,
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "per_material": results,
        "total_wall_s": round(total, 1),
        "rerun_per_material": reruns,
        "rerun_total_wall_s": round(total_rerun, 1),
        "rerun_over_first_ratio": round(total_rerun / total, 4),
        "wall_fraction_per_material": {
            r["material"]: round(r["wall_s"] / total, 3) for r in results
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=1))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
