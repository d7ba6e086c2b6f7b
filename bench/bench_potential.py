"""Benchmark the distilled Li–Cu–Zn potential: speed in LAMMPS and the model-family comparison.

Speed: NVE MD of a ~2,000-atom Li-on-Cu(111) slab (14x14x10 Cu + 40 Li) with each shipped
distilled potential (``licuzn-pod``, ``licuzn-eam``; one MPI rank, ``OMP_NUM_THREADS=1``), in
atom-steps per CPU-second, next to the teacher (SevenNet-0) on a 400-atom cut of the same slab.
Writes ``bench/results/potential_speed.json``.

Model comparison (``--train``/``--test``): fits POD 2-body (a pair potential), POD 2+3-body,
a smaller POD 2+3-body, POD 2+3+4-body and the EAM (``eam/alloy``) on the same training frames,
evaluates them on the same held-out frames (held out by whole teacher-MD run / configuration)
and times each on the same slab.  Writes ``bench/results/potential_models.json``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_potential.py [--train T.xyz --test H.xyz]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from lithiophilic.potentials.distill.validation import make_stability_system, measure_speed
from lithiophilic.potentials.lammps import get_lammps_potential

RESULTS = Path(__file__).resolve().parent / "results"


def teacher_speed(n_atoms_target: int = 400, n_steps: int = 3) -> dict[str, float]:
    from ase import units
    from ase.md.verlet import VelocityVerlet

    from lithiophilic.potentials import CalculatorSpec, get_calculator

    atoms = make_stability_system("Cu", size=(6, 6, 10), n_li=10, seed=5)[-n_atoms_target:]
    atoms.calc = get_calculator(CalculatorSpec("sevenn"))
    atoms.get_potential_energy()  # warm-up
    dyn = VelocityVerlet(atoms, timestep=2.0 * units.fs)
    cpu0 = time.process_time()
    dyn.run(n_steps)
    cpu = time.process_time() - cpu0
    return {
        "n_atoms": len(atoms),
        "n_steps": n_steps,
        "atom_steps_per_cpu_s": len(atoms) * n_steps / cpu,
    }


def compare_models(train_files: list[Path], test_files: list[Path], system) -> dict:
    from lithiophilic.potentials.distill.eam import EamSettings
    from lithiophilic.potentials.distill.frames import read_frames, split_frames
    from lithiophilic.potentials.distill.models import fit_model, load_fitted_potential
    from lithiophilic.potentials.distill.pod import PodSettings, evaluate_potential
    from lithiophilic.potentials.distill.validation import family_errors

    train, test = [], []
    for f in train_files:
        train += split_frames(read_frames(f))[0]
    for f in test_files:
        test += split_frames(read_frames(f))[1]
    variants = {
        "pod-2body (pair)": PodSettings(threebody_nrbf=0, regularization=1e-6),
        "pod-2+3body": PodSettings(regularization=1e-6),
        "pod-2+3body-small (rcut 4.5, 4/3/2)": PodSettings(
            rcut_a=4.5,
            twobody_nrbf=4,
            threebody_nrbf=3,
            threebody_angular_degree=2,
            regularization=1e-6,
        ),
        "pod-2+3+4body": PodSettings(
            fourbody_nrbf=4, fourbody_angular_degree=2, regularization=1e-6
        ),
        "eam (eam/alloy, ZBL + splines)": EamSettings(),
    }
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, settings in variants.items():
            t0 = time.perf_counter()
            d = fit_model(
                train, Path(tmp) / f"m{len(out)}", elements=("Li", "Cu", "Zn"), settings=settings
            )
            fit_s = time.perf_counter() - t0
            pot = load_fitted_potential(d, name=name)
            errors = family_errors(test, evaluate_potential(pot, test))
            out[name] = {
                "settings": json.loads((d / "provenance.json").read_text())["fit_settings"],
                "n_descriptors": json.loads((d / "provenance.json").read_text())["n_descriptors"],
                "fit_wall_s": round(fit_s, 1),
                "held_out_errors": errors,
                "speed": measure_speed(pot, system, n_steps=100),
            }
            print(name, errors["all"], out[name]["speed"]["atom_steps_per_cpu_s"], flush=True)
    return {
        "n_train_frames": len(train),
        "n_test_frames": len(test),
        "train_files": [str(f) for f in train_files],
        "test_files": [str(f) for f in test_files],
        "models": out,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=Path, nargs="+")
    parser.add_argument("--test", type=Path, nargs="+")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--no-teacher", action="store_true")
    args = parser.parse_args()
    system = make_stability_system("Cu", size=(14, 14, 10), n_li=40, seed=5)
    result: dict = {
        "system": f"Cu(111) 14x14x10 + 40 Li ({len(system)} atoms), NVE 300 K, 2 fs",
        "target_atom_steps_per_cpu_s": 100_000,
        "potentials": {},
    }
    for name in ("licuzn-pod", "licuzn-eam"):
        pot = get_lammps_potential(name)
        speed = measure_speed(pot, system, n_steps=args.steps * (10 if "eam" in name else 1))
        result["potentials"][name] = {
            "pair_style": pot.pair_style,
            "fit_settings": pot.provenance.get("fit_settings"),
            "speed": speed,
            "meets_target": speed["atom_steps_per_cpu_s"] >= 100_000,
        }
    pots = result["potentials"]
    result["eam_over_pod_speed_ratio"] = (
        pots["licuzn-eam"]["speed"]["atom_steps_per_cpu_s"]
        / pots["licuzn-pod"]["speed"]["atom_steps_per_cpu_s"]
    )
    if not args.no_teacher:
        t = teacher_speed()
        result["teacher_sevennet0"] = t
        for p in pots.values():
            p["speedup_vs_teacher"] = p["speed"]["atom_steps_per_cpu_s"] / t["atom_steps_per_cpu_s"]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "potential_speed.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    if args.train and args.test:
        cmp = compare_models(args.train, args.test, system)
        (RESULTS / "potential_models.json").write_text(
            json.dumps(cmp, indent=1, default=float) + "\n"
        )


if __name__ == "__main__":
    main()
