"""Teacher (SevenNet-0) vs distilled-potential aggregation MD in the same ASE engine, in chunks.

Issue 19 item 3. Every run uses ``lithiophilic.workflows.md_ase`` (the LAMMPS path's
held-apart protocol, substrate-only Langevin, Li NVE) on the system
``aggregation_system(material, lateral_size, n_layers, seed=replica)`` with velocity/noise seed
``replica + 1``: the teacher and the potential see the identical system and seeds.

    # one session's worth of chunks of one run (rerun: it continues where it stopped)
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_teacher_md.py run --calculator sevenn \
        --material Cu --replica 0 --time-ps 5 --chunk-ps 0.2 --max-chunks 1
    # restart equivalence: 2 chunks of N steps (two calls, fresh calculators) == 1 run of 2N
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_teacher_md.py restart-check --calculator sevenn
    # measured s/step of every run so far -> the cost of the full comparison
    .venv/bin/python bench/bench_teacher_md.py estimate
    # k, phi_inf, t_half per completed run
    .venv/bin/python bench/bench_teacher_md.py analyze --cutoff 3.3

Results go to ``bench/results/teacher_md.json`` (one entry per run / check / estimate); the run
directories (state, frames) under ``--root`` (default ``teacher-md/``, not committed).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "teacher_md.json"
#: The full comparison asked for: ps per run, replicas per surface, surfaces.
FULL = {"time_ps": 5.0, "replicas": 3, "surfaces": 2, "timestep_fs": 1.0}


def _load() -> dict[str, Any]:
    return json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"runs": {}}


def _store(update: dict[str, Any]) -> None:
    doc = _load()
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key].update(value)
        else:
            doc[key] = value
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=1, default=float) + "\n")


def _settings(args: argparse.Namespace, calculator: str) -> Any:
    from lithiophilic.workflows.md_ase import AseMdSettings

    chunk = round(args.chunk_ps * 1000 / args.timestep_fs)
    return AseMdSettings(
        calculator,
        timestep_fs=args.timestep_fs,
        n_steps=round(args.time_ps * 1000 / args.timestep_fs),
        chunk_steps=chunk,
        dump_every=max(1, chunk // 10),
        seed=args.replica + 1,
        equilibration_steps=args.equilibration_steps,
    )


def _system(args: argparse.Namespace) -> Any:
    from lithiophilic.workflows.md_ase import aggregation_system

    nx, ny = (int(v) for v in args.lateral.split("x"))
    return aggregation_system(
        args.material, lateral_size=(nx, ny), n_layers=args.layers, seed=args.replica
    )


def _run_key(args: argparse.Namespace, calculator: str) -> str:
    return f"{calculator}/{args.material}/{args.lateral}x{args.layers}/r{args.replica}"


def cmd_run(args: argparse.Namespace) -> None:
    from lithiophilic.workflows.md_ase import run_ase_md

    key = _run_key(args, args.calculator)
    atoms = _system(args)
    res = run_ase_md(
        atoms, _settings(args, args.calculator), args.root / key, max_chunks=args.max_chunks
    )
    old = _load()["runs"].get(key, {})
    timing = old.get("s_per_step_measured", [])
    if res.get("s_per_step"):
        timing.append(res["s_per_step"])
    entry = {
        "n_atoms": len(atoms),
        "n_li": int(sum(s == "Li" for s in atoms.get_chemical_symbols())),
        "status": res["status"],
        "step": res["step"],
        "failure": res.get("failure"),
        "s_per_step_measured": timing,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "settings": json.loads((args.root / key / "settings.json").read_text()),
        "start": {k: res[k] for k in res if k.startswith(("minimization", "substrate_temp"))},
    }
    _store({"runs": {key: entry}})
    print(key, json.dumps({k: entry[k] for k in ("status", "step", "s_per_step_measured")}))


def cmd_restart_check(args: argparse.Namespace) -> None:
    """Two chunks of N steps (two calls, a fresh calculator each) vs one run of 2N steps."""
    import dataclasses

    from lithiophilic.workflows.md_ase import make_calculator, run_ase_md

    atoms = _system(args)
    n = args.steps
    one = dataclasses.replace(
        _settings(args, args.calculator), n_steps=2 * n, chunk_steps=2 * n, dump_every=n
    )
    two = dataclasses.replace(one, chunk_steps=n)
    base = args.root / "restart-check" / args.calculator.replace(":", "_") / args.material
    t0 = time.perf_counter()
    run_ase_md(atoms, one, base / "one")
    run_ase_md(atoms, two, base / "two", max_chunks=1)
    run_ase_md(atoms, two, base / "two", calc=make_calculator(args.calculator))
    with np.load(base / "one" / "state.npz") as a, np.load(base / "two" / "state.npz") as b:
        dx = float(np.abs(a["positions"] - b["positions"]).max())
        dv = float(np.abs(a["velocities"] - b["velocities"]).max())
        moved = float(np.abs(a["positions"] - atoms.positions).max())
    entry = {
        "calculator": args.calculator,
        "material": args.material,
        "n_atoms": len(atoms),
        "steps": f"2 x {n} (two calls) vs 1 x {2 * n}",
        "max_abs_position_difference_a": dx,
        "max_abs_velocity_difference_a_per_ase_time": dv,
        "max_displacement_from_start_a": moved,
        "equal_to_1e-6_a": dx < 1e-6,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    _store({"restart_check": {f"{args.calculator}/{args.material}": entry}})
    print(json.dumps(entry))


def cmd_estimate(_: argparse.Namespace) -> None:
    """Cost of >= 5 ps x 3 replicas x 2 surfaces from the measured s/step of each calculator."""
    runs = _load()["runs"]
    est = {}
    for key, r in runs.items():
        if not r.get("s_per_step_measured"):
            continue
        s = float(np.median(r["s_per_step_measured"]))
        steps = FULL["time_ps"] * 1000 / FULL["timestep_fs"] * FULL["replicas"] * FULL["surfaces"]
        est[key] = {
            "n_atoms": r["n_atoms"],
            "s_per_step": s,
            "full_steps": int(steps),
            "full_wall_hours_at_measured_load": steps * s / 3600.0,
            "note": "5 ps x 3 replicas x 2 surfaces at 1 fs, assuming the same s/step on both "
            "surfaces and this machine's load (2 cores shared by several jobs)",
        }
        print(key, json.dumps(est[key]))
    _store({"cost_estimate": {"full": FULL, "per_run_setup": est}})


def cmd_analyze(args: argparse.Namespace) -> None:
    from lithiophilic.workflows.md_ase import analyze_ase_md

    out = {}
    for key, r in _load()["runs"].items():
        if r["status"] != "completed":
            continue
        res = analyze_ase_md(args.root / key, cutoff_a=args.cutoff)
        out[key] = {"cutoff_a": args.cutoff, **res["kinetics"]}
        print(key, json.dumps(out[key], default=float))
    _store({"kinetics": out})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["run", "restart-check", "estimate", "analyze"])
    parser.add_argument("--calculator", default="sevenn", help="sevenn or lammps:licuzn-eam")
    parser.add_argument("--material", default="Cu", help="Cu or Cu0.64Zn0.36")
    parser.add_argument("--replica", type=int, default=0)
    parser.add_argument("--lateral", default="5x5")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--time-ps", type=float, default=5.0)
    parser.add_argument("--chunk-ps", type=float, default=0.2)
    parser.add_argument("--timestep-fs", type=float, default=1.0)
    parser.add_argument("--equilibration-steps", type=int, default=200)
    parser.add_argument("--max-chunks", type=int, default=None)
    parser.add_argument("--steps", type=int, default=10, help="restart-check: N")
    parser.add_argument("--cutoff", type=float, default=3.3)
    parser.add_argument("--root", type=Path, default=Path("teacher-md"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    {
        "run": cmd_run,
        "restart-check": cmd_restart_check,
        "estimate": cmd_estimate,
        "analyze": cmd_analyze,
    }[args.mode](args)


if __name__ == "__main__":
    main()
