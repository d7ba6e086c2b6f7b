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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--materials", nargs="*", default=["Cu", "Cu5Zn8", "Cu0.64Zn0.36"])
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
    args = parser.parse_args()
    out_path = Path(
        args.out or ROOT / "bench" / "results" / f"binding{'_quick' if args.quick else ''}.json"
    )
    results = []
    final: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in [*args.materials, *(["all"] if args.data_dir else [])]:
            ddir = Path(args.data_dir) if args.data_dir else Path(tmp) / m
            ddir.mkdir(parents=True, exist_ok=True)
            json_file = ddir / f"binding-{m}.json"
            mats = args.materials if m == "all" else [m]
            cmd = [str(EXE), "binding", "--data-dir", str(ddir), "--json", str(json_file)]
            for mat in mats:
                cmd += ["-m", mat]
            if args.quick:
                cmd.append("--quick")
            if args.layers:
                cmd += ["--layers", str(args.layers)]
            if args.max_sites:
                cmd += ["--max-sites", str(args.max_sites)]
            if args.li_fmax is not None:
                cmd += ["--li-fmax", str(args.li_fmax)]
            before = count_relaxations(ddir)
            t0 = time.perf_counter()
            with open(ddir / f"binding-{m}.log", "w") as log:
                proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
                _, status, usage = os.wait4(proc.pid, 0)
            returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - t0
            after = count_relaxations(ddir)
            res = {
                "material": m,
                "returncode": returncode,
                "wall_s": round(wall, 1),
                "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
                **{k: v - before.get(k, 0) for k, v in after.items()},
            }
            if m == "all":
                res["reports"] = str(ddir / "reports")
                final = res
                print(json.dumps(res), flush=True)
                continue
            if returncode == 0:
                doc = json.loads(json_file.read_text())
                res["summaries"] = [
                    {
                        k: s[k]
                        for k in (
                            "miller",
                            "lowest_final_site_kind",
                            "binding_energy_bcc_ev",
                            "binding_energy_atom_ev",
                            "spread_ev",
                            "n_valid",
                            "n_sites",
                        )
                    }
                    for s in doc["summaries"]
                ]
                res["multilayers"] = [
                    {k: s[k] for k in ("lattice_mismatch", "incremental_binding_energy_ev")}
                    for s in doc.get("multilayers", [])
                ]
            else:
                res["log_tail"] = (ddir / f"binding-{m}.log").read_text()[-600:]
            print(json.dumps(res), flush=True)
            results.append(res)
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
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
