"""Batched SevenNet-0 evaluation of many small structures in one model call, on CPU.

The structures: Li at each of the 17 symmetry-distinct adsorption sites of the quick
Cu5Zn8 (111) slab (78 atoms + 1 Li; the ``li_sites --quick`` site set). Energies and forces
of all of them, evaluated

* one by one: the ASE ``SevenNetCalculator`` of the registry (what every job does today);
* batched: the same loaded model, a copy switched to batched input
  (``set_is_batch_data(True)``), the per-structure graphs built as the calculator builds
  them (``unlabeled_atoms_to_graph``) and collated into one torch_geometric batch
  (SevenNet's own batched path, the one its torch-sim wrapper uses), one forward and
  backward pass for chunks of ``--batch-sizes`` structures.

Reports the CPU-time ratio batched / one-by-one (one torch thread, so CPU time is the wall
time of an idle machine; median of ``--repeat`` rounds, graph building included and
separately), the largest energy and force differences, and the RSS
high-water mark after each batch size (run in ascending order).
Writes ``bench/results/batching.json``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_batching.py [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import time
from pathlib import Path
from statistics import median

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def li_on_slab_set() -> list:
    """Li at each distinct site of the quick Cu5Zn8 (111) slab (first termination)."""
    from lithiophilic.structures.materials import make_bulk
    from lithiophilic.structures.sites import find_adsorption_sites, place_adsorbate
    from lithiophilic.structures.slabs import make_slabs

    slab = make_slabs(
        make_bulk("Cu5Zn8"), (1, 1, 1), min_thickness_a=6.0, vacuum_a=15.0, max_terminations=2
    )[0]
    return [place_adsorbate(slab, site) for site in find_adsorption_sites(slab)]


def one_by_one(structures: list, calc) -> tuple[float, np.ndarray, list[np.ndarray]]:
    """Energies and forces with the ASE calculator, one structure at a time."""
    t0 = time.process_time()
    energies, forces = [], []
    for atoms in structures:
        work = atoms.copy()
        work.calc = calc
        energies.append(work.get_potential_energy())
        forces.append(work.get_forces(apply_constraint=False))
    return time.process_time() - t0, np.array(energies), forces


def batched(
    structures: list, model, cutoff: float, batch_size: int
) -> tuple[float, float, np.ndarray, list[np.ndarray]]:
    """Energies and forces in chunks of ``batch_size`` structures per model call."""
    import sevenn._keys as key
    from sevenn.atom_graph_data import AtomGraphData
    from sevenn.train.dataload import unlabeled_atoms_to_graph
    from torch_geometric.loader.dataloader import Collater

    collate = Collater([], follow_batch=None, exclude_keys=None)
    t0 = time.process_time()
    graphs = [
        AtomGraphData.from_numpy_dict(unlabeled_atoms_to_graph(a, cutoff, with_shift=False))
        for a in structures
    ]
    t_graph = time.process_time() - t0
    energies, forces = [], []
    for start in range(0, len(graphs), batch_size):
        chunk = graphs[start : start + batch_size]
        out = model(collate(chunk))
        energies += out[key.PRED_TOTAL_ENERGY].detach().numpy().tolist()
        f = out[key.PRED_FORCE].detach().numpy()
        sizes = np.cumsum([len(structures[i]) for i in range(start, start + len(chunk))])
        forces += np.split(f, sizes[:-1])
    return time.process_time() - t0, t_graph, np.array(energies), forces


def _hwm_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--n-structures", type=int, default=None, help="first N sites only")
    parser.add_argument("--out", type=Path, default=RESULTS / "batching.json")
    args = parser.parse_args()

    import torch

    from lithiophilic.potentials import get_calculator

    torch.set_num_threads(args.threads)
    structures = li_on_slab_set()[: args.n_structures]
    calc = get_calculator("sevenn")
    model = copy.deepcopy(calc.model)  # the calculator's own model stays in single mode
    model.set_is_batch_data(True)
    args.batch_sizes.sort()
    one_by_one(structures[:2], calc)  # warm-up of both paths
    batched(structures[:1], model, calc.cutoff, 1)
    rss_one_by_one = _hwm_mib()

    rounds: list[dict[str, float]] = []
    for _ in range(args.repeat):
        row: dict[str, float] = {}
        row["one_by_one_s"], e_ref, f_ref = one_by_one(structures, calc)
        for bs in args.batch_sizes:
            wall, t_graph, e, f = batched(structures, model, calc.cutoff, bs)
            row[f"batched_{bs}_s"], row[f"batched_{bs}_graph_s"] = wall, t_graph
            row[f"batched_{bs}_max_de_ev"] = float(np.abs(e - e_ref).max())
            row[f"batched_{bs}_max_df_ev_per_a"] = float(
                max(np.abs(a - b).max() for a, b in zip(f, f_ref, strict=True))
            )
            # high-water mark so far (batch sizes ascending: about this size's peak)
            row[f"batched_{bs}_rss_hwm_mib"] = _hwm_mib()
        rounds.append(row)
        print(json.dumps(row), flush=True)
    med = {k: median(r[k] for r in rounds) for k in rounds[0]}
    ratios = {
        f"batched_{bs}_over_one_by_one": round(med[f"batched_{bs}_s"] / med["one_by_one_s"], 3)
        for bs in args.batch_sizes
    }
    doc = {
        "benchmark": "SevenNet-0 energies+forces of Li at the 17 sites of the quick Cu5Zn8 (111) "
        "slab: one by one (ASE calculator) vs batched (one model call per chunk)",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python bench/bench_batching.py",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "torch_threads": args.threads,
        "load_average_at_end": os.getloadavg(),
        "n_structures": len(structures),
        "n_atoms_each": len(structures[0]),
        "median_cpu_s": {k: round(v, 4) for k, v in med.items() if k.endswith("_s")},
        "note": "times are CPU seconds of this process (torch on one thread); the RSS "
        "high-water mark grows by ~300 MiB per 79-atom structure in a batch (autograd keeps "
        "every edge's tensor-product intermediates of the whole batch for the forces); a "
        "first attempt with all 17 in one batch was killed by the OOM killer at 4.7 GB",
        "ratios": ratios,
        "max_energy_difference_ev": max(
            r[f"batched_{bs}_max_de_ev"] for r in rounds for bs in args.batch_sizes
        ),
        "max_force_difference_ev_per_a": max(
            r[f"batched_{bs}_max_df_ev_per_a"] for r in rounds for bs in args.batch_sizes
        ),
        "rss_hwm_mib_one_by_one": round(rss_one_by_one, 1),
        "rss_hwm_mib_after_batch_size": {
            bs: round(rounds[0][f"batched_{bs}_rss_hwm_mib"], 1) for bs in args.batch_sizes
        },
        "rounds": rounds,
    }
    args.out.write_text(json.dumps(doc, indent=1))
    print(json.dumps({k: v for k, v in doc.items() if k != "rounds"}, indent=1))


if __name__ == "__main__":
    main()
