"""May the teacher check run at 2 fs? NVE energy conservation of SevenNet-0 at 1 and 2 fs.

Issue 19 item 3 allows a 2 fs step for the teacher MD "if energy conservation shows that step
safe". On the teacher check's own system (``aggregation_system``: 5x5x6 (111) slab, the
production Li coverage, bottom plane fixed; Cu and the Cu0.64Zn0.36 SQS) this minimises the
slab briefly, gives every mobile atom Maxwell-Boltzmann velocities at ``2 T`` (equipartition
brings it to ~T), and integrates NVE (velocity Verlet) for the same physical time at each time
step. Criterion, fixed here before the run: the 2 fs step is safe when its total-energy drift
(slope of a straight-line fit) is below 1 meV/atom/ps and the standard deviation of the total
energy about that line below 1 meV/atom, on both surfaces.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_teacher_timestep.py [--time-ps 0.2]

Writes ``bench/results/teacher_timestep.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _run_info import run_info  # noqa: E402

MAX_DRIFT_MEV_PER_ATOM_PS = 1.0
MAX_STD_MEV_PER_ATOM = 1.0


def nve(atoms, calc, timestep_fs: float, n_steps: int, temperature_k: float, seed: int) -> dict:
    """Run NVE from MB velocities at 2 T; return the total energy per step and its statistics."""
    from ase import units
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
    from ase.md.verlet import VelocityVerlet

    work = atoms.copy()
    work.calc = calc
    MaxwellBoltzmannDistribution(
        work, temperature_K=2 * temperature_k, rng=np.random.default_rng(seed)
    )
    Stationary(work)
    energies, temps = [], []

    def record() -> None:
        energies.append(work.get_potential_energy() + work.get_kinetic_energy())
        temps.append(work.get_temperature())

    dyn = VelocityVerlet(work, timestep=timestep_fs * units.fs)
    dyn.attach(record, interval=1)
    t0 = time.perf_counter()
    dyn.run(n_steps)
    wall = time.perf_counter() - t0
    e = np.array(energies) / len(work)
    t_ps = np.arange(len(e)) * timestep_fs / 1000.0
    slope, icpt = np.polyfit(t_ps, e, 1)
    resid = e - (slope * t_ps + icpt)
    return {
        "timestep_fs": timestep_fs,
        "n_steps": n_steps,
        "n_atoms": len(work),
        "drift_mev_per_atom_ps": float(slope * 1000.0),
        "std_mev_per_atom": float(resid.std() * 1000.0),
        "max_excursion_mev_per_atom": float(np.abs(e - e[0]).max() * 1000.0),
        "mean_temperature_k": float(np.mean(temps[len(temps) // 2 :])),
        "s_per_step": wall / n_steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-ps", type=float, default=0.2)
    parser.add_argument("--temperature-k", type=float, default=300.0)
    parser.add_argument("--material", action="append", default=None)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "teacher_timestep.json"))
    args = parser.parse_args()
    from ase.constraints import FixAtoms
    from ase.optimize import BFGS

    from lithiophilic.workflows.md_ase import aggregation_system, make_calculator

    calc = make_calculator("sevenn")
    rows = []
    for material in args.material or ["Cu", "Cu0.64Zn0.36"]:
        atoms = aggregation_system(material, lateral_size=(5, 5), n_layers=6, seed=0)
        fixed = [i for c in atoms.constraints if isinstance(c, FixAtoms) for i in c.index]
        work = atoms.copy()
        work.calc = calc
        BFGS(work, logfile=None).run(fmax=0.1, steps=100)
        for dt in (1.0, 2.0):
            n = round(args.time_ps * 1000.0 / dt)
            row = nve(work, calc, dt, n, args.temperature_k, seed=1)
            row.update(material=material, n_fixed=len(fixed))
            rows.append(row)
            print(json.dumps(row), flush=True)
    two = [r for r in rows if r["timestep_fs"] == 2.0]
    safe = all(
        abs(r["drift_mev_per_atom_ps"]) < MAX_DRIFT_MEV_PER_ATOM_PS
        and r["std_mev_per_atom"] < MAX_STD_MEV_PER_ATOM
        for r in two
    )
    doc = {
        "benchmark": "SevenNet-0 NVE energy conservation at 1 and 2 fs (teacher check system)",
        **run_info(),
        "command": " ".join(["bench/bench_teacher_timestep.py", *sys.argv[1:]]),
        "criterion": (
            f"2 fs safe if |drift| < {MAX_DRIFT_MEV_PER_ATOM_PS} meV/atom/ps and std about the "
            f"line < {MAX_STD_MEV_PER_ATOM} meV/atom on every surface"
        ),
        "two_fs_safe": safe,
        "runs": rows,
    }
    Path(args.out).write_text(json.dumps(doc, indent=1))
    print(f"2 fs safe: {safe}; wrote {args.out}")


if __name__ == "__main__":
    main()
