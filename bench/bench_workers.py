"""Workers (issue 21): the quick binding study with 1 and with 2 worker processes.

Runs the binding study (single Li on the sites of (111), ``--max-sites`` of them, a fan-out
created at run time, then ``--layers`` Li layers; each study's ``quick()`` preset, SevenNet-0)
for ``--materials`` with ``workers=1`` (jobflow's ``run_locally``, one process) once per
``--serial-threads`` (default: every core, torch's default, and 1) and with ``workers=2``
(:mod:`lithiophilic.studies.parallel`: two spawned worker processes, one thread each), each in
a fresh database and a fresh Python process (model load counted in all). Rounds alternate the
order. Reported per run: wall time, CPU time of the process and its children, jobs stored; per
round and (serial, parallel) pair: the wall-time ratio and the largest |ΔE| over every
calculation (matched by cache key) and over the binding energies (``*_ev`` of the site rows
and of the Li-layer results). Different thread counts round floats differently, so a later
cache key (its input structure hashed at 1e-4 Å) can differ; with one thread both ways the runs
are identical. Writes ``bench/results/workers.json``. Usage::

    python bench/bench_workers.py --materials Cu5Zn8 --max-sites 4 --layers 2 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "workers.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--materials", nargs="+", default=["Cu5Zn8"])
    p.add_argument("--max-sites", type=int, default=4)
    p.add_argument("--layers", type=int, default=2, help="Li layers (0: single Li only)")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument(
        "--serial-threads",
        type=int,
        nargs="+",
        default=sorted({os.cpu_count() or 1, 1}, reverse=True),
        help="torch/OpenMP threads of the workers=1 runs, one run each (default: every core, "
        "torch's default, and 1: the scheduler's gain alone, numerically identical runs)",
    )
    p.add_argument("--note", default="")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--run", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--run-workers", type=int, default=1, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def options(args: argparse.Namespace, workers: int) -> Any:
    """The binding study's quick options for this benchmark."""
    from lithiophilic.studies import binding, li_layers, li_sites

    sites = li_sites.Options.quick(
        materials=list(args.materials), max_sites=args.max_sites, workers=workers
    )
    layers = (
        li_layers.Options.quick(sites=sites, layers=args.layers, workers=workers)
        if args.layers
        else None
    )
    return binding.Options.quick(sites=sites, layers=layers, workers=workers)


def energies(result: Any, store: Any) -> dict[str, Any]:
    """Every calculation's energy by cache key, and the binding energies by row identity."""
    calcs = store.query(
        {"output.doc_type": "ase_calc"}, properties=["output.cache_key", "output.energy_ev"]
    )
    by_key = {d["output"]["cache_key"]: d["output"]["energy_ev"] for d in calcs}
    binding: dict[str, float] = {}
    for row in result.sites.site_rows:
        ident = "/".join(
            str(row.get(k)) for k in ("material", "miller", "termination", "site_label")
        )
        for key, value in row.items():
            if key.endswith("_ev") and isinstance(value, float):
                binding[f"site {ident} {key}"] = value
    for doc in result.layers.multilayers if result.layers else []:
        for key, value in doc.items():
            if key.endswith("_ev") and isinstance(value, float):
                binding[f"layers {doc.get('material')} {key}"] = value
            elif key.endswith("_ev") and isinstance(value, list):
                for i, v in enumerate(value):
                    if isinstance(v, float):
                        binding[f"layers {doc.get('material')} {key}[{i}]"] = v
    return {"calculations": by_key, "binding": binding}


def run_once(args: argparse.Namespace) -> dict[str, Any]:
    """Run the study into the fresh database ``args.run`` (in this process); return timings."""
    t0 = time.perf_counter()
    from lithiophilic.db import get_store
    from lithiophilic.studies import binding

    opts = options(args, args.run_workers)
    store = get_store(data_dir=args.run)
    t1 = time.perf_counter()
    import torch

    threads = torch.get_num_threads()
    result = binding.run(opts, store, data_dir=args.run)
    t2 = time.perf_counter()
    return {
        "workers": args.run_workers,
        "torch_threads_coordinator": threads,
        "import_s": round(t1 - t0, 2),
        "run_s": round(t2 - t1, 2),
        "complete": result.complete,
        "failed": result.failed,
        "missing": result.missing,
        "jobs_stored": store.count({}),
        **energies(result, store),
    }


