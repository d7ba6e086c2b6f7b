"""`lithiophilic potentials ...`: the distilled LAMMPS potentials (logic in potentials.distill)."""

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
from lithiophilic.cli.common import fail, open_store, parse_slab
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


# --- issue 5: distilled LAMMPS potentials ---
potentials_app = typer.Typer(
    help="Distilled LAMMPS potentials: training data, fit, validate, info.", no_args_is_help=True
)


app.add_typer(potentials_app, name="potentials")


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
    from lithiophilic.potentials.distill.frames import write_frames
    from lithiophilic.workflows.training import (
        frames_from_docs,
        run_training_data,
        training_data_flow,
    )

    try:
        flow = training_data_flow(teacher, n_per_family=n_per_family, md_steps=md_steps, seed=seed)
    except ConfigurationError as exc:
        fail(exc, 2)
    store = open_store(data_dir, store_opt)
    docs = run_training_data(flow, store, data_dir=data_dir)
    n_failed = len(flow.jobs) - len(docs)
    if n_failed:
        console.print(f"[bold red]{n_failed} labelling job(s) failed[/]")
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
    if n_failed:
        raise typer.Exit(1)


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
    from lithiophilic.potentials.distill.active_learning import (
        ActiveLearningSettings,
        fit_potential,
    )
    from lithiophilic.potentials.distill.models import model_settings_for

    try:
        settings = model_settings_for(model, rcut_a=rcut, body_order=body_order)
        al = ActiveLearningSettings.for_time(
            md_time_ps,
            max_rounds=rounds,
            slab_size=parse_slab(md_slab, "--md-slab"),
            n_li=md_n_li,
            temperatures_k=tuple(md_temperatures or (300.0, 600.0)),
            n_committee=committee,
            max_new_per_run=max_new_per_run,
            seed=al_seed,
        )
        fitted = fit_potential(
            data, out_dir, teacher=teacher, settings=settings, al=al, install=install
        )
    except ConfigurationError as exc:
        fail(exc, 2)
    out.print(_rounds_table(fitted.rounds))
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(fitted.rounds, indent=1, default=float))
    if fitted.installed is not None:
        out.print(f"installed {fitted.model_dir} as {install!r} ({fitted.installed})")
    else:
        out.print(f"final model: {fitted.model_dir}")


def _rounds_table(records: list[dict[str, Any]]) -> Table:
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
    return table


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
    pairs: Annotated[
        bool,
        typer.Option(
            help="Site-resolved Li-Li pair/trimer interactions vs the teacher on Cu(111) and "
            "a Cu0.64Zn0.36(111) SQS (E(ij) - E(i) - E(j) + E(0), relaxed; ~1 h of teacher time)."
        ),
    ] = False,
) -> None:
    """Validate a LAMMPS potential against the teacher: held-out errors, physics, MD stability."""
    from lithiophilic.potentials.distill.models import load_fitted_potential
    from lithiophilic.potentials.distill.validation import (
        held_out_frames,
        stability_systems,
        validate_potential,
    )
    from lithiophilic.potentials.lammps import get_lammps_potential

    try:
        pot = (
            load_fitted_potential(model_dir, name=str(model_dir))
            if model_dir
            else get_lammps_potential(name)
        )
        systems = stability_systems(
            substrates, size=parse_slab(slab_size, "--slab-size"), n_li=n_li
        )
        report = validate_potential(
            pot,
            out_dir,
            teacher=teacher,
            test=held_out_frames(data, pot.elements) if data else [],
            physics=physics,
            stability_ps=stability_ps,
            systems=systems,
            temperatures_k=temperatures or (300.0, 600.0),
            on_section=_show_section,
            pair_interactions=_pair_interactions() if pairs else None,
        )
    except (ConfigurationError, ValueError) as exc:
        fail(exc, 2)
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(report, indent=1, default=float))
    out.print(f"wrote {out_dir / 'potential_validation.json'}")
    if stability_ps > 0 and not all(r["stable"] for r in report["stability"]):
        raise typer.Exit(1)


def _pair_interactions() -> Any:
    from lithiophilic.workflows.li_pair_validation import compare_pair_interactions

    return compare_pair_interactions


def _show_pairs(part: dict[str, Any], to: Any = None) -> None:
    table = Table(
        "surface", "placement", "Li-Li (Å)", "teacher (eV)", "model (eV)", "error (eV)",
        title="Li-Li interactions E(ij) - E(i) - E(j) + E(0), relaxed",
    )  # fmt: skip
    for surf, r in part["substrates"].items():
        for name, row in r["teacher"]["placements"].items():
            m = r["model"]["placements"][name]
            err = r["errors_ev"].get(name)
            table.add_row(
                surf,
                name,
                f"{row['li_li_distance_a']:.2f}",
                "failed" if row["e_int_ev"] is None else f"{row['e_int_ev']:+.3f}",
                "failed" if m["e_int_ev"] is None else f"{m['e_int_ev']:+.3f}",
                "" if err is None else f"{err:+.3f}",
            )
            if row.get("three_body_ev") is not None and m.get("three_body_ev") is not None:
                table.add_row(
                    surf,
                    f"{name} 3-body",
                    "",
                    f"{row['three_body_ev']:+.3f}",
                    f"{m['three_body_ev']:+.3f}",
                    f"{m['three_body_ev'] - row['three_body_ev']:+.3f}",
                )
    to = to or out
    to.print(table)
    to.print(f"max |model - teacher| = {part['max_abs_error_ev']:.3f} eV")


def _show_section(kind: str, part: dict[str, Any]) -> None:
    """Print one finished section of ``potentials validate``."""
    if kind == "li_pair_interactions":
        _show_pairs(part)
    elif kind == "held_out":
        pairing = part.get("held_out_li_pairing")
        if pairing:
            out.print(
                "held-out Li pairing on (111) (model - teacher): "
                f"E_pair RMSE {pairing.get('pair_rmse_ev', float('nan')):.3f} eV, "
                f"E_trimer RMSE {pairing.get('trimer_rmse_ev', float('nan')):.3f} eV"
            )
        table = Table(
            "family", "frames", "E RMSE (meV/atom)", "F RMSE (eV/Å)", title="Held-out errors"
        )
        for fam, e in part["held_out_errors"].items():
            table.add_row(
                fam,
                str(e["n_frames"]),
                f"{e['energy_rmse_mev_per_atom']:.2f}",
                f"{e['force_rmse_ev_per_a']:.3f}",
            )
        out.print(table)
    elif kind == "physical_checks":
        out.print_json(json.dumps(part["comparison"], default=float))
    elif kind == "stability_run":
        out.print(
            f"{part['substrate']}(111) {part['temperature_k']:.0f} K: stable={part['stable']} "
            f"{part['failure']} T={part['temperature_mean_k']:.0f}±{part['temperature_std_k']:.0f} K "
            f"drift={part['nve_drift_mev_per_atom_per_ps']} meV/atom/ps"
        )


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
    info = {**pot.info(), "commands": cmds}
    pairs = pot.directory / "li_pair_interactions.json" if pot.directory else None
    if pairs is not None and pairs.is_file():
        # stdout stays one JSON document; the table of the site-resolved Li-Li interactions
        # vs the teacher goes to stderr for a reader
        info["li_pair_interactions"] = json.loads(pairs.read_text())
        console.print(f"site-resolved Li-Li interactions vs the teacher ({pairs}):")
        _show_pairs(info["li_pair_interactions"], to=console)
    out.print_json(json.dumps(info, default=str))
