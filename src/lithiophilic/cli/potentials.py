"""`lithiophilic potentials ...`: the distilled LAMMPS potentials."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.cli.app import DataDirOpt, StoreOpt, app, console, out
from lithiophilic.cli.common import (
    fail,
    parse_slab,
)
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


# --- issue 5: distilled LAMMPS potentials ---
potentials_app = typer.Typer(
    help="Distilled LAMMPS potentials: training data, fit, validate, info.", no_args_is_help=True
)


app.add_typer(potentials_app, name="potentials")


def _read_training(files: list[Path]) -> list[Any]:
    from lithiophilic.potentials.distill.frames import read_frames

    frames: list[Any] = []
    for f in files:
        frames += read_frames(f)
    return frames


def _model_settings(family: str, rcut_a: float, body_order: int) -> Any:
    from lithiophilic.potentials.distill.models import model_settings

    if family == "eam":
        return model_settings("eam", rcut_a=rcut_a)
    if family != "pod":
        return model_settings(family)  # raises, naming the allowed families
    if body_order not in (2, 3, 4):
        msg = f"--body-order must be 2, 3 or 4, got {body_order}"
        raise ConfigurationError(msg)
    return model_settings(
        "pod",
        rcut_a=rcut_a,
        threebody_nrbf=0 if body_order == 2 else 5,
        fourbody_nrbf=4 if body_order == 4 else 0,
        fourbody_angular_degree=2 if body_order == 4 else 0,
    )


@potentials_app.command("data")
def potentials_data(
    export: Annotated[
        Path, typer.Option("--export", help="Write the labelled frames here (extxyz).")
    ],
    teacher: Annotated[str, typer.Option(help="Teacher calculator (registry name).")] = "sevenn",
    n_per_family: Annotated[int, typer.Option(help="Static configurations per family.")] = 20,
    md_steps: Annotated[int, typer.Option(help="Steps per teacher-MD run (0: none).")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Label training configurations with the teacher (a tracked flow) and export them as extxyz."""
    from jobflow import run_locally

    from lithiophilic.db import get_store
    from lithiophilic.potentials import CalculatorSpec, ensure_available
    from lithiophilic.potentials.distill.frames import write_frames
    from lithiophilic.workflows.training import TrainingDataMaker, frames_from_docs

    try:
        spec = CalculatorSpec(teacher)
        ensure_available(spec)
        maker = TrainingDataMaker(
            calculator=spec, n_per_family=n_per_family, md_steps=md_steps, seed=seed
        )
        store = get_store(data_dir=data_dir, store=store_opt)
    except ConfigurationError as exc:
        fail(exc, 2)
    flow = maker.make()
    runs = Path(get_data_dir_safe(data_dir)) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_locally(
        flow, store=store, create_folders=True, root_dir=runs, ensure_success=False, log=False
    )
    uuids = [j.uuid for j in flow.jobs]
    docs = [
        d["output"]
        for d in store.query({"uuid": {"$in": uuids}, "output.doc_type": "training_set"}, load=True)
    ]
    if len(docs) < len(uuids):
        console.print(f"[bold red]{len(uuids) - len(docs)} labelling job(s) failed[/]")
    frames = frames_from_docs(docs)
    write_frames(frames, export)
    table = Table("family", "frames", "atoms", "held out", "teacher s", title="Training data")
    for d in docs:
        table.add_row(
            d["family"],
            str(d["n_frames"]),
            str(d["n_atoms"]),
            str(d["n_test_frames"]),
            f"{d['teacher_time_s']:.0f}",
        )
    out.print(table)
    out.print(f"wrote {len(frames)} frames to {export}")
    if len(docs) < len(uuids):
        raise typer.Exit(1)


def get_data_dir_safe(data_dir: Path | None) -> Path:
    """Return the data directory (the embedded store's location) for run folders."""
    from lithiophilic.db import get_data_dir

    return get_data_dir(data_dir)


