"""Machine speed probe: fixed small workloads, to compare benchmark figures across days.

Timings in ``bench/results`` are quoted as ratios measured in one run because this machine is
shared and noisy; a figure from another day can also be off because the machine itself is
another (the VM restarted on another host, a library rebuilt). This probe times the same
four workloads every time, each in a fresh interpreter with one thread
(``OMP_NUM_THREADS=1``), and compares them with the earliest committed figure of the same
workload where one exists:

- ``gpaw_bulk_cu_scf``: GPAW PW SCF of fcc Cu (400 eV, 12x12x12 k-points, one rank), the
  ``bulk_cu_scf`` case of ``bench/bench_gpaw.py`` (reference: ``bench/results/gpaw.json``);
- ``lammps_eam``: NVE MD of the 2000-atom Cu(111) + 40 Li system with ``licuzn-eam``,
  atom-steps per CPU-second (reference: ``bench/results/potential_speed.json``);
- ``sevenn_forces``: SevenNet-0 energy + forces of a 52-atom Cu5Zn8 cell, seconds per
  evaluation (no earlier figure; recorded for the next comparison);
- ``numpy_dgemm``: NumPy 1500x1500 matrix product, GFLOP/s (no earlier figure).

    .venv/bin/python bench/bench_machine.py [--out bench/results/machine.json] [--repeats 3]

``slowdown_vs_reference`` > 1 means today's machine is that many times slower on the
workload. Run it on a quiet machine, next to the benchmark it is meant to calibrate.
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

ROOT = Path(__file__).resolve().parents[1]

#: Earliest committed figures of the same workloads (value, unit, file, date of the figure).
REFERENCES = {
    "gpaw_bulk_cu_scf": {
        "value": 2.993,
        "unit": "wall_s",
        "source": "bench/results/gpaw.json cases.bulk_cu_scf (2026-11-22)",
    },
    "lammps_eam": {
        "value": 1362413.0,
        "unit": "atom_steps_per_cpu_s",
        "source": "bench/results/potential_speed.json potentials.licuzn-eam.speed (2026-12-01)",
    },
}

_PROBES = {
    "gpaw_bulk_cu_scf": f"""
import sys, tempfile
from pathlib import Path
from ase.build import bulk
sys.path.insert(0, {str(ROOT / "bench")!r})
from bench_gpaw import A_CU, bulk_scf_case  # the reference's own case and settings
with tempfile.TemporaryDirectory() as tmp:
    case = bulk_scf_case(bulk("Cu", "fcc", a=A_CU), Path(tmp))
out = {{k: case[k] for k in ("wall_s", "cpu_s", "energy_ev")}}
""",
    "lammps_eam": """
from lithiophilic.potentials.distill.validation import make_stability_system, measure_speed
from lithiophilic.potentials.lammps import get_lammps_potential
system = make_stability_system("Cu", size=(14, 14, 10), n_li=40, seed=5)
s = measure_speed(get_lammps_potential("licuzn-eam"), system, n_steps=2000)
out = {k: s[k] for k in ("n_atoms", "n_steps", "cpu_s", "wall_s", "atom_steps_per_cpu_s")}
""",
    "sevenn_forces": """
import time
import torch
torch.set_num_threads(1)
from lithiophilic.potentials import CalculatorSpec, get_calculator
from lithiophilic.structures import make_gamma_brass
atoms = make_gamma_brass()
atoms.calc = get_calculator(CalculatorSpec("sevenn"))
atoms.get_forces()
n = 10
t0, c0 = time.perf_counter(), time.process_time()
for i in range(n):
    atoms.positions[0, 0] += 1e-3
    atoms.get_forces()
out = {"n_atoms": len(atoms), "evaluations": n,
       "s_per_evaluation": (time.perf_counter() - t0) / n,
       "cpu_s_per_evaluation": (time.process_time() - c0) / n}
""",
    "numpy_dgemm": """
import time
import numpy as np
a = np.random.default_rng(0).random((1500, 1500))
a @ a
t0 = time.perf_counter()
for _ in range(5):
    a @ a
wall = (time.perf_counter() - t0) / 5
out = {"s_per_product": wall, "gflop_per_s": 2 * 1500**3 / wall / 1e9}
""",
}

#: The figure of each probe that the reference compares with, and whether larger is faster.
_FIGURE = {
    "gpaw_bulk_cu_scf": ("wall_s", False),
    "lammps_eam": ("atom_steps_per_cpu_s", True),
    "sevenn_forces": ("s_per_evaluation", False),
    "numpy_dgemm": ("gflop_per_s", True),
}


def run_probe(name: str) -> dict:
    """Run probe ``name`` in a fresh interpreter with one thread; return its figures."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    code = _PROBES[name] + "\nimport json\nprint('PROBE ' + json.dumps(out))\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr or proc.stdout)[-800:]}
    return json.loads(lines[-1][len("PROBE ") :])


def summarise(name: str, runs: list[dict]) -> dict:
    """Best of the runs (the least disturbed) and its ratio to the reference, if any."""
    key, larger_is_faster = _FIGURE[name]
    values = [r[key] for r in runs if key in r]
    if not values:
        return {"runs": runs, "error": "every run failed"}
    best = max(values) if larger_is_faster else min(values)
    out = {"figure": key, "best": best, "runs": runs}
    ref = REFERENCES.get(name)
    if ref:
        slowdown = ref["value"] / best if larger_is_faster else best / ref["value"]
        out |= {"reference": ref, "slowdown_vs_reference": round(slowdown, 3)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "machine.json"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    probes = {}
    for name in _PROBES:
        runs = [run_probe(name) for _ in range(args.repeats)]
        probes[name] = summarise(name, runs)
        print(name, probes[name].get("best"), probes[name].get("slowdown_vs_reference"))
    result = {
        "benchmark": "machine speed probe (fixed workloads, one thread, fresh interpreters)",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["bench/bench_machine.py", *sys.argv[1:]]),
        "note": args.note,
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "cpu_model": _cpu_model(),
            "load_average_at_end": list(os.getloadavg()),
        },
        "probes": probes,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
