"""Li–Li correction of the shipped EAM (issue 19 item 5): teacher data, fit, install, measure.

Steps (each restartable; the teacher data are the expensive part):

    # 1. teacher (SevenNet-0) and licuzn-eam on the static groups (Li subsets on 5x5x3 (111)
    #    slabs) and the MD frame groups (licuzn-eam MD frames, their clean substrate, single
    #    Li, closest pair/trimer; held-out MD groups go to DIR/held-out); --only md|static
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py label --data DIR
    # 2. ridge scan by leave-one-group-out, fit all groups, held-out MD groups (vs --previous),
    #    write potentials/data/licuzn-eam-li3b
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py fit --data DIR \
        --force-weight 30 --ridge 1e-4 --three-body-ridge 3e-2 --previous OLD_DIR --install
    # 3. site-resolved pair/trimer interactions vs the stored teacher relaxations (item 4)
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py pairs
    # 4. leave-one-group-out forces, held-out 600 K MD frames, speed, stability
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py surface-forces --data DIR
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py md-forces \
        --md-potential licuzn-eam --previous OLD_DIR
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py speed
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_correction.py stability --time-ps 20

Results are merged into ``bench/results/li_correction.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
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
        MD_HELD_OUT_GROUPS,
        MD_TRAINING_GROUPS,
        group_specs,
        label_group,
        label_li_only,
        label_md_group,
    )
    from lithiophilic.potentials.lammps import get_lammps_potential
    from lithiophilic.workflows.li_pair_validation import pair_substrate

    teacher = get_calculator(CalculatorSpec("sevenn"))
    base = get_calculator(CalculatorSpec("lammps", {"potential": "licuzn-eam"}))
    args.data.mkdir(parents=True, exist_ok=True)
    if args.only in ("all", "md"):
        held = args.data / "held-out"
        for spec, where in [(s, args.data) for s in MD_TRAINING_GROUPS] + [
            (s, held) for s in MD_HELD_OUT_GROUPS
        ]:
            t0 = time.perf_counter()
            paths = label_md_group(spec, teacher, base, where, get_lammps_potential("licuzn-eam"))
            print(
                f"{spec.name}: {len(paths)} frames ({time.perf_counter() - t0:.0f} s)", flush=True
            )
    if args.only == "md":
        return
    print(label_li_only(teacher, base, args.data), flush=True)
    for spec in group_specs(quick=args.quick):
        t0 = time.perf_counter()
        path = label_group(spec, teacher, base, args.data, pair_substrate)
        print(f"{spec.name}: {path} ({time.perf_counter() - t0:.0f} s)", flush=True)


def _group_name(stem: str) -> str:
    """Group of a labelled file: an MD frame file ``<group>-f<k>`` belongs to ``<group>``."""
    return re.sub(r"-f\d+$", "", stem)


def _raw(data: Path) -> dict[str, list]:
    """Labelled files of ``data`` (not recursive: ``data/held-out`` stays out), by group."""
    from lithiophilic.potentials.distill.correction_data import read_group

    out: dict[str, list] = {}
    for p in sorted(data.glob("*.npz")):
        out.setdefault(_group_name(p.stem), []).append(read_group(p))
    return out


def _items(data: Path) -> dict[str, list]:
    from lithiophilic.potentials.distill.correction_data import (
        interaction_residuals,
        read_li_only,
    )

    out = {
        g: [it for d in files for it in interaction_residuals(d)] for g, files in _raw(data).items()
    }
    out |= {p.stem: read_li_only(p) for p in sorted(data.glob("li-only-*.extxyz"))}
    return out


def _settings(args: argparse.Namespace, ridge: float):
    from lithiophilic.potentials.distill.correction import CorrectionSettings

    return CorrectionSettings(
        ridge=ridge,
        three_body_ridge=args.three_body_ridge,
        energy_weight_per_ev=args.energy_weight,
        force_weight_per_ev_per_a=args.force_weight,
    )


def _cv_score(cv: dict[str, dict]) -> dict[str, float]:
    """Pooled leave-one-group-out errors the ridge is chosen by (see ``fit``)."""
    import numpy as np

    def pooled(groups: list[str], key: str) -> float:
        vals = [(cv[g][key], cv[g]["n_configs"]) for g in groups if cv[g][key] is not None]
        return float(np.sqrt(sum(v * v * n for v, n in vals) / sum(n for _, n in vals)))

    static = [g for g in cv if not g.startswith(("md-", "li-only"))]
    md = [g for g in cv if g.startswith("md-")]
    e = pooled(static, "e_int_rmse_above_2p3_a_corrected_ev")
    f = pooled(md, "f_int_li_rmse_corrected_ev_per_a") if md else 0.0
    return {
        "static_e_int_rmse_above_2p3_a_base_ev": pooled(static, "e_int_rmse_above_2p3_a_base_ev"),
        "static_e_int_rmse_above_2p3_a_ev": e,
        "md_li_f_int_rmse_base_ev_per_a": pooled(md, "f_int_li_rmse_base_ev_per_a") if md else 0.0,
        "md_li_f_int_rmse_ev_per_a": f,
        "md_e_int_rmse_ev": pooled(md, "e_int_rmse_corrected_ev") if md else 0.0,
        "md_e_int_rmse_base_ev": pooled(md, "e_int_rmse_base_ev") if md else 0.0,
        "score": e / 0.03 + f / 0.05,
    }


def _frame_force_errors(raw: list, coeff, settings, *, full_only: bool) -> dict[str, float]:
    """Force RMSE (all atoms, Li atoms) of the base and base + correction vs the teacher.

    ``full_only``: only the configuration holding every Li of a file (an MD frame itself).
    """
    from lithiophilic.potentials.distill.correction import predict_interaction
    from lithiophilic.potentials.distill.correction_data import interaction_residuals

    err: dict[str, list] = {k: [] for k in ("base", "corrected", "base_li", "corrected_li")}
    for data in raw:
        n_sub = len(data["substrate_numbers"])
        index = {o: k for k, o in enumerate(data["occupations"])}
        n_li_max = max(len(o) for o in data["occupations"])
        for it in interaction_residuals(data):
            if full_only and len(it["occupation"]) != n_li_max:
                continue
            k = index[it["occupation"]]
            n = n_sub + len(it["occupation"])
            ft, fb = data["forces_teacher_ev_per_a"][k, :n], data["forces_base_ev_per_a"][k, :n]
            _, fc = predict_interaction(it, coeff, settings)
            err["base"].append(fb - ft)
            err["corrected"].append(fb + fc - ft)
            err["base_li"].append((fb - ft)[n_sub:])
            err["corrected_li"].append((fb + fc - ft)[n_sub:])
    return {
        "n_configs": len(err["base"]),
        "force_rmse_base_ev_per_a": _rmse(err["base"]),
        "force_rmse_corrected_ev_per_a": _rmse(err["corrected"]),
        "li_force_rmse_base_ev_per_a": _rmse(err["base_li"]),
        "li_force_rmse_corrected_ev_per_a": _rmse(err["corrected_li"]),
    }


def _held_out_md(data: Path, fits: dict[str, tuple]) -> dict:
    """Held-out MD frame groups (``data/held-out``): errors of each fit in ``fits``."""
    from lithiophilic.potentials.distill.correction import interaction_errors
    from lithiophilic.potentials.distill.correction_data import interaction_residuals

    out: dict = {}
    for g, files in _raw(data / "held-out").items():
        items = [it for d in files for it in interaction_residuals(d)]
        md = [d for d in files if "-f1" not in d["name"]]  # odd frames have lifted Li
        out[g] = {
            name: {
                "interaction": interaction_errors(items, coeff, settings),
                "md_frames": _frame_force_errors(md, coeff, settings, full_only=True),
                "all_frames_with_lifted": _frame_force_errors(
                    files, coeff, settings, full_only=True
                ),
            }
            for name, (coeff, settings) in fits.items()
        }
        print(g, json.dumps(out[g], default=lambda v: round(v, 4))[:600], flush=True)
    return out


def fit(args: argparse.Namespace) -> None:
    """Leave-one-group-out CV per ridge, pick the ridge, fit all groups, check held-out MD.

    The ridge is the one with the lowest score ``e / 0.03 eV + f / 0.05 eV/Å``: ``e`` the
    pooled CV RMSE of ΔE_int over the static groups' configurations with Li ≥ 2.3 Å apart,
    ``f`` the pooled CV RMSE of the Li interaction forces over the MD frame groups.
    """
    from lithiophilic.potentials.distill.correction import (
        fit_correction,
        interaction_errors,
        read_correction,
    )

    groups = _items(args.data)
    scan = {}
    for ridge in args.ridge:
        settings = _settings(args, ridge)
        cv = {}
        for held in groups:
            train = [it for g, items in groups.items() if g != held for it in items]
            coeff, _ = fit_correction(train, settings)
            cv[held] = interaction_errors(groups[held], coeff, settings)
        scan[f"{ridge:g}"] = {"leave_one_group_out": cv, **_cv_score(cv)}
        print(ridge, {k: round(v, 4) for k, v in _cv_score(cv).items()}, flush=True)
    best = min(scan, key=lambda r: scan[r]["score"])
    settings = _settings(args, float(best))
    everything = [it for items in groups.values() for it in items]
    coeff, info = fit_correction(everything, settings)
    print(
        "ridge",
        best,
        "all",
        {k: round(v, 4) if isinstance(v, float) else v for k, v in info.items()},
    )
    fits = {"refit": (coeff, settings)}
    if args.previous:
        fits["previous"] = read_correction(args.previous)
    doc = {
        "groups": sorted(groups),
        "ridge_scan": {
            r: {k: v for k, v in s.items() if k != "leave_one_group_out"} for r, s in scan.items()
        },
        "ridge": float(best),
        "leave_one_group_out": scan[best]["leave_one_group_out"],
        "train_all": info,
        "held_out_md_groups": _held_out_md(args.data, fits),
        "command": "bench/bench_li_correction.py fit --data DIR --ridge "
        + " ".join(f"{r:g}" for r in args.ridge)
        + f" --three-body-ridge {args.three_body_ridge:g}"
        + f" --energy-weight {args.energy_weight:g} --force-weight {args.force_weight:g}",
    }
    _merge("fit", doc)
    if args.install:
        _install(args, coeff, settings, groups, doc)


def _install(args: argparse.Namespace, coeff, settings, groups: dict, doc: dict) -> None:
    from lithiophilic import __version__
    from lithiophilic.potentials.distill.correction import write_corrected_potential
    from lithiophilic.potentials.distill.shipped import (
        LICUZN_EAM_LI3B_VERSION,
        shipped_potential_dir,
    )

    target = ROOT / "src/lithiophilic/potentials/data" / NAME
    old = json.loads((target / "provenance.json").read_text()) if target.is_dir() else {}
    teacher = {"calculator_name": "sevenn", "calculator_model": "7net-0"}
    out = write_corrected_potential(
        target,
        base_dir=shipped_potential_dir("licuzn-eam"),
        coeff=coeff,
        settings=settings,
        provenance={
            "version": LICUZN_EAM_LI3B_VERSION,
            "previous_correction_sha256": old.get("correction_sha256"),
            "base_potential": "licuzn-eam",
            "teacher": teacher,
            "training_groups": sorted(groups),
            "training_data": "correction_data.group_specs() + MD_TRAINING_GROUPS + "
            "label_li_only(seed=11): 5x5x3 (111) Cu (3 patches) and Cu0.64Zn0.36 SQS seeds 1-7 "
            "(seed 0, the validation slab, held out), Li pairs 1.7-6 A, trimers, 4-6 Li islands, "
            "static; frames of licuzn-eam Langevin MD (600 and 300 K, 6 Li on 5x5x4 (111) Cu "
            "and random Cu0.64Zn0.36; every other frame with a third of the Li lifted by "
            "0.4-1.3 A) with their clean substrate, single Li, closest pair and trimer; Li "
            "dimers, clusters, bcc Li; exact interaction residuals (teacher - licuzn-eam)",
            "held_out": "alloy SQS seed 0 (pairs check) and MD_HELD_OUT_GROUPS",
            "fit": doc["train_all"],
            "ridge_scan": doc["ridge_scan"],
            "leave_one_group_out": doc["leave_one_group_out"],
            "lithiophilic_version": __version__,
            "command": doc["command"] + " --install",
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
    from lithiophilic.potentials.distill.correction import fit_correction

    raw = _raw(args.data)
    groups = _items(args.data)
    settings = _settings(args, args.ridge)
    out = {}
    for held, files in raw.items():
        train = [it for g, items in groups.items() if g != held for it in items]
        coeff, _ = fit_correction(train, settings)
        out[held] = _frame_force_errors(files, coeff, settings, full_only=False)
        print(held, {k: round(v, 4) for k, v in out[held].items()}, flush=True)
    _merge("li_on_surface_forces_leave_one_group_out", out)


def _register_previous(directory: Path | None) -> list[str]:
    """Register an earlier fit's directory as ``<NAME>-previous``; return the extra names."""
    if directory is None:
        return []
    from lithiophilic.potentials.distill.correction import load_corrected_potential
    from lithiophilic.potentials.lammps import register_lammps_potential

    name = f"{NAME}-previous"
    register_lammps_potential(
        name,
        lambda: load_corrected_potential(directory, name=name, validated_for_science=False),
    )
    return [name]


