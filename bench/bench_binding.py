"""Benchmark the Li binding campaign: wall time, relaxations and peak memory per material.

Runs ``lithiophilic binding`` once per material in a fresh process and writes the figures
to ``bench/results/binding[_quick].json``.  Each material gets a fresh embedded database,
unless ``--data-dir`` names one shared database: then the materials run in turn against it
(the Li references are computed once), and a final run over all materials, which must
reuse every result, draws Fig. 5c/5d/5e for the three materials together into
``DATA_DIR/reports``.

    .venv/bin/python bench/bench_binding.py [--quick] [--layers 5] [--max-sites N] [--data-dir DIR]

Peak memory is each child's own maximum resident set size (``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from lithiophilic.defaults import PAPER_MATERIALS

ROOT = Path(__file__).resolve().parents[1]
EXE = ROOT / ".venv" / "bin" / "lithiophilic"


def count_relaxations(data_dir: Path) -> dict[str, int]:
    import sys

    code = (
        "from lithiophilic.db import get_store;"
        f"s=get_store(data_dir={str(data_dir)!r});"
        "print(s.count({'output.doc_type':'ase_calc','output.task':'relax','output.reused_from_uuid':None}),"
        "s.count({'output.doc_type':'ase_calc','output.task':'static','output.reused_from_uuid':None}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n_relax, n_static = (int(x) for x in out.stdout.split())
    return {"n_relaxations": n_relax, "n_statics": n_static}


SUMMARY_KEYS = (
    "miller",
    "lowest_final_site_kind",
    "binding_energy_bcc_ev",
    "binding_energy_atom_ev",
    "spread_ev",
    "n_valid",
    "n_sites",
)
MULTILAYER_KEYS = ("lattice_mismatch", "incremental_binding_energy_ev")


def parse_args() -> argparse.Namespace:
    """Parse the command line (materials, preset, layers, sites, output and database options)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--materials", nargs="*", default=list(PAPER_MATERIALS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--layers", type=int, default=0)
    parser.add_argument("--max-sites", type=int, default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--data-dir", default=None, help="one shared database (kept)")
    parser.add_argument("--li-fmax", type=float, default=None, help="binding --li-fmax")
    parser.add_argument(
        "--first-run-log",
        default=None,
        help="stdout of an earlier run into the same --data-dir: its per-material lines are "
        "the first run, this run's are recorded as the re-run",
    )
    return parser.parse_args()


def binding_command(
    args: argparse.Namespace, materials: list[str], data_dir: Path, json_file: Path
) -> list[str]:
    """The ``lithiophilic binding`` command line for ``materials`` into ``data_dir``."""
    cmd = [str(EXE), "binding", "--data-dir", str(data_dir), "--json", str(json_file)]
    for mat in materials:
        cmd += ["-m", mat]
    if args.quick:
        cmd.append("--quick")
    if args.layers:
        cmd += ["--layers", str(args.layers)]
    if args.max_sites:
        cmd += ["--max-sites", str(args.max_sites)]
    if args.li_fmax is not None:
        cmd += ["--li-fmax", str(args.li_fmax)]
    return cmd


def run_one(args: argparse.Namespace, m: str, data_dir: Path) -> dict:
    """Run the binding campaign for ``m`` (a material, or ``"all"``) in a child process.

    Returns its return code, wall time, peak RSS and the relaxations/statics it computed; for
    a material that succeeded, also its summaries and multilayers, else the end of its log.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    json_file = data_dir / f"binding-{m}.json"
    mats = args.materials if m == "all" else [m]
    cmd = binding_command(args, mats, data_dir, json_file)
    before = count_relaxations(data_dir)
    t0 = time.perf_counter()
    with open(data_dir / f"binding-{m}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
    returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    after = count_relaxations(data_dir)
    res = {
        "material": m,
        "returncode": returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        **{k: v - before.get(k, 0) for k, v in after.items()},
    }
    if m == "all":
        res["reports"] = str(data_dir / "reports")
    elif returncode == 0:
        doc = json.loads(json_file.read_text())
        res["summaries"] = [{k: s[k] for k in SUMMARY_KEYS} for s in doc["summaries"]]
        res["multilayers"] = [
            {k: s[k] for k in MULTILAYER_KEYS} for s in doc.get("multilayers", [])
        ]
    else:
        res["log_tail"] = (data_dir / f"binding-{m}.log").read_text()[-600:]
    return res


def run_campaign(args: argparse.Namespace) -> tuple[list[dict], dict]:
    """Run every material (and, with ``--data-dir``, the final all-materials run).

    Returns the per-material results and the all-materials result (empty without
    ``--data-dir``); each result is printed as one JSON line when it is done.
    """
    results = []
    final: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in [*args.materials, *(["all"] if args.data_dir else [])]:
            ddir = Path(args.data_dir) if args.data_dir else Path(tmp) / m
            res = run_one(args, m, ddir)
            print(json.dumps(res), flush=True)
            if m == "all":
                final = res
            else:
                results.append(res)
    return results, final


def result_document(args: argparse.Namespace, results: list[dict], final: dict) -> dict:
    """The JSON document written to ``--out``.

    With ``--first-run-log`` the first run's per-material lines come from that log and this
    run is recorded as the re-run.
    """
    doc = {
        "benchmark": "Li binding campaign",
        "quick": args.quick,
        "layers": args.layers,
        "max_sites": args.max_sites,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "li_fmax_ev_per_a": args.li_fmax,
        "shared_database": bool(args.data_dir),
        "per_material": results,
        "total_wall_s": round(sum(r["wall_s"] for r in results), 1),
        **({"rerun_all_materials": final} if final else {}),
    }
    if args.first_run_log:
        first = [
            json.loads(line)
            for line in Path(args.first_run_log).read_text().splitlines()
            if line.startswith("{") and json.loads(line)["material"] != "all"
        ]
        doc["rerun_per_material"] = doc["per_material"]
        doc["per_material"] = first
        doc["total_wall_s"] = round(sum(r["wall_s"] for r in first), 1)
        doc["rerun_total_wall_s"] = round(sum(r["wall_s"] for r in results), 1)
        doc["rerun_ratio"] = round(doc["rerun_total_wall_s"] / doc["total_wall_s"], 4)
    return doc


def main() -> None:
    args = parse_args()
    out_path = Path(
        args.out or ROOT / "bench" / "results" / f"binding{'_quick' if args.quick else ''}.json"
    )
    results, final = run_campaign(args)
    doc = result_document(args, results, final)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