@potentials_app.command("fit")
def potentials_fit(
    data: Annotated[list[Path], typer.Argument(help="Teacher-labelled extxyz file(s).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the rounds' models.")],
    teacher: Annotated[str, typer.Option(help="Teacher for active learning.")] = "sevenn",
    rounds: Annotated[int, typer.Option(help="Active-learning rounds after the first fit.")] = 3,
    model: Annotated[
        str, typer.Option(help="Model family: pod (accurate) or eam (fast, eam/alloy).")
    ] = "pod",
    rcut: Annotated[float, typer.Option(help="Cutoff radius, Å.")] = 5.0,
    body_order: Annotated[int, typer.Option(help="Highest POD body order: 2, 3 or 4.")] = 3,
    md_time_ps: Annotated[float, typer.Option(help="Length of each exploration MD run, ps.")] = 4.0,
    md_slab: Annotated[
        str,
        typer.Option(
            help="Exploration slab NXxNYxLAYERS (12x12x7: the 1,058-atom validation size)."
        ),
    ] = "6x6x5",
    md_n_li: Annotated[int, typer.Option(help="Li atoms on the exploration slab.")] = 12,
    md_temperatures: Annotated[
        list[float] | None,
        typer.Option(
            "--md-temperature", help="Exploration temperature, K (repeat; default 300 and 600)."
        ),
    ] = None,
    committee: Annotated[
        int, typer.Option(help="Bootstrap committee members (0: label failed runs only).")
    ] = 2,
    max_new_per_run: Annotated[int, typer.Option(help="Frames labelled per exploration run.")] = 6,
    al_seed: Annotated[int, typer.Option(help="Seed of the exploration runs.")] = 0,
    install: Annotated[
        str | None,
        typer.Option(
            help="Install the final model as this shipped potential (licuzn-eam, licuzn-pod)."
        ),
    ] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the rounds here.")] = None,
) -> None:
    """Fit a POD or EAM potential with active learning; optionally install it as a shipped potential."""
    from lithiophilic.potentials import CalculatorSpec, calculator_provenance, get_calculator
    from lithiophilic.potentials.distill.active_learning import ActiveLearningSettings, distill
    from lithiophilic.potentials.distill.frames import (
        DEFAULT_ELEMENTS,
        check_training_frames,
        dataset_hash,
        split_frames,
        write_frames,
    )
    from lithiophilic.potentials.distill.models import install_potential
    from lithiophilic.potentials.distill.shipped import SHIPPED_POTENTIALS, shipped_potential_dir

    try:
        if install is not None and install not in SHIPPED_POTENTIALS:
            msg = f"--install: {install!r} is not a shipped potential; allowed: {sorted(SHIPPED_POTENTIALS)}"
            raise ConfigurationError(msg)
        settings = _model_settings(model, rcut, body_order)
        frames = check_training_frames(_read_training(data), DEFAULT_ELEMENTS)
        train, test = split_frames(frames)
        spec = CalculatorSpec(teacher)
        slab = parse_slab(md_slab, "--md-slab")
        if committee < 0 or max_new_per_run < 1 or md_n_li < 1:
            msg = "--committee must be >= 0, --max-new-per-run and --md-n-li >= 1"
            raise ConfigurationError(msg)
        steps = round(md_time_ps * 1000.0 / ActiveLearningSettings.timestep_fs)
        al = ActiveLearningSettings(
            max_rounds=rounds,
            time_ps=md_time_ps,
            slab_size=slab,
            n_li=md_n_li,
            temperatures_k=tuple(md_temperatures or (300.0, 600.0)),
            n_committee=committee,
            max_new_per_run=max_new_per_run,
            sample_every=max(ActiveLearningSettings.sample_every, steps // 200),
            seed=al_seed,
        )
    except ConfigurationError as exc:
        fail(exc, 2)
    prov = calculator_provenance(spec)
    provenance = {
        "teacher": {
            k: prov.get(k) for k in ("calculator_name", "calculator_version", "calculator_model")
        },
        "initial_data_hash": dataset_hash(frames),
        "initial_data_files": [str(p) for p in data],
        "n_initial_train": len(train),
        "n_test": len(test),
    }
    try:
        model_dir, final_train, records = distill(
            train,
            test,
            lambda: get_calculator(spec),
            out_dir,
            elements=DEFAULT_ELEMENTS,
            settings=settings,
            al=al,
            provenance=provenance,
        )
    except ConfigurationError as exc:
        fail(exc, 2)
    write_frames(final_train, out_dir / "train_final.xyz")
    _update_provenance(model_dir, final_train, records)
    table = Table(
        "round",
        "train",
        "held-out E (meV/at)",
        "held-out F (eV/Å)",
        "MD stable",
        "new",
        title="Active learning",
    )
    for r in records:
        err = r.get("test_errors", {}).get("all", {})
        table.add_row(
            str(r["round"]),
            str(r["n_train_configs"]),
            f"{err.get('energy_rmse_mev_per_atom', float('nan')):.2f}",
            f"{err.get('force_rmse_ev_per_a', float('nan')):.3f}",
            "yes" if r["all_stable"] else "[red]no[/]",
            str(r["n_new_frames"]),
        )
    out.print(table)
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(records, indent=1, default=float))
    if install:
        dest = install_potential(model_dir, shipped_potential_dir(install))
        out.print(f"installed {model_dir} as {install!r} ({dest})")
    else:
        out.print(f"final model: {model_dir}")