def _md_frames(args: argparse.Namespace, substrate: str, teacher) -> tuple[list, str]:
    """Frames of 600 K MD with ``--md-potential`` (teacher forces in ``forces_teacher``)."""
    from ase.calculators.calculator import all_changes
    from ase.io import read

    from lithiophilic.potentials.distill.validation import make_stability_system, run_stability
    from lithiophilic.potentials.lammps import get_lammps_potential

    if args.frames:
        frames = read(args.frames, index=":", format="extxyz")
        want = {"Cu": {"Cu"}, "CuZn": {"Cu", "Zn"}}[substrate]
        frames = [f for f in frames if set(f.get_chemical_symbols()) - {"Li"} == want]
        return frames, f"frames from {args.frames.name} (stored teacher forces)"
    atoms = make_stability_system(substrate, size=(5, 5, 4), n_li=args.n_li, seed=21)
    run = run_stability(
        atoms,
        get_lammps_potential(args.md_potential),
        temperature_k=600.0,
        time_ps=args.time_ps,
        sample_every=int(args.time_ps * 500 / args.n_frames),
    )
    frames = []
    for frame in run["frames"][-args.n_frames :]:
        frame = frame.copy()
        frame.set_constraint()
        teacher.calculate(frame, ["energy", "forces"], all_changes)
        frame.arrays["forces_teacher"] = teacher.results["forces"].copy()
        frames.append(frame)
    md = f"{args.time_ps} ps Langevin NVT 600 K with {args.md_potential}, last {len(frames)} frames"
    return frames, md


