"""Li–Li correction of the shipped EAM (issue 19 item 5): teacher data, fit, install, measure.

Steps (each restartable; the teacher data are the expensive part):

    # 1. teacher (SevenNet-0) and licuzn-eam on 6 groups of Li subsets on 5x5x3 (111) slabs
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py label --data DIR
    # 2. fit (leave-one-group-out check, then all groups), write potentials/data/licuzn-eam-li3b
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py fit --data DIR --install
    # 3. site-resolved pair/trimer interactions vs the stored teacher relaxations (item 4)
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py pairs
    # 4. speed, force RMSE on held-out MD-like frames, stability
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py speed|forces|stability

Results are merged into ``bench/results/li_correction.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "li_correction.json"
NAME = "licuzn-eam-li3b"
PAIR_TEACHER = ROOT / "src/lithiophilic/potentials/data/licuzn-eam/li_pair_interactions.json"


def _merge(key: str, value: object) -> None:
    doc = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    doc[key] = value
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def label(args: argparse.Namespace) -> None:
    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.potentials.distill.correction_data import (
        group_specs,
        label_group,
        label_li_only,
    )
    from lithiophilic.workflows.li_pair_validation import pair_substrate

    teacher = get_calculator(CalculatorSpec("sevenn"))
    base = get_calculator(CalculatorSpec("lammps", {"potential": "licuzn-eam"}))
    args.data.mkdir(parents=True, exist_ok=True)
    print(label_li_only(teacher, base, args.data), flush=True)
    for spec in group_specs(quick=args.quick):
        t0 = time.perf_counter()
        path = label_group(spec, teacher, base, args.data, pair_substrate)
        print(f"{spec.name}: {path} ({time.perf_counter() - t0:.0f} s)", flush=True)


def _items(data: Path) -> dict[str, list]:
    from lithiophilic.potentials.distill.correction_data import (
        interaction_residuals,
        read_group,
        read_li_only,
    )

    out = {p.stem: interaction_residuals(read_group(p)) for p in sorted(data.glob("*.npz"))}
    out |= {p.stem: read_li_only(p) for p in sorted(data.glob("li-only-*.extxyz"))}
    return out


def fit(args: argparse.Namespace) -> None:
    from lithiophilic import __version__
    from lithiophilic.potentials.distill.correction import (
        CorrectionSettings,
        fit_correction,
        interaction_errors,
        write_corrected_potential,
    )
    from lithiophilic.potentials.distill.shipped import shipped_potential_dir

    groups = _items(args.data)
    settings = CorrectionSettings(
        ridge=args.ridge,
        energy_weight_per_ev=args.energy_weight,
        force_weight_per_ev_per_a=args.force_weight,
    )
    cv = {}
    for held in groups if len(groups) > 1 else ():
        train = [it for g, items in groups.items() if g != held for it in items]
        coeff, _ = fit_correction(train, settings)
        cv[held] = interaction_errors(groups[held], coeff, settings)
        print(held, {k: round(v, 4) for k, v in cv[held].items()}, flush=True)
    everything = [it for items in groups.values() for it in items]
    coeff, info = fit_correction(everything, settings)
    print("all", {k: round(v, 4) if isinstance(v, float) else v for k, v in info.items()})
    doc = {"groups": sorted(groups), "leave_one_group_out": cv, "train_all": info}
    _merge("fit", doc)
    if args.install:
        teacher = {"calculator_name": "sevenn", "calculator_model": "7net-0"}
        out = write_corrected_potential(
            ROOT / "src/lithiophilic/potentials/data" / NAME,
            base_dir=shipped_potential_dir("licuzn-eam"),
            coeff=coeff,
            settings=settings,
            provenance={
                "base_potential": "licuzn-eam",
                "teacher": teacher,
                "training_groups": sorted(groups),
                "training_data": "correction_data.group_specs() + label_li_only(seed=11): 5x5x3 "
                "(111) Cu (3 patches) and Cu0.64Zn0.36 SQS seeds 1-5 (seed 0, the validation "
                "slab, held out), Li pairs 1.7-6 A, trimers, 4-6 Li islands, static; Li dimers, "
                "clusters, bcc Li; exact interaction residuals (teacher - licuzn-eam)",
                "fit": info,
                "leave_one_group_out": cv,
                "lithiophilic_version": __version__,
                "command": "bench/bench_li_correction.py fit --data DIR --install",
            },
        )
        print(f"wrote {out}")


def pairs(args: argparse.Namespace) -> None:
    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.workflows.li_pair_validation import compare_pair_interactions

    stored = json.loads(PAIR_TEACHER.read_text())["substrates"]
    teacher = {s: r["teacher"] for s, r in stored.items()}
    model = get_calculator(CalculatorSpec("lammps", {"potential": args.potential}))
    t0 = time.perf_counter()
    doc = compare_pair_interactions(model, teacher, substrates=["Cu", "CuZn"])
    doc = {
        "potential": args.potential,
        "teacher": "sevenn (SevenNet-0), stored relaxations "
        "from licuzn-eam/li_pair_interactions.json",
        **doc,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    for s, r in doc["substrates"].items():
        print(f"{s}: max |error| {r['max_abs_error_ev']:.3f} eV")
        for k, v in r["errors_ev"].items():
            print(f"  {k:22s} {v:+.3f}")
    _merge(f"pairs_{args.potential}", doc)
    if args.install:
        from lithiophilic.potentials.lammps import get_lammps_potential

        target = get_lammps_potential(args.potential).directory / "li_pair_interactions.json"
        target.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {target}")


def _rmse(x: list) -> float:
    import numpy as np

    return float(np.sqrt(np.mean(np.square(np.concatenate([np.ravel(v) for v in x])))))


def surface_forces(args: argparse.Namespace) -> None:
    """Full force RMSE of licuzn-eam and of the correction fitted without the group."""
    from lithiophilic.potentials.distill.correction import (
        CorrectionSettings,
        fit_correction,
        predict_interaction,
    )
    from lithiophilic.potentials.distill.correction_data import interaction_residuals, read_group

    raw = {p.stem: read_group(p) for p in sorted(args.data.glob("*.npz"))}
    groups = {g: interaction_residuals(d) for g, d in raw.items()}
    settings = CorrectionSettings(
        ridge=args.ridge,
        energy_weight_per_ev=args.energy_weight,
        force_weight_per_ev_per_a=args.force_weight,
    )
    out = {}
    for held, data in raw.items():
        coeff, _ = fit_correction(
            [it for g, items in groups.items() if g != held for it in items], settings
        )
        n_sub = len(data["substrate_numbers"])
        index = {o: k for k, o in enumerate(data["occupations"])}
        base_err, corr_err, base_li, corr_li = [], [], [], []
        for it in groups[held]:
            k = index[it["occupation"]]
            n = n_sub + len(it["occupation"])
            ft, fb = data["forces_teacher_ev_per_a"][k, :n], data["forces_base_ev_per_a"][k, :n]
            _, fc = predict_interaction(it, coeff, settings)
            base_err.append(fb - ft)
            corr_err.append(fb + fc - ft)
            base_li.append((fb - ft)[n_sub:])
            corr_li.append((fb + fc - ft)[n_sub:])
        out[held] = {
            "n_configs": len(groups[held]),
            "force_rmse_base_ev_per_a": _rmse(base_err),
            "force_rmse_corrected_ev_per_a": _rmse(corr_err),
            "li_force_rmse_base_ev_per_a": _rmse(base_li),
            "li_force_rmse_corrected_ev_per_a": _rmse(corr_li),
        }
        print(held, {k: round(v, 4) for k, v in out[held].items()}, flush=True)
    _merge("li_on_surface_forces_leave_one_group_out", out)


def md_forces(args: argparse.Namespace) -> None:
    """Teacher vs licuzn-eam vs the corrected potential on frames of 600 K MD (6 Li, 5x5x4)."""
    from ase.calculators.calculator import all_changes

    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.potentials.distill.validation import make_stability_system, run_stability
    from lithiophilic.potentials.lammps import get_lammps_potential

    teacher = get_calculator(CalculatorSpec("sevenn"))
    calcs = {
        n: get_calculator(CalculatorSpec("lammps", {"potential": n})) for n in ("licuzn-eam", NAME)
    }
    out: dict = {}
    saved: list = []
    for substrate in ("Cu", "CuZn"):
        atoms = make_stability_system(substrate, size=(5, 5, 4), n_li=args.n_li, seed=21)
        run = run_stability(
            atoms,
            get_lammps_potential(NAME),
            temperature_k=600.0,
            time_ps=args.time_ps,
            sample_every=int(args.time_ps * 500 / args.n_frames),
        )
        frames = run["frames"][-args.n_frames :]
        errs: dict[str, list] = {n: [] for n in calcs}
        li_errs: dict[str, list] = {n: [] for n in calcs}
        for frame in frames:
            frame = frame.copy()
            frame.set_constraint()
            teacher.calculate(frame, ["energy", "forces"], all_changes)
            ft = teacher.results["forces"].copy()
            saved.append(frame.copy())
            saved[-1].arrays["forces_teacher"] = ft
            li = [i for i, s in enumerate(frame.get_chemical_symbols()) if s == "Li"]
            for n, c in calcs.items():
                c.calculate(frame.copy(), ["energy", "forces"], all_changes)
                errs[n].append(c.results["forces"] - ft)
                li_errs[n].append((c.results["forces"] - ft)[li])
        out[substrate] = {
            "n_frames": len(frames),
            "n_atoms": len(atoms),
            "n_li": args.n_li,
            "md": f"{args.time_ps} ps Langevin NVT 600 K with {NAME}, last {len(frames)} frames",
            **{f"force_rmse_{n}_ev_per_a": _rmse(e) for n, e in errs.items()},
            **{f"li_force_rmse_{n}_ev_per_a": _rmse(e) for n, e in li_errs.items()},
        }
        print(substrate, out[substrate], flush=True)
    _merge("md_forces", out)
    if args.save:
        from ase.io import write

        write(args.save, saved, format="extxyz")


def li_only(args: argparse.Namespace) -> None:
    """Li clusters in vacuum and bulk bcc Li (not in the fit): teacher vs base vs corrected."""
    import numpy as np
    from ase import Atoms
    from ase.build import bulk
    from ase.calculators.calculator import all_changes

    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.potentials.distill.frames import _cluster_configs

    rng = np.random.default_rng(3)
    configs = [a for fam, a in _cluster_configs(rng, 8) if len(a) > 1 and fam == "li_clusters"]
    configs = [a for a in configs if set(a.get_chemical_symbols()) == {"Li"}]
    for a_a in (3.34, 3.44, 3.54):
        b = bulk("Li", "bcc", a=a_a, cubic=True).repeat((2, 2, 2))
        b.positions += rng.normal(0, 0.05, b.positions.shape)
        configs.append(b)
    atom = Atoms("Li", positions=[[7, 7, 7]], cell=[14] * 3, pbc=True)
    calcs = {
        "teacher": get_calculator(CalculatorSpec("sevenn")),
        **{
            n: get_calculator(CalculatorSpec("lammps", {"potential": n}))
            for n in ("licuzn-eam", NAME)
        },
    }

    def run(c, a):
        c.calculate(a.copy(), ["energy", "forces"], all_changes)
        return float(c.results["energy"]), np.array(c.results["forces"])

    e_atom = {n: run(c, atom)[0] for n, c in calcs.items()}
    rows = []
    for a in configs:
        res = {n: run(c, a) for n, c in calcs.items()}
        row = {"formula": a.get_chemical_formula(), "bulk": bool(len(a) == 16)}
        for n in calcs:
            row[f"binding_{n}_ev_per_atom"] = (res[n][0] - len(a) * e_atom[n]) / len(a)
            if n != "teacher":
                row[f"force_rmse_{n}_ev_per_a"] = float(
                    np.sqrt(np.mean((res[n][1] - res["teacher"][1]) ** 2))
                )
        rows.append(row)
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    summary = {}
    for n in ("licuzn-eam", NAME):
        summary[n] = {
            "binding_rmse_ev_per_atom": float(
                np.sqrt(
                    np.mean(
                        [
                            (r[f"binding_{n}_ev_per_atom"] - r["binding_teacher_ev_per_atom"]) ** 2
                            for r in rows
                        ]
                    )
                )
            ),
            "force_rmse_ev_per_a": float(
                np.sqrt(np.mean([r[f"force_rmse_{n}_ev_per_a"] ** 2 for r in rows]))
            ),
        }
    print(summary)
    _merge("li_only", {"configs": rows, "summary": summary})


def stability(args: argparse.Namespace) -> None:
    """NVT (then 2 ps NVE) of 50 Li on 12x12x7 (111) slabs (1,058 atoms), both surfaces."""
    from lithiophilic.potentials.distill.validation import run_stability, stability_systems
    from lithiophilic.potentials.lammps import get_lammps_potential

    pot = get_lammps_potential(NAME)
    runs = []
    for substrate, system in stability_systems(None, size=(12, 12, 7), n_li=50).items():
        for t_k in (300.0, 600.0):
            res = run_stability(system, pot, temperature_k=t_k, time_ps=args.time_ps, nve_ps=2.0)
            res.pop("frames")
            res["substrate"] = substrate
            runs.append(res)
            print(
                {k: res[k] for k in ("substrate", "temperature_k", "stable", "failure")}, flush=True
            )
    _merge(f"stability_{args.time_ps:g}ps", runs)


def speed(args: argparse.Namespace) -> None:
    """Atom-steps per CPU-second of licuzn-eam and the corrected potential, one run each."""
    from lithiophilic.potentials.distill.validation import make_stability_system, measure_speed
    from lithiophilic.potentials.lammps import get_lammps_potential

    atoms = make_stability_system("Cu", size=(14, 14, 10), n_li=40, seed=5)
    out = {"system": f"Cu(111) 14x14x10 + 40 Li ({len(atoms)} atoms), NVE 300 K, 2 fs"}
    for n in ("licuzn-eam", NAME):
        out[n] = measure_speed(get_lammps_potential(n), atoms, n_steps=args.steps)
        print(n, round(out[n]["atom_steps_per_cpu_s"]), flush=True)
    out["ratio_corrected_over_base"] = (
        out[NAME]["atom_steps_per_cpu_s"] / out["licuzn-eam"]["atom_steps_per_cpu_s"]
    )
    _merge("speed", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("label")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--quick", action="store_true")
    p = sub.add_parser("fit")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--install", action="store_true")
    p.add_argument("--ridge", type=float, default=1e-4)
    p.add_argument("--energy-weight", type=float, default=200.0)
    p.add_argument("--force-weight", type=float, default=10.0)
    p = sub.add_parser("pairs")
    p.add_argument("--potential", default=NAME)
    p.add_argument("--install", action="store_true")
    p = sub.add_parser("surface-forces")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--ridge", type=float, default=1e-4)
    p.add_argument("--energy-weight", type=float, default=200.0)
    p.add_argument("--force-weight", type=float, default=10.0)
    p = sub.add_parser("md-forces")
    p.add_argument("--n-li", type=int, default=8)
    p.add_argument("--time-ps", type=float, default=4.0)
    p.add_argument("--n-frames", type=int, default=4)
    p.add_argument("--save", type=Path, help="Write the frames with teacher forces (extxyz).")
    sub.add_parser("li-only")
    p = sub.add_parser("stability")
    p.add_argument("--time-ps", type=float, default=100.0)
    p = sub.add_parser("speed")
    p.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    commands = {
        "label": label,
        "fit": fit,
        "pairs": pairs,
        "surface-forces": surface_forces,
        "md-forces": md_forces,
        "speed": speed,
        "li-only": li_only,
        "stability": stability,
    }
    commands[args.cmd](args)


if __name__ == "__main__":
    main()
