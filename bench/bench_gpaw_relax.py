"""Benchmark a GPAW Cu(111) slab relaxation on 2 MPI ranks: one launch per step vs one launch.

The same relaxation (Cu(111) slab, bottom half fixed, top layer pushed 0.1 Å outward, BFGS)
runs twice, back to back in one process:

* ``per_step``: the ASE optimizer in this process, GPAW started with
  ``mpiexec -n N gpaw python`` at every evaluation (the path every relaxation took before,
  still what a plain ``atoms.calc = GpawCalculator(nprocs=N)`` does);
* ``one_launch``: :meth:`GpawCalculator.relax_in_one_launch`, the path ``run_ase_calc``
  (``AseRelaxMaker``) now takes, where the optimizer runs inside one ``mpiexec`` launch and
  GPAW keeps its wave functions between steps.

Both use :func:`lithiophilic.potentials.dft.gpaw_mpi.run_optimizer`, so the optimizer is
the same code; only where GPAW lives differs.  Writes ``bench/results/gpaw_relax_mpi.json``
with seconds per step of both, the number of launches, GPAW's SCF iterations per
evaluation, the final energies and the machine load (``uptime``; the machine is shared).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_gpaw_relax.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

A_CU = 3.63


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "gpaw_relax_mpi.json"))
    parser.add_argument("--nprocs", type=int, default=2, help="MPI ranks")
    parser.add_argument("--size", type=int, nargs=3, default=[1, 1, 4], help="slab repeats")
    parser.add_argument("--ecut-ev", type=float, default=300.0)
    parser.add_argument("--kpts", type=int, nargs=3, default=[6, 6, 1])
    parser.add_argument("--fmax-ev-per-a", type=float, default=0.05)
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("--keep", help="run directory to keep (default: a temporary one)")
    return parser.parse_args()


def make_slab(size: list[int]) -> Any:
    """Return the Cu(111) slab: bottom half fixed, top layer 0.1 Å further out."""
    from ase.build import fcc111
    from ase.constraints import FixAtoms

    slab = fcc111("Cu", tuple(size), a=A_CU, vacuum=5.0)
    n_layers = size[2]
    slab.set_constraint(FixAtoms(mask=slab.get_tags() > n_layers - n_layers // 2))
    slab.positions[slab.get_tags() == 1, 2] += 0.1
    return slab


def load() -> dict[str, Any]:
    """Return ``uptime``'s line, the 1, 5 and 15 minute load averages and the core count."""
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    return {
        "uptime": out.strip(),
        "load_1_5_15_min": list(os.getloadavg()),
        "cpu_count": os.cpu_count(),
    }


def cpu_s() -> float:
    """Return the CPU time (user + system) of this process and its waited-for children, s."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def scf_iterations(log: Path) -> list[int]:
    """Return GPAW's SCF iteration count of every evaluation in a text log."""
    return [int(n) for n in re.findall(r"Converged in (\d+) steps", log.read_text())]


def launches(run_dir: Path) -> int:
    """Return how many ``mpiexec`` launches the run directory's launch log lists."""
    log = run_dir / "gpaw-mpi" / "launches.jsonl"
    return len(log.read_text().splitlines()) if log.is_file() else 0


def per_step_case(slab: Any, settings: dict, args: argparse.Namespace, run_dir: Path) -> dict:
    """Relax with the optimizer here and one ``mpiexec`` launch per evaluation."""
    from lithiophilic.potentials.dft.gpaw import GpawCalculator
    from lithiophilic.potentials.dft.gpaw_mpi import run_optimizer

    atoms = slab.copy()
    atoms.calc = calc = GpawCalculator(directory=run_dir, **settings)
    t0, c0 = time.perf_counter(), cpu_s()
    record = run_optimizer(
        atoms,
        optimizer="BFGS",
        fmax_ev_per_a=args.fmax_ev_per_a,
        max_steps=args.max_steps,
        relax_cell=False,
        logfile=str(run_dir / "opt.log"),
    )
    energy = float(atoms.get_potential_energy())
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    iters = [n for f in sorted(run_dir.glob("gpaw-mpi/step-*.txt")) for n in scf_iterations(f)]
    n_launch = launches(run_dir)
    return summary(record, calc.n_calculations, (wall, cpu), energy, n_launch, iters, atoms)


def one_launch_case(slab: Any, settings: dict, args: argparse.Namespace, run_dir: Path) -> dict:
    """Relax inside one ``mpiexec`` launch (:meth:`GpawCalculator.relax_in_one_launch`)."""
    from lithiophilic.potentials.dft.gpaw import GpawCalculator

    atoms = slab.copy()
    atoms.calc = calc = GpawCalculator(directory=run_dir, **settings)
    t0, c0 = time.perf_counter(), cpu_s()
    calc.relax_in_one_launch(
        atoms,
        optimizer="BFGS",
        fmax_ev_per_a=args.fmax_ev_per_a,
        max_steps=args.max_steps,
        relax_cell=False,
        logfile=str(run_dir / "opt.log"),
    )
    energy = float(atoms.get_potential_energy())  # from the launch's results, no new SCF
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    rec = calc.last_relaxation
    iters = scf_iterations(run_dir / "gpaw-mpi" / "relax.txt")
    n_launch = launches(run_dir)
    return summary(rec, rec["n_calculations"], (wall, cpu), energy, n_launch, iters, atoms)


