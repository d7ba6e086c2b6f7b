"""Threads (issue 21, item 3): one SevenNet-0 process with 2 torch threads vs two with 1 thread each.

The work is two Li-on-Cu(111) relaxations of fixed length (``--steps`` BFGS steps with
``fmax=0``, so exactly steps + 1 force calls each, whatever the thread count): a 4x4x4 slab
(65 atoms, a quick Cu(111) supercell) and a 6x6x4 slab (145 atoms, the size of a quick γ-brass
slab + Li). Configurations, each a fresh set of processes, run one after the other and then
repeated in reverse order (the machine is shared; the ratio of one round is what is quoted):

* ``1proc_2threads``: one process, ``torch.set_num_threads(2)``, the two relaxations in turn;
* ``2proc_1thread``: two processes side by side, one thread each, one relaxation each;
* ``1proc_1thread``: one process, one thread, both in turn (the serial baseline).

Reported: wall time of the configuration (process start, model load and one warm-up call included)
and the compute time inside the relaxations, and the throughput ratio. Writes
``bench/results/threads.json``. Usage::

    python bench/bench_threads.py --steps 30 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "threads.json"
CASES = {"cu111_4x4x4_li": (4, 4, 4), "cu111_6x6x4_li": (6, 6, 4)}
CONFIGS = {
    "1proc_2threads": [(2, list(CASES))],
    "2proc_1thread": [(1, [name]) for name in CASES],
    "1proc_1thread": [(1, list(CASES))],
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--configs", nargs="+", default=list(CONFIGS))
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--worker", nargs="+", default=None, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def build_case(size: tuple[int, int, int]) -> Any:
    """Cu(111) slab (bottom two planes fixed) with one Li on an fcc hollow at the contact height."""
    from ase.build import add_adsorbate, fcc111
    from ase.constraints import FixAtoms

    slab = fcc111("Cu", size=size, a=3.62, vacuum=7.5, periodic=True)
    add_adsorbate(slab, "Li", 2.1, "fcc")
    slab.center(vacuum=7.5, axis=2)
    slab.set_constraint(FixAtoms(indices=[a.index for a in slab if a.tag >= size[2] - 1]))
    return slab


def worker(names: list[str], threads: int, steps: int) -> dict[str, Any]:
    """Run the fixed-length relaxations ``names`` in this process; return timings."""
    import torch
    from ase.optimize import BFGS

    t0 = time.perf_counter()
    torch.set_num_threads(threads)
    from lithiophilic.potentials import CalculatorSpec, get_calculator

    calc = get_calculator(CalculatorSpec("sevenn"))
    warm = build_case(CASES[names[0]])
    warm.calc = calc
    warm.get_forces()  # first call: TorchScript warm-up, counted in load_s
    t_load = time.perf_counter() - t0
    rows = []
    for name in names:
        atoms = build_case(CASES[name])
        atoms.calc = calc
        t1 = time.perf_counter()
        opt = BFGS(atoms, logfile=None)
        opt.run(fmax=0.0, steps=steps)
        rows.append(
            {
                "case": name,
                "n_atoms": len(atoms),
                "force_calls": steps + 1,
                "compute_s": time.perf_counter() - t1,
                "energy_ev": float(atoms.get_potential_energy()),
            }
        )
    return {"threads": torch.get_num_threads(), "load_s": t_load, "cases": rows}


def run_config(name: str, steps: int) -> dict[str, Any]:
    """Start the processes of configuration ``name`` together; wait for all; return timings."""
    procs = []
    t0 = time.perf_counter()
    for threads, names in CONFIGS[name]:
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        cmd = [sys.executable, __file__, "--threads", str(threads), "--steps", str(steps)]
        procs.append(
            subprocess.Popen([*cmd, "--worker", *names], env=env, stdout=subprocess.PIPE, text=True)
        )
    outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    wall = time.perf_counter() - t0
    cases = [c for o in outs for c in o["cases"]]
    compute_span = max(sum(c["compute_s"] for c in o["cases"]) for o in outs)
    return {
        "config": name,
        "wall_s": round(wall, 2),
        "compute_span_s": round(compute_span, 2),
        "force_calls": sum(c["force_calls"] for c in cases),
        "force_calls_per_s_wall": round(sum(c["force_calls"] for c in cases) / wall, 3),
        "force_calls_per_s_compute": round(sum(c["force_calls"] for c in cases) / compute_span, 3),
        "processes": outs,
        "load_average": list(os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.steps)))
        return 0
    result: dict[str, Any] = {
        "benchmark": "SevenNet-0 threads: 1 process x 2 threads vs 2 processes x 1 thread",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "steps": args.steps,
        "rounds": [],
    }
    for k in range(args.rounds):
        order = args.configs if k % 2 == 0 else list(reversed(args.configs))
        rows = {}
        for name in order:
            rows[name] = run_config(name, args.steps)
            print(
                f"round {k} {name}: wall {rows[name]['wall_s']} s, compute span "
                f"{rows[name]['compute_span_s']} s",
                flush=True,
            )
        if "1proc_2threads" in rows and "2proc_1thread" in rows:
            a, b = rows["1proc_2threads"], rows["2proc_1thread"]
            rows["ratio_wall_2proc_over_1proc2threads"] = round(b["wall_s"] / a["wall_s"], 3)
            rows["ratio_compute_2proc_over_1proc2threads"] = round(
                b["compute_span_s"] / a["compute_span_s"], 3
            )
        result["rounds"].append(rows)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
