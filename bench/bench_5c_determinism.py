"""Determinism of the 5c single-Li result: the quick Cu5Zn8(111) study, repeated in fresh databases.

Each run is a separate process with its own, empty database (the cache cannot answer) and its
own ``OMP_NUM_THREADS`` (default runs: 1, 2, 1 threads). A deterministic study gives the same
strongest adsorbed site label and the same E_b (within ``--tol-ev``, default 1 meV) in every
run. Writes ``bench/results/5c_determinism.json`` (after each run, so a killed bench keeps the
runs it finished).

Usage::

    OMP_NUM_THREADS=1 python bench/bench_5c_determinism.py            # all sites, ~1 h
    python bench/bench_5c_determinism.py --max-sites 6 --threads 1 2 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "5c_determinism.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--material", default="Cu5Zn8")
    p.add_argument("--miller", default="111")
    p.add_argument("--max-sites", type=int, default=None, help="None: every distinct site")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2, 1])
    p.add_argument("--tol-ev", type=float, default=0.001)
    p.add_argument(
        "--termination",
        default="lowest_gamma",
        help="slab termination: 'lowest_gamma' (the study's default) or an index",
    )
    p.add_argument("--parallel", action="store_true", help="run the repeats side by side")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument(
        "--compare-dbs",
        type=Path,
        nargs="+",
        default=None,
        help="compare the single-Li sites already stored in these databases (one per run, "
        "e.g. the runs of a bench cut short) instead of running",
    )
    p.add_argument("--labels", nargs="+", default=None, help="names of --compare-dbs runs")
    p.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def worker(args: argparse.Namespace) -> None:
    """Run the quick 5c study once into ``args.data_dir``; write its summaries to ``args.worker``."""
    from lithiophilic.studies import li_sites

    miller = [int(c) for c in args.miller]
    term = args.termination if args.termination == "lowest_gamma" else int(args.termination)
    options = li_sites.Options.quick(
        materials=[args.material], millers=[miller], max_sites=args.max_sites, termination=term
    )
    t0 = time.perf_counter()
    result = li_sites.run(options, data_dir=args.data_dir)
    wall = time.perf_counter() - t0
    doc = {
        "wall_s": wall,
        "failed": result.failed,
        "missing": result.missing,
        "table": li_sites.table_rows(result),
        "claims_input": [
            {k: s.get(k) for k in ("material", "termination", "termination_choice", "sqs_seed")}
            for s in result.summaries
        ],
        "summaries": [
            {
                k: s.get(k)
                for k in (
                    "material",
                    "miller",
                    "termination",
                    "termination_choice",
                    "lowest_site_label",
                    "lowest_final_site_kind",
                    "lowest_outcome",
                    "binding_energy_bcc_ev",
                    "n_sites",
                    "n_by_outcome",
                    "strongest_incorporated",
                )
            }
            for s in result.summaries
        ],
    }
    args.worker.write_text(json.dumps(doc, indent=1, default=str))


def run_once(args: argparse.Namespace, threads: int, index: int) -> dict[str, Any]:
    """Run one worker process with ``threads`` OpenMP threads in a fresh database."""
    with tempfile.TemporaryDirectory(prefix=f"det5c_{index}_") as tmp:
        out = Path(tmp) / "out.json"
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            str(out),
            "--data-dir",
            str(Path(tmp) / "db"),
            "--material",
            args.material,
            "--miller",
            args.miller,
        ]
        cmd += ["--termination", str(args.termination)]
        if args.max_sites is not None:
            cmd += ["--max-sites", str(args.max_sites)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=False)
        doc: dict[str, Any] = {"threads": threads, "returncode": proc.returncode}
        doc["process_wall_s"] = time.perf_counter() - t0
        if proc.returncode != 0 or not out.exists():
            doc["stderr_tail"] = proc.stderr[-3000:]
            return doc
        doc.update(json.loads(out.read_text()))
        return doc


def compare(runs: list[dict[str, Any]], tol_ev: float) -> dict[str, Any]:
    """Return whether every finished run has the same strongest site and E_b within ``tol_ev``."""
    firsts = [r["summaries"][0] for r in runs if r.get("summaries")]
    if len(firsts) < 2:
        return {"n_compared": len(firsts), "deterministic": None}
    labels = sorted({s["lowest_site_label"] for s in firsts})
    eb = [float(s["binding_energy_bcc_ev"]) for s in firsts]
    spread = max(eb) - min(eb)
    sites: dict[str, list[float]] = {}
    for r in runs:
        for row in r.get("table", []):
            sites.setdefault(row["site_label"], []).append(float(row["binding_energy_bcc_ev"]))
    per_site = {k: max(v) - min(v) for k, v in sites.items() if len(v) > 1}
    outcomes = {
        row["site_label"]: sorted(
            {
                str(x["outcome"])
                for r in runs
                for x in r.get("table", [])
                if x["site_label"] == row["site_label"]
            }
        )
        for row in runs[0].get("table", [])
    }
    return {
        "n_compared": len(firsts),
        "strongest_site_labels": labels,
        "binding_energy_bcc_ev": eb,
        "binding_energy_spread_ev": spread,
        "max_site_spread_ev": max(per_site.values()) if per_site else None,
        "per_site_spread_ev": per_site,
        "outcomes_per_site": outcomes,
        "same_outcomes": all(len(v) == 1 for v in outcomes.values()),
        "deterministic": len(labels) == 1 and spread <= tol_ev,
        "tol_ev": tol_ev,
    }


def stored_sites(data_dir: Path, material: str) -> dict[str, dict[str, Any]]:
    """Return site label -> stored single-Li numbers of ``material`` in one database."""
    from lithiophilic.db import get_store

    store = get_store(data_dir=data_dir)
    store.connect()
    keys = (
        "site_label",
        "termination",
        "binding_energy_bcc_ev",
        "energy_ev",
        "outcome",
        "outcome_detail",
        "coordination_number",
        "local_height_a",
        "substrate_change_ev",
        "final_site_kind",
        "start_displacement_a",
        "converged",
    )
    props = ["completed_at", *[f"output.{k}" for k in keys]]
    crit = {"output.doc_type": "li_site", "output.material": material}
    out: dict[str, dict[str, Any]] = {}
    for doc in store.query(criteria=crit, properties=props, sort={"completed_at": 1}):
        row = {k: doc["output"].get(k) for k in keys}
        if row["start_displacement_a"] is not None:  # sites of this code only
            out[f"t{row['termination']} {row['site_label']}"] = row
    calcs = {  # same cache key = same input structure, calculator and settings
        f"{d['output'].get('label')} [{d['output'].get('cache_key')}]": d["output"].get("energy_ev")
        for d in store.query(
            criteria={"output.doc_type": "ase_calc", "output.task": "relax"},
            properties=["output.label", "output.cache_key", "output.energy_ev"],
        )
        if " Li@" in str(d["output"].get("label"))
    }
    out["_li_relax_energies_ev"] = calcs
    return out


def compare_dbs(args: argparse.Namespace) -> dict[str, Any]:
    """Compare per-site results (E_b, outcome) and Li relaxation energies across databases."""
    labels = args.labels or [str(p) for p in args.compare_dbs]
    runs = {
        lab: stored_sites(p, args.material) for lab, p in zip(labels, args.compare_dbs, strict=True)
    }
    relax = {lab: r.pop("_li_relax_energies_ev") for lab, r in runs.items()}
    sites = sorted({k for r in runs.values() for k in r})
    per_site = {}
    for k in sites:
        got = {lab: r[k] for lab, r in runs.items() if k in r}
        eb = [float(v["binding_energy_bcc_ev"]) for v in got.values()]
        per_site[k] = {
            "runs": sorted(got),
            "binding_energy_bcc_ev": {lab: v["binding_energy_bcc_ev"] for lab, v in got.items()},
            "spread_ev": max(eb) - min(eb) if len(eb) > 1 else None,
            "outcomes": sorted({f"{v['outcome']} ({v['outcome_detail']})" for v in got.values()}),
            "final_site_kinds": sorted({str(v["final_site_kind"]) for v in got.values()}),
            "coordination_numbers": sorted({v["coordination_number"] for v in got.values()}),
        }
    names = sorted({n for r in relax.values() for n in r})
    relax_cmp = {}
    for n in names:
        es = {lab: r[n] for lab, r in relax.items() if n in r}
        if len(es) > 1:
            relax_cmp[n] = {"energy_ev": es, "spread_ev": max(es.values()) - min(es.values())}
    spreads = [v["spread_ev"] for v in per_site.values() if v["spread_ev"] is not None]
    return {
        "benchmark": "5c determinism: single-Li sites compared across fresh databases",
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "material": args.material,
        "databases": dict(zip(labels, map(str, args.compare_dbs), strict=True)),
        "per_site": per_site,
        "li_relaxations": relax_cmp,
        "n_sites_compared": len(spreads),
        "max_site_spread_ev": max(spreads) if spreads else None,
        "same_outcomes": all(len(v["outcomes"]) == 1 for v in per_site.values()),
        "within_tol": bool(spreads) and max(spreads) <= args.tol_ev,
        "tol_ev": args.tol_ev,
    }


def main(argv: list[str] | None = None) -> None:
    """Run the repeated study and write the JSON document."""
    args = parse_args(argv)
    if args.worker is not None:
        worker(args)
        return
    if args.compare_dbs is not None:
        doc = compare_dbs(args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1, default=str))
        print(
            json.dumps(
                {k: v for k, v in doc.items() if k not in ("per_site",)}, indent=1, default=str
            )
        )
        return
    runs: list[dict[str, Any]] = []
    if args.parallel:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(args.threads)) as pool:
            batches = [
                list(pool.map(lambda it: run_once(args, it[1], it[0]), enumerate(args.threads)))
            ]
    else:
        batches = ([run_once(args, t, i)] for i, t in enumerate(args.threads))  # type: ignore[assignment]
    for batch in batches:
        runs.extend(batch)
        doc = {
            "benchmark": "5c determinism: quick single-Li study in fresh databases",
            "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "host": platform.node(),
            "cores": os.cpu_count(),
            "material": args.material,
            "miller": args.miller,
            "max_sites": args.max_sites,
            "termination": args.termination,
            "parallel": args.parallel,
            "threads": args.threads,
            "runs": runs,
            "comparison": compare(runs, args.tol_ev),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1, default=str))
        print(json.dumps(doc["comparison"]), flush=True)


if __name__ == "__main__":
    main()
