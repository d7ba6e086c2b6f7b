"""Benchmark the paper campaign: wall time and peak memory per stage, and the re-run time.

Runs ``lithiophilic paper [--quick]`` in a fresh database, then again against the same
database (every job reused), and writes ``bench/results/paper[_quick].json`` with the
per-stage figures the campaign records (wall time, peak RSS of each stage's process), the
total wall time, the re-run time and their ratio, and the verdict table.

    .venv/bin/python bench/bench_paper.py [--quick] [--work DIR]

Targets (issue 8): ``paper --quick`` ≤ 3 min and the full default campaign ≤ 20 min on
2 cores.
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

ROOT = Path(__file__).resolve().parents[1]


def run_once(work: Path, quick: bool, extra: list[str]) -> dict[str, object]:
    out = work / "report"
    cmd = [sys.executable, "-m", "lithiophilic", "paper", "--out", str(out)]
    cmd += ["--data-dir", str(work / "data"), *(["--quick"] if quick else []), *extra]
    t0 = time.perf_counter()
    with open(work / f"paper-{int(t0)}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    claims = json.loads((out / "claims.json").read_text())
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 1),
        "driver_peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "stages": [
            {k: s[k] for k in ("name", "panels", "status", "wall_s", "peak_rss_mib")}
            for s in claims["stages"]
        ],
        "verdicts": [
            {k: c[k] for k in ("panel", "claim", "ours", "verdict", "reason")}
            for c in claims["claims"]
        ],
    }


def job_breakdown(data_dir: Path, top: int = 15, since: str | None = None) -> dict[str, object]:
    """Computed jobs of a campaign database: the slowest ``top`` and the sum of all.

    Each calculation document records its own wall time (``output.wall_time_s``); results
    reused from an earlier job (``reused_from_uuid``) are skipped so nothing is counted twice.
    Works on a partial campaign too (``--breakdown DATA_DIR``); ``since`` (ISO time) keeps
    only jobs completed after it (e.g. one stage run into a database that holds others).
    """
    sys.path.insert(0, str(ROOT / "src"))
    from lithiophilic.db import get_store

    store = get_store(data_dir=data_dir)
    rows = []
    for d in store.docs_store.query(
        {"output.wall_time_s": {"$exists": True}},
        properties=["name", "completed_at", "output"],
    ):
        out = d.get("output") or {}
        if out.get("reused_from_uuid") or not isinstance(out.get("wall_time_s"), int | float):
            continue
        if since is not None and str(d.get("completed_at", "")) < since:
            continue
        rows.append(
            {
                "name": d["name"],
                "completed_at": d.get("completed_at"),
                "wall_s": round(float(out["wall_time_s"]), 1),
                "n_atoms": out.get("n_atoms"),
                "n_steps": out.get("n_steps"),
            }
        )
    rows.sort(key=lambda r: -r["wall_s"])
    return {
        "since": since,
        "n_computed_jobs": len(rows),
        "sum_job_wall_s": round(sum(r["wall_s"] for r in rows), 1),
        "slowest": rows[:top],
    }


def rerun_only(args: argparse.Namespace) -> None:
    """Re-run a finished campaign (``--work`` holding ``data/`` and ``report/``) N times.

    The first re-run after a code change may redraw figures the second keeps; both are
    recorded. ``--first-wall-s`` (the first run's wall time) gives the ratio.
    """
    work = Path(args.work)
    runs = []
    for _ in range(args.rerun_only):
        runs.append(run_once(work, args.quick, args.extra))
        print(json.dumps({k: runs[-1][k] for k in ("wall_s", "stages")}), flush=True)
    doc = {
        "benchmark": f"re-run of a stored lithiophilic paper{' --quick' if args.quick else ''}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "work": str(work),
        "cores": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "reruns": runs,
    }
    if args.first_wall_s:
        doc["first_run_wall_s"] = args.first_wall_s
        doc["rerun_ratios"] = [round(float(r["wall_s"]) / args.first_wall_s, 4) for r in runs]  # type: ignore[arg-type]
    out = Path(args.out or ROOT / "bench" / "results" / "paper_rerun.json")
    out.write_text(json.dumps(doc, indent=1))
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--work", default=None, help="working directory (kept)")
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--breakdown",
        default=None,
        metavar="DATA_DIR",
        help="only print the computed-job breakdown of an existing (possibly partial) campaign",
    )
    parser.add_argument("--since", default=None, help="with --breakdown: jobs completed after")
    parser.add_argument("--top", type=int, default=15, help="with --breakdown: slowest N jobs")
    parser.add_argument(
        "--rerun-only",
        type=int,
        default=0,
        metavar="N",
        help="only re-run the finished campaign in --work (its data/ and report/) N times",
    )
    parser.add_argument("--first-wall-s", type=float, default=None, help="with --rerun-only")
    parser.add_argument("extra", nargs="*", help="more paper options (after --)")
    args = parser.parse_args()
    if args.breakdown:
        print(json.dumps(job_breakdown(Path(args.breakdown), args.top, args.since), indent=1))
        return
    if args.rerun_only:
        rerun_only(args)
        return
    out_path = Path(
        args.out or ROOT / "bench" / "results" / f"paper{'_quick' if args.quick else ''}.json"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        first = run_once(work, args.quick, args.extra)
        first["jobs"] = job_breakdown(work / "data")
        print(json.dumps(first), flush=True)
        rerun = run_once(work, args.quick, args.extra)
        print(json.dumps(rerun), flush=True)
    doc = {
        "benchmark": f"lithiophilic paper{' --quick' if args.quick else ''}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "target_wall_s": 180 if args.quick else 1200,
        "first_run": first,
        "rerun": rerun,
        "rerun_ratio": round(float(rerun["wall_s"]) / float(first["wall_s"]), 4),  # type: ignore[arg-type]
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(doc, indent=1))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