def summary(
    record: dict,
    n_calc: int,
    wall_cpu: tuple[float, float],
    energy: float,
    n_launch: int,
    iters: list,
    atoms: Any,
) -> dict:
    """Return one case's numbers (seconds per optimizer step and per GPAW evaluation)."""
    import numpy as np

    forces = atoms.get_forces(apply_constraint=True)
    wall, cpu = wall_cpu
    n_steps = max(record["n_steps"], 1)
    return {
        "converged": record["converged"],
        "n_steps": record["n_steps"],
        "n_gpaw_evaluations": n_calc,
        "n_mpiexec_launches": n_launch,
        "wall_s": wall,
        "s_per_step": wall / n_steps,
        "s_per_evaluation": wall / max(n_calc, 1),
        "cpu_s": cpu,
        "cpu_s_per_step": cpu / n_steps,
        "scf_iterations_per_evaluation": iters,
        "final_energy_ev": energy,
        "final_max_force_ev_per_a": float(np.sqrt((forces**2).sum(axis=1)).max()),
        "final_top_layer_z_a": float(atoms.positions[atoms.get_tags() == 1, 2].mean()),
        "energy_per_step_ev": [s["energy_ev"] for s in record["steps"]],
    }


def result_document(args: argparse.Namespace, slab: Any, settings: dict, cases: dict) -> dict:
    """Return the JSON document: settings, both cases, their ratio and energy difference."""
    import ase
    import gpaw

    from lithiophilic.potentials.dft.gpaw import resolve_gpaw_settings

    resolved = resolve_gpaw_settings(settings)
    n_electrons = 11 * len(slab)  # Cu PAW setup: 11 valence electrons
    scf_tol_ev = resolved["energy_tol_ev_per_electron"] * n_electrons
    before, after = cases["per_step"], cases["one_launch"]
    d_e = after["final_energy_ev"] - before["final_energy_ev"]
    return {
        "benchmark": "GPAW Cu(111) slab relaxation, per-step mpiexec vs one mpiexec launch",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python " + " ".join(sys.argv),
        "system": {
            "slab": f"Cu(111) {'x'.join(map(str, args.size))}, a = {A_CU} Å, 5 Å vacuum per side",
            "n_atoms": len(slab),
            "n_fixed": len(slab.constraints[0].index),
            "start": "top layer 0.1 Å outward",
        },
        "settings": {
            **settings,
            "optimizer": "BFGS",
            "fmax_ev_per_a": args.fmax_ev_per_a,
            "max_steps": args.max_steps,
        },
        "per_step": before,
        "one_launch": after,
        "speedup_s_per_step": before["s_per_step"] / after["s_per_step"],
        "speedup_s_per_evaluation": before["s_per_evaluation"] / after["s_per_evaluation"],
        "speedup_cpu_s_per_step": before["cpu_s_per_step"] / after["cpu_s_per_step"],
        "note": "wall_s is elapsed time on a shared 2-core machine (see load_*); cpu_s is the "
        "CPU time of this process and its children (mpiexec and the ranks), less sensitive "
        "to the load other users put on the machine",
        "final_energy_difference_ev": d_e,
        "scf_energy_tolerance_ev": scf_tol_ev,
        "same_energy_within_scf_tolerance": abs(d_e) <= scf_tol_ev,
        "load_before": cases["load_before"],
        "load_after": load(),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "versions": {"gpaw": gpaw.__version__, "ase": ase.__version__},
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> None:
    """Run both relaxations and write the JSON document."""
    args = parse_args()
    slab = make_slab(args.size)
    settings = {"ecut_ev": args.ecut_ev, "kpts": list(args.kpts), "nprocs": args.nprocs}
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_gpaw_relax_"))
    cases: dict[str, Any] = {"load_before": load()}
    for name, case in (("per_step", per_step_case), ("one_launch", one_launch_case)):
        cases[name] = case(slab, settings, args, base / name)
        keys = ("converged", "n_steps", "n_mpiexec_launches", "wall_s", "final_energy_ev")
        print(name, json.dumps({k: cases[name][k] for k in keys}), flush=True)
    doc = result_document(args, slab, settings, cases)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(
        f"s/step {doc['per_step']['s_per_step']:.2f} -> {doc['one_launch']['s_per_step']:.2f} "
        f"(x{doc['speedup_s_per_step']:.2f}); dE = {doc['final_energy_difference_ev']:.2e} eV"
    )


if __name__ == "__main__":
    main()
