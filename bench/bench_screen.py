"""Quick skin screen wall time (issue 20 item 5: Cu, Ag, Zn, Mg, Al in <= 20 min on 2 cores).

Runs ``lithiophilic screen --quick`` through the Python API (:func:`lithiophilic.studies.screen.run`,
the same call as the CLI) in a fresh database, skins one after another, and records the wall
time of each flow (job start/finish events), the total, the machine load (1-min load average
before/after, cores) and every descriptor, score, rank and facet choice.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_screen.py --data-dir /tmp/bench_screen
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_screen.py --skins Cu Ag --out /tmp/x.json
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_screen.py --preset full --out \
        bench/results/screen_default.json --skins Cu Cu5Zn8 Cu0.64Zn0.36 Ag Zn Mg Sn Al

Writes ``bench/results/screen_quick.json`` (``--out`` to change); ``--collect-only`` collects
a finished run again from its database (keeping the timing already in ``--out``). The machine is shared: the
time is of this run under the load it records, not a speed claim; compare ratios within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "screen_quick.json"
TARGET_S = 20 * 60.0
RESULT_KEYS = (
    "failed",
    "missing",
    "facet_choice",
    "descriptors",
    "reasons",
    "ranking",
    "li_hull",
    "comparison",
)


def _stored_job_span(store) -> dict:
    """Return the first and last job completion times in the store and their span, s."""
    from datetime import datetime

    times = [
        d["completed_at"]
        for d in store.docs_store.query(criteria={}, properties=["completed_at"])
        if d.get("completed_at")
    ]
    first, last = min(times), max(times)
    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return {"first_job_completed_at": first, "last_job_completed_at": last, "job_span_s": span}


def main() -> None:
    """Run the quick screen and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skins", nargs="+", default=["Cu", "Ag", "Zn", "Mg", "Al"])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/bench_screen_quick"))
    parser.add_argument("--calculator", default="sevenn")
    parser.add_argument(
        "--preset",
        choices=["quick", "full"],
        default="quick",
        help="screen --quick (default) or the default (full) screen",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--collect-only",
        action="store_true",
        help="Do not run: collect the stored results again (the timing of --out is kept).",
    )
    parser.add_argument(
        "--started-at", help="With --collect-only: ISO time the run was launched (wall time)."
    )
    parser.add_argument(
        "--earlier-chunks-s",
        type=float,
        nargs="*",
        default=[],
        help="wall times (s) of earlier runs of the same screen into the same --data-dir that "
        "were stopped (the screen resumes): added to this run's time",
    )
    args = parser.parse_args()
    target_s = TARGET_S if args.preset == "quick" else None

    from lithiophilic.db import get_store
    from lithiophilic.studies import screen

    args.data_dir.mkdir(parents=True, exist_ok=True)
    store = get_store(data_dir=args.data_dir)
    preset = screen.Options.quick if args.preset == "quick" else screen.Options.full
    options = preset(skins=args.skins, calculator=args.calculator)
    started: dict[str, float] = {}
    per_job: dict[str, float] = defaultdict(float)

    def on_job(event) -> None:
        if event.kind == "started":
            started[event.uuid] = time.perf_counter()
        elif event.uuid in started:
            per_job[event.name] += time.perf_counter() - started.pop(event.uuid)

    record: dict = {
        "skins": args.skins,
        "calculator": args.calculator,
        "preset": args.preset,
        "target_s": target_s,
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "note": "shared machine: other sessions ran at the same time (see the load averages)",
    }
    if args.collect_only:  # the flows ran before: keep that run's timing, collect again
        if args.out.is_file():
            old = json.loads(args.out.read_text())
            record.update({k: v for k, v in old.items() if k not in RESULT_KEYS})
        record.update(_stored_job_span(store))
        if args.started_at:  # the run's own timer was lost: launch -> last job completed
            from datetime import datetime

            last = datetime.fromisoformat(record["last_job_completed_at"])
            wall = (last - datetime.fromisoformat(args.started_at)).total_seconds()
            record.update(
                {
                    "wall_time_s": wall,
                    "within_target": None if target_s is None else wall <= target_s,
                    "wall_time_source": f"launched {args.started_at} (UTC) -> last job completed",
                }
            )
        record["collected_at_load_average_1min"] = os.getloadavg()[0]
        result = screen.collect(store, options)
    else:
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        result = screen.run(options, store=store, data_dir=args.data_dir, on_job=on_job)
        chunk = time.perf_counter() - t0
        wall = chunk + sum(args.earlier_chunks_s)
        record.update(
            {
                "wall_time_s": wall,
                "chunks_s": [*args.earlier_chunks_s, chunk],
                "within_target": None if target_s is None else wall <= target_s,
                "load_average_1min_before": load_before[0],
                "load_average_1min_after": os.getloadavg()[0],
                "slowest_jobs_s": dict(sorted(per_job.items(), key=lambda kv: -kv[1])[:15]),
            }
        )
    record.update(
        {
            "failed": result.failed,
            "missing": result.missing,
            "facet_choice": result.facet_choice,
            "descriptors": result.descriptors,
            "reasons": result.reasons,
            "ranking": result.ranking,
            "rule_version": result.rule_version,
            "comparison": result.comparison,
            "li_hull": {k: v.get("hull") for k, v in result.li_details.items()},
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1, default=str))
    print(json.dumps({k: record.get(k) for k in ("wall_time_s", "within_target", "failed")}))


if __name__ == "__main__":
    main()
