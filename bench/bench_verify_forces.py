"""Energy-only DFT single points in the verify (issue 18 item 5): what skipping the forces saves.

γ and E_b need energies only; the default verify now asks GPAW for the energy alone
(``verify.Options.dft_forces`` False). This runs the same GPAW LCAO single point (the default
verify's setting: ``lcao-dzp``, density tolerance 1e-3, 2 MPI ranks) with forces and without,
one after the other in one run, through ``run_ase_calc`` as the verify does, and writes wall
time, CPU of the MPI ranks, SCF iterations and energies to ``bench/results/verify_forces.json``.

    OMP_NUM_THREADS=1 python bench/bench_verify_forces.py --work /tmp/bvf
    python bench/bench_verify_forces.py --work /tmp/bvf --estimate-only   # the estimate again

Cells: ``cu111_li`` (Cu(111) 3×3, three planes + Li, 28 atoms, 10 k-points: the Cu E_b cell of
the default verify) and ``cu5zn8`` (the 26-atom γ-brass primitive cell, a bulk reference: one
MPI launch now; before this change asking an LCAO bulk cell for its stress after the energy
started a second launch, i.e. a second SCF).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_verify_levers as bvl
from _run_info import run_info
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.potentials import CalculatorSpec
from lithiophilic.studies import verify
from lithiophilic.workflows.base import run_ase_calc

OUT = Path(__file__).parent / "results" / "verify_forces.json"

#: The default verify's calculation each benchmarked cell stands for (its estimate's label).
AS_IN_ESTIMATE = {
    "cu111_li": "E_b Cu(111) top-1 adsorbed +Li",
    "cu5zn8": "Cu5Zn8 bulk (26-atom primitive cell)",
}


def model_vs_measured(runs: list[dict], estimate_rows: list[dict]) -> dict:
    """Energy-only wall time measured here against the cost model's, per benchmarked cell."""
    model = {r["label"]: r["estimated_wall_s"] for r in estimate_rows}
    out = {}
    for r in runs:
        if not r["forces"]:
            predicted = model[AS_IN_ESTIMATE[r["cell"]]]
            out[r["cell"]] = {
                "as_in_estimate": AS_IN_ESTIMATE[r["cell"]],
                "measured_wall_s": r["wall_s"],
                "model_wall_s": predicted,
                "measured_over_model": round(r["wall_s"] / predicted, 2),
            }
    return out


def _cells() -> dict:
    from lithiophilic.structures import primitive_gamma_brass

    return {"cu111_li": bvl._mpi_cell(), "cu5zn8": primitive_gamma_brass()}


def one(work: Path, name: str, atoms, forces: bool, ranks: int) -> dict:
    """One single point through run_ase_calc; wall, CPU of the ranks, iterations, launches."""
    run_dir = work / f"{name}-forces-{forces}"
    run_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(run_dir)
    spec = CalculatorSpec("gpaw", {**verify.FULL_DFT, "nprocs": ranks})
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    doc = run_ase_calc(
        AseAtomsAdaptor.get_structure(atoms),
        calculator=spec,
        task="static",
        forces=forces,
        reuse=False,
    )
    wall = time.perf_counter() - t
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    launches = (run_dir / "gpaw-mpi" / "launches.jsonl").read_text().splitlines()
    log = (run_dir / "gpaw-mpi" / "step-001.txt").read_text()
    out = {
        "cell": name,
        "n_atoms": len(atoms),
        "forces": forces,
        "ranks": ranks,
        "energy_ev": doc.energy_ev,
        "max_force_ev_per_a": doc.max_force_ev_per_a,
        "wall_s": round(wall, 1),
        "cpu_s_mpi_ranks": round((c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime), 1),
        "n_iterations": log.count("|iter:") or log.count("iter:"),
        "mpi_launches": len(launches),
        "force_computation_logged": "Force computation time" in log,
    }
    print(json.dumps(out), flush=True)
    return out


def estimate(work: Path) -> dict:
    """The default verify's estimate (bench_verify_levers' cost model and settings) with and
    without the forces after each SCF; and the model's prediction for the cells run here."""
    levers = json.loads((Path(__file__).parent / "results" / "verify_levers.json").read_text())
    model = levers["model"]
    committed = json.loads((Path(__file__).parent / "results" / "verify.json").read_text())
    with_forces = committed.get("default_estimate_with_forces", committed["default_estimate"])
    settings = dict(with_forces["settings"])
    forces = settings.pop("forces_iterations")
    out = {}
    for name, f in (("with forces (as committed)", forces), ("energy only (the default now)", 0.0)):
        rows = bvl.estimate_rows(work, model, **settings, forces_iterations=f)
        out[name] = {
            "forces_iterations": f,
            "total_cpu_s": round(sum(r["estimated_cpu_s"] for r in rows)),
            "total_wall_s": round(sum(r["estimated_wall_s"] for r in rows)),
            "calculations": rows,
        }
        out[name]["total_wall_h"] = round(out[name]["total_wall_s"] / 3600, 2)
    return {"model": "bench_verify_levers.estimate_rows, model of verify_levers.json", **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--cells", nargs="+", default=["cu5zn8", "cu111_li"])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--estimate-only", action="store_true", help="add the estimate to an existing --out"
    )
    args = ap.parse_args()
    if args.estimate_only:
        result = json.loads(args.out.read_text())
        result["default_estimate"] = estimate(args.work)
        rows = result["default_estimate"]["energy only (the default now)"]["calculations"]
        result["model_vs_measured"] = model_vs_measured(result["runs"], rows)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        return
    cells = _cells()
    rows = [
        one(args.work, name, cells[name], forces, args.ranks)
        for name in args.cells
        for forces in (True, False)
    ]
    pairs = {}
    for name in args.cells:
        full, energy = (r for r in rows if r["cell"] == name)
        pairs[name] = {
            "wall_ratio_energy_only_over_forces": round(energy["wall_s"] / full["wall_s"], 3),
            "cpu_ratio_energy_only_over_forces": round(
                energy["cpu_s_mpi_ranks"] / full["cpu_s_mpi_ranks"], 3
            ),
            "energy_difference_ev": energy["energy_ev"] - full["energy_ev"],
        }
    result = {
        "benchmark": "verify DFT single points: energy only vs energy + forces (issue 18 item 5)",
        "command": "OMP_NUM_THREADS=1 python bench/bench_verify_forces.py --work DIR",
        **run_info(),
        "machine": platform.node(),
        "dft_settings": verify.FULL_DFT,
        "runs": rows,
        "ratios": pairs,
        "default_estimate": estimate(args.work),
    }
    rows = result["default_estimate"]["energy only (the default now)"]["calculations"]
    result["model_vs_measured"] = model_vs_measured(result["runs"], rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(pairs, indent=1))


if __name__ == "__main__":
    main()