def _update_provenance(model_dir: Path, train: list[Any], records: list[dict[str, Any]]) -> None:
    from lithiophilic.potentials.distill.frames import dataset_hash
    from lithiophilic.potentials.distill.pod import PROVENANCE_FILE

    path = model_dir / PROVENANCE_FILE
    prov = json.loads(path.read_text())
    prov["train_data_hash"] = dataset_hash(train)
    prov["train_families"] = {}
    for a in train:
        fam = a.info.get("family", "unknown")
        prov["train_families"][fam] = prov["train_families"].get(fam, 0) + 1
    prov["active_learning"] = [
        {
            "round": r["round"],
            "n_train_configs": r["n_train_configs"],
            "held_out_all": r.get("test_errors", {}).get("all"),
            "md_stable": r["all_stable"],
            "n_new_frames": r["n_new_frames"],
            "md_runs": [
                {
                    k: m.get(k)
                    for k in (
                        "substrate",
                        "temperature_k",
                        "n_atoms",
                        "time_ps",
                        "stable",
                        "failure",
                        "committee_force_std_max_ev_per_a",
                        "n_labelled",
                    )
                }
                for m in r["md_runs"]
            ],
        }
        for r in records
    ]
    if records and "test_errors" in records[-1]:
        prov["held_out_errors"] = records[-1]["test_errors"]
    path.write_text(json.dumps(prov, indent=2, sort_keys=True, default=float) + "\n")


