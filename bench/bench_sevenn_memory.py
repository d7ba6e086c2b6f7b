"""Peak memory of one SevenNet-0 energy + force call against the cell size (issue 21, memory).

The full campaign's binding stage peaks above the 4 GiB target with two workers relaxing the
γ-brass and α-brass Li-layer films (240–480 atoms) side by side. This measures, each size in a
fresh interpreter on one thread, the resident memory after loading the model and the peak
during one ``get_forces`` on a rattled Cu(111) slab, so the per-atom cost of a force call (the
autograd graph of the message passing) is known.

    .venv/bin/python bench/bench_sevenn_memory.py [--sizes 100,240,480]

Writes ``bench/results/sevenn_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _run_info import run_info  # noqa: E402

#: fcc(111) repeats giving the sizes measured (atoms = product).
SHAPES = {100: (5, 5, 4), 240: (8, 5, 6), 480: (8, 10, 6)}

CHILD = """
import json, resource, sys, time
import psutil, torch
from ase.build import fcc111
from lithiophilic.potentials import CalculatorSpec, get_calculator
torch.set_num_threads(1)
calc = get_calculator(CalculatorSpec("sevenn"))
shape = tuple(json.loads(sys.argv[1]))
atoms = fcc111("Cu", shape, vacuum=10.0, a=3.63)
atoms.rattle(0.05, seed=1)
atoms.calc = calc
rss_loaded = psutil.Process().memory_info().rss / 2**20
t0 = time.perf_counter()
atoms.get_forces()
wall = time.perf_counter() - t0
print(json.dumps({
    "n_atoms": len(atoms),
    "rss_after_model_load_mib": round(rss_loaded, 1),
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "rss_after_call_mib": round(psutil.Process().memory_info().rss / 2**20, 1),
    "force_call_s": round(wall, 2),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,240,480")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "sevenn_memory.json"))
    args = parser.parse_args()
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(SHAPES[n])],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        slope = (b["peak_rss_mib"] - a["peak_rss_mib"]) / (b["n_atoms"] - a["n_atoms"])
    else:
        slope = None
    doc = {
        "benchmark": "SevenNet-0 peak RSS of one energy+force call vs atoms (1 thread)",
        **run_info(),
        "command": " ".join(["bench/bench_sevenn_memory.py", *sys.argv[1:]]),
        "rows": rows,
        "peak_mib_per_atom": None if slope is None else round(slope, 2),
    }
    Path(args.out).write_text(json.dumps(doc, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