def run_config(args: argparse.Namespace, workers: int, threads: int, base: Path) -> dict[str, Any]:
    """Run one configuration in a fresh process and database; return its report."""
    ddir = base / f"w{workers}-{time.time_ns()}"
    cmd = [sys.executable, __file__, "--run", str(ddir), "--run-workers", str(workers)]
    cmd += ["--materials", *args.materials, "--max-sites", str(args.max_sites)]
    cmd += ["--layers", str(args.layers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # the worker processes set one thread themselves
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        return {"workers": workers, "error": f"exit {proc.returncode}", "wall_s": round(wall, 2)}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(ddir, ignore_errors=True)
    return {**out, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}


def compare(one: dict[str, Any], two: dict[str, Any]) -> dict[str, Any]:
    """Largest differences between two runs' energies, and what only one of them has."""
    out: dict[str, Any] = {}
    for part in ("calculations", "binding"):
        a, b = one.get(part, {}), two.get(part, {})
        common = set(a) & set(b)
        out[f"{part}_compared"] = len(common)
        out[f"{part}_only_in_one_run"] = sorted(set(a) ^ set(b))
        out[f"max_abs_delta_{part}_ev"] = max((abs(a[k] - b[k]) for k in common), default=None)
        if part == "binding":  # which rows differ (> 1 meV), largest first
            deltas = sorted(((abs(a[k] - b[k]), k) for k in common), reverse=True)
            out["binding_rows_over_1_mev"] = [
                {"row": k, "first_ev": a[k], "second_ev": b[k], "abs_delta_ev": d}
                for d, k in deltas
                if d > 1e-3
            ]
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.run is not None:
        print(json.dumps(run_once(args)))
        return 0
    result: dict[str, Any] = {
        "benchmark": "quick binding study: workers=1 (run_locally) vs workers=2 (parallel runner)",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "note": args.note,
        "materials": args.materials,
        "max_sites": args.max_sites,
        "layers": args.layers,
        "serial_threads": args.serial_threads,
        "rounds": [],
    }
    base = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    configs = [
        (w, t, f"workers_1_threads_{t}")
        for w in args.workers
        if w == 1
        for t in args.serial_threads
    ] + [(w, 1, f"workers_{w}") for w in args.workers if w > 1]
    for k in range(args.rounds):
        runs = {}
        for w, t, name in configs if k % 2 == 0 else list(reversed(configs)):
            runs[name] = run_config(args, w, t, base)
            runs[name]["load_average_after"] = list(os.getloadavg())
            print(f"round {k} {name}: wall {runs[name]['wall_s']} s", flush=True)
        row: dict[str, Any] = {name: _summary(r) for name, r in runs.items()}
        serial = [n for n in runs if n.startswith("workers_1_") and "error" not in runs[n]]
        parallel = [n for n in runs if not n.startswith("workers_1_") and "error" not in runs[n]]
        for s in serial:
            for p in parallel:
                row[f"ratio_wall_{s}_over_{p}"] = round(runs[s]["wall_s"] / runs[p]["wall_s"], 3)
                row[f"{s}_vs_{p}"] = compare(runs[s], runs[p])
        result["rounds"].append(row)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    shutil.rmtree(base, ignore_errors=True)
    print(f"wrote {args.out}")
    return 0


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    """The run's report without the per-calculation energies (compared, not listed)."""
    out = {k: v for k, v in run.items() if k not in ("calculations", "binding")}
    out["calculations"] = len(run.get("calculations", {}))
    out["binding_energies"] = len(run.get("binding", {}))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
