"""SevenNet-0 force calls with and without the fused tensor-product weight slices.

The teacher check's system (Cu(111) 5x5x6 + 4 Li, 154 atoms, ``aggregation_system``), one
thread, calls interleaved (plain, fused, plain, ...) on the same displaced configurations so
that the machine's load hits both alike; reports the median time per call and their ratio.
Energies and forces are compared too (bit-identical expected).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_sevenn_speed.py [--calls 8]

Writes ``bench/results/sevenn_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "bench" / "results" / "sevenn_speed.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--material", default="Cu")
    args = parser.parse_args()
    import torch
    from sevenn.calculator import SevenNetCalculator

    from lithiophilic.potentials.mlip import make_sevennet
    from lithiophilic.workflows.md_ase import aggregation_system

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    atoms = aggregation_system(args.material, lateral_size=(5, 5), n_layers=6)
    calcs = {"plain": SevenNetCalculator("7net-0", device="cpu"), "fused": make_sevennet()}
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {k: [] for k in calcs}
    max_df, max_de = 0.0, 0.0
    for i in range(args.calls + 1):
        trial = atoms.copy()
        trial.positions += rng.normal(0.0, 0.02, trial.positions.shape)
        res = {}
        for name, calc in calcs.items():
            t0 = time.perf_counter()
            calc.calculate(trial, ["energy", "forces"])
            if i:  # the first call of each warms up
                times[name].append(time.perf_counter() - t0)
            res[name] = (calc.results["energy"], calc.results["forces"].copy())
        max_de = max(max_de, abs(res["plain"][0] - res["fused"][0]))
        max_df = max(max_df, float(np.abs(res["plain"][1] - res["fused"][1]).max()))
    med = {k: float(np.median(v)) for k, v in times.items()}
    out = {
        "benchmark": "sevenn_speed",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "system": f"{args.material}(111) 5x5x6 + Li, {len(atoms)} atoms",
        "threads": torch.get_num_threads(),
        "loadavg": Path("/proc/loadavg").read_text().strip(),
        "s_per_call": times,
        "median_s_per_call": med,
        "speedup_fused_over_plain": med["plain"] / med["fused"],
        "max_abs_energy_difference_ev": max_de,
        "max_abs_force_difference_ev_per_a": max_df,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: out[k] for k in ("median_s_per_call", "speedup_fused_over_plain")}))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
