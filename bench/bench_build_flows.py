"""Time the PDOS stage's ``build_flows`` of ``lithiophilic paper --quick`` (issue 21).

The PDOS study builds the bulk input cell of each material while building its flows
(:func:`lithiophilic.workflows.pdos.pdos_input_structure`), and ``PdosMaker.make`` builds it
again; for the random alloy that is an SQS (icet cluster space, Monte-Carlo annealing,
correlation report). ``make_sqs`` keeps the SQS it built in this process, so an identical
SQS is not generated twice. This bench measures, in fresh processes (median of ``--repeat``):

* ``pdos_cold``: the PDOS stage's ``build_flows`` alone, SQS file cache off (first call in
  the process), then the same call a second time in the same process (``pdos_again``);
* ``paper_one_process``: the surface, PDOS and binding stages' ``build_flows`` one after the
  other in one process, as ``lithiophilic paper --quick`` runs them, with an empty SQS file
  cache (``$LITHIOPHILIC_SQS_CACHE``, a fresh campaign) and with that cache filled (a re-run);

and counts the SQS searches (icet annealing runs) and SQS file-cache reads in each. With
``--before-src DIR`` the same runs use the package in ``DIR`` (e.g. a ``git worktree`` of
the commit before the change) and the JSON gets the ratios. The structures and flows are
the same either way (``tests/test_compat.py``); only the time changes.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/bench_build_flows.py --repeat 3 \
        --before-src /tmp/h1-before/src
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

#: One measurement: argv[1] is the scenario; prints one JSON line of wall times and counts.
CHILD = r"""
import json, logging, sys, time
counts = {"sqs_searches": 0, "sqs_file_cache_reads": 0}

class Count(logging.Handler):
    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith("SQS annealing: reused cached result"):
            counts["sqs_file_cache_reads"] += 1
        elif msg.startswith("SQS annealing:"):
            counts["sqs_searches"] += 1

log = logging.getLogger("lithiophilic.structures.sqs")
log.setLevel(logging.INFO)
log.addHandler(Count())
log.propagate = False
logging.getLogger("lithiophilic.structures._sqs_cache").addHandler(log.handlers[0])
logging.getLogger("lithiophilic.structures._sqs_cache").setLevel(logging.INFO)

from lithiophilic.studies import STUDIES
from lithiophilic.studies.paper import PaperOptions, stage_options

opts = stage_options(PaperOptions(preset="quick", stages=["surface", "pdos", "binding"]))
t = {}

def timed(name, stage):
    start = time.perf_counter()
    for o in opts[stage]:
        STUDIES[type(o).study].build_flows(o)
    t[name + "_s"] = time.perf_counter() - start

if sys.argv[1] == "pdos_cold":
    timed("pdos", "pdos")
    timed("pdos_again", "pdos")
else:
    for stage in ("surface", "pdos", "binding"):
        timed(stage, stage)
print(json.dumps({**t, **counts}))
"""


def _child(scenario: str, src: Path | None, sqs_cache: str) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LITHIOPHILIC_SQS_CACHE": sqs_cache}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, scenario],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _measure(src: Path | None, repeat: int) -> dict[str, dict[str, float]]:
    runs: dict[str, list[dict[str, float]]] = {
        "pdos_cold": [],
        "paper_fresh_sqs_cache": [],
        "paper_filled_sqs_cache": [],
    }
    for _ in range(repeat):
        runs["pdos_cold"].append(_child("pdos_cold", src, "off"))
        with tempfile.TemporaryDirectory(prefix="bench-sqs-") as cache:
            runs["paper_fresh_sqs_cache"].append(_child("paper", src, cache))
            runs["paper_filled_sqs_cache"].append(_child("paper", src, cache))
    return {
        scenario: {key: round(median(r[key] for r in rows), 3) for key in rows[0]}
        for scenario, rows in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before-src", type=Path, help="src/ of the tree to compare with")
    parser.add_argument("--out", type=Path, default=RESULTS / "build_flows.json")
    args = parser.parse_args()
    after = _measure(None, args.repeat)
    result: dict[str, object] = {
        "benchmark": "bench_build_flows",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["bench/bench_build_flows.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "repeat": args.repeat,
        "statistic": "median over fresh processes, seconds",
        "after": after,
    }
    if args.before_src is not None:
        before = _measure(args.before_src.resolve(), args.repeat)
        result["before"] = before
        result["before_src"] = str(args.before_src)
        result["speedup_before_over_after"] = {
            scenario: {
                key: round(before[scenario][key] / after[scenario][key], 2)
                for key in after[scenario]
                if key.endswith("_s") and after[scenario][key] > 0
            }
            for scenario in after
        }
    result["load_average_at_end"] = list(os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