@potentials_app.command("validate")
def potentials_validate(
    name: Annotated[
        str, typer.Argument(help="Registered LAMMPS potential (default: the MD default).")
    ] = defaults.MD_POTENTIAL,
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Teacher-labelled extxyz with held-out frames."),
    ] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option("--dir", help="Validate a fitted directory (POD or EAM) instead of NAME."),
    ] = None,
    teacher: Annotated[str, typer.Option(help="Teacher calculator.")] = "sevenn",
    out_dir: Annotated[Path, typer.Option("--out", help="Report directory (JSON + PNG).")] = Path(
        "potential-validation"
    ),
    stability_ps: Annotated[
        float, typer.Option(help="NVT stability run length, ps (0: skip).")
    ] = 20.0,
    slab_size: Annotated[str, typer.Option(help="Stability slab: NXxNYxLAYERS.")] = "12x12x7",
    n_li: Annotated[int, typer.Option(help="Li atoms in the stability runs.")] = 50,
    substrates: Annotated[
        list[str] | None,
        typer.Option(
            "--substrate", help="Stability-run surface: Cu or CuZn (repeat; default both)."
        ),
    ] = None,
    temperatures: Annotated[
        list[float] | None,
        typer.Option(
            "--temperature", help="Stability-run temperature, K (repeat; default 300 and 600)."
        ),
    ] = None,
    physics: Annotated[bool, typer.Option(help="Run the physical checks vs the teacher.")] = True,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the report here.")
    ] = None,
) -> None:
    """Validate a LAMMPS potential against the teacher: held-out errors, physics, MD stability."""
    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.potentials.distill.frames import check_training_frames, split_frames
    from lithiophilic.potentials.distill.models import load_fitted_potential
    from lithiophilic.potentials.distill.pod import _lammps_calc, evaluate_potential
    from lithiophilic.potentials.distill.validation import (
        family_errors,
        li_pairing_errors,
        make_stability_system,
        physical_checks,
        run_stability,
        spot_check,
        summarize_targets,
        write_parity_plot,
    )
    from lithiophilic.potentials.lammps import get_lammps_potential

    try:
        pot = (
            load_fitted_potential(model_dir, name=str(model_dir))
            if model_dir
            else get_lammps_potential(name)
        )
        bad = sorted(set(substrates or ()) - {"Cu", "CuZn"})
        if bad:
            msg = f"--substrate: {bad} not allowed; choose Cu or CuZn"
            raise ConfigurationError(msg)
        size = parse_slab(slab_size, "--slab-size")
        test: list[Any] = []
        if data:
            _, test = split_frames(check_training_frames(_read_training(data), pot.elements))
        spec = CalculatorSpec(teacher)
        systems = {
            substrate: make_stability_system(substrate, size=size, n_li=n_li, seed=11)  # type: ignore[arg-type]
            for substrate in substrates or ("Cu", "CuZn")
        }
    except (ConfigurationError, ValueError) as exc:
        fail(exc, 2)
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"potential": pot.info(), "teacher": teacher}
    teacher_calc = get_calculator(spec)
    if test:
        preds = evaluate_potential(pot, test)
        report["held_out_errors"] = family_errors(test, preds)
        # the first frame of a teacher-MD run is the generator's placement (Li 1.6-2.6 Å
        # above random lateral sites), not a configuration the dynamics visits
        first: set[str] = set()
        keep = []
        for i, a in enumerate(test):
            group = a.info.get("group", "")
            if a.info.get("family", "").startswith("md_") and group not in first:
                first.add(group)
                continue
            keep.append(i)
        report["held_out_errors_without_md_start_frames"] = family_errors(
            [test[i] for i in keep], [preds[i] for i in keep]
        )
        pairing = li_pairing_errors(test, preds)
        if pairing["samples"]:
            report["held_out_li_pairing"] = pairing
            out.print(
                "held-out Li pairing on (111) (model - teacher): "
                f"E_pair RMSE {pairing.get('pair_rmse_ev', float('nan')):.3f} eV, "
                f"E_trimer RMSE {pairing.get('trimer_rmse_ev', float('nan')):.3f} eV"
            )
        png = write_parity_plot(
            test, preds, out_dir / "parity.png", title=f"{pot.name}: held-out parity"
        )
        report["parity_png"] = str(png)
        table = Table(
            "family", "frames", "E RMSE (meV/atom)", "F RMSE (eV/Å)", title="Held-out errors"
        )
        for fam, e in report["held_out_errors"].items():
            table.add_row(
                fam,
                str(e["n_frames"]),
                f"{e['energy_rmse_mev_per_atom']:.2f}",
                f"{e['force_rmse_ev_per_a']:.3f}",
            )
        out.print(table)
    if physics:
        report["physical_checks"] = physical_checks(_lammps_calc(pot), teacher_calc)
        out.print_json(json.dumps(report["physical_checks"]["comparison"], default=float))
    if stability_ps > 0:
        runs = []
        for substrate in systems:
            for t_k in temperatures or (300.0, 600.0):
                res = run_stability(
                    systems[substrate], pot, temperature_k=t_k, time_ps=stability_ps, nve_ps=2.0
                )
                frames = res.pop("frames")
                if frames:
                    res["teacher_spot_check"] = spot_check([frames[-1]], pot, teacher_calc)
                res["substrate"] = substrate
                runs.append(res)
                out.print(
                    f"{substrate}(111) {t_k:.0f} K: stable={res['stable']} {res['failure']} "
                    f"T={res['temperature_mean_k']:.0f}±{res['temperature_std_k']:.0f} K "
                    f"drift={res['nve_drift_mev_per_atom_per_ps']} meV/atom/ps"
                )
        report["stability"] = runs
    report["targets"] = summarize_targets(report)
    payload = json.dumps(report, indent=1, default=float)
    (out_dir / "potential_validation.json").write_text(payload)
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(payload)
    out.print(f"wrote {out_dir / 'potential_validation.json'}")
    if stability_ps > 0 and not all(r["stable"] for r in report["stability"]):
        raise typer.Exit(1)


@potentials_app.command("info")
def potentials_info(
    name: Annotated[str | None, typer.Argument(help="Potential name (omit: list all).")] = None,
) -> None:
    """List the registered LAMMPS potentials, or show one with its provenance."""
    from lithiophilic.potentials.lammps import LAMMPS_POTENTIALS, get_lammps_potential

    if name is None:
        table = Table("name", "elements", "pair_style", "validated", "description")
        for n in sorted(LAMMPS_POTENTIALS):
            try:
                p = get_lammps_potential(n)
            except LithiophilicError as exc:
                table.add_row(n, "", "", "", f"[red]unavailable: {escape(str(exc))}[/]")
                continue
            table.add_row(
                n, " ".join(p.elements), p.pair_style, str(p.validated_for_science), p.description
            )
        out.print(table)
        return
    try:
        pot = get_lammps_potential(name)
        cmds = pot.commands()
    except LithiophilicError as exc:
        fail(exc, 2)
    out.print_json(json.dumps({**pot.info(), "commands": cmds}, default=str))