def md_forces(args: argparse.Namespace) -> None:
    """Teacher vs licuzn-eam vs the corrected potential(s) on frames of 600 K MD (5x5x4 + Li)."""
    from ase.calculators.calculator import all_changes

    from lithiophilic.potentials import CalculatorSpec, get_calculator

    names = ["licuzn-eam", NAME, *_register_previous(args.previous)]
    teacher = get_calculator(CalculatorSpec("sevenn"))
    calcs = {n: get_calculator(CalculatorSpec("lammps", {"potential": n})) for n in names}
    out: dict = {}
    saved: list = []
    for substrate in ("Cu", "CuZn"):
        frames, md = _md_frames(args, substrate, teacher)
        errs: dict[str, list] = {n: [] for n in calcs}
        li_errs: dict[str, list] = {n: [] for n in calcs}
        for frame in frames:
            ft = frame.arrays["forces_teacher"]
            saved.append(frame.copy())
            li = [i for i, s in enumerate(frame.get_chemical_symbols()) if s == "Li"]
            for n, c in calcs.items():
                c.calculate(frame.copy(), ["energy", "forces"], all_changes)
                errs[n].append(c.results["forces"] - ft)
                li_errs[n].append((c.results["forces"] - ft)[li])
        out[substrate] = {
            "n_frames": len(frames),
            "n_atoms": len(frames[0]),
            "n_li": len(li),
            "md": md,
            **{f"force_rmse_{n}_ev_per_a": _rmse(e) for n, e in errs.items()},
            **{f"li_force_rmse_{n}_ev_per_a": _rmse(e) for n, e in li_errs.items()},
        }
        print(substrate, out[substrate], flush=True)
    _merge(args.key, out)
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
    p.add_argument("--only", choices=("all", "md", "static"), default="all")
    p = sub.add_parser("fit")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--install", action="store_true")
    p.add_argument("--ridge", type=float, nargs="+", default=[1e-4])
    p.add_argument("--three-body-ridge", type=float, default=3e-2)
    p.add_argument("--previous", type=Path, help="Earlier fit's directory, for comparison.")
    p.add_argument("--energy-weight", type=float, default=200.0)
    p.add_argument("--force-weight", type=float, default=30.0)
    p = sub.add_parser("pairs")
    p.add_argument("--potential", default=NAME)
    p.add_argument("--install", action="store_true")
    p = sub.add_parser("surface-forces")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--ridge", type=float, default=1e-4)
    p.add_argument("--three-body-ridge", type=float, default=3e-2)
    p.add_argument("--energy-weight", type=float, default=200.0)
    p.add_argument("--force-weight", type=float, default=30.0)
    p = sub.add_parser("md-forces")
    p.add_argument("--n-li", type=int, default=8)
    p.add_argument("--time-ps", type=float, default=4.0)
    p.add_argument("--n-frames", type=int, default=4)
    p.add_argument("--save", type=Path, help="Write the frames with teacher forces (extxyz).")
    p.add_argument("--md-potential", default=NAME, help="Potential that runs the MD.")
    p.add_argument("--frames", type=Path, help="Stored frames (extxyz, forces_teacher) instead.")
    p.add_argument("--previous", type=Path, help="Earlier fit's directory, also evaluated.")
    p.add_argument("--key", default="md_forces", help="Key of the result in the JSON.")
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
