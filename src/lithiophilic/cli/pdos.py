"""`lithiophilic pdos` and `lithiophilic dft-converge`: Fig. 5b and GPAW convergence scans."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.cli.app import DataDirOpt, QuietOpt, StoreOpt, app, out
from lithiophilic.cli.common import (
    KeepTrajectoryOpt,
    fail,
    finish,
    register_study_command,
    run_command,
)
from lithiophilic.errors import LithiophilicError

if TYPE_CHECKING:
    from lithiophilic.studies import pdos as pdos_study

logger = logging.getLogger("lithiophilic")


def pdos_options(
    material: list[str] | None = None,
    structure_file: list[Path] | None = None,
    calculator: str = "gpaw",
    preset: str = "fast",
    ecut: float | None = None,
    kpt_density: float | None = None,
    dos_kpt_density: float = 8.0,
    width: float = 0.1,
    smearing: float | None = None,
    nprocs: int | None = None,
    relax_max_atoms: int = 1000,
    sqs_n_atoms: int = 25,
    quick: bool = False,
    eigensolver: str = "dav",
) -> pdos_study.Options:
    """Return the PDOS study's Options for the ``pdos`` command's parameters (no I/O).

    ``--structure`` files are added to the materials (labelled by their file stem); without
    ``--material`` and ``--structure`` the paper's materials are computed. ``--quick`` puts
    the DOS on the SCF mesh, so ``--dos-kpt-density`` is not used with it.

    Raises
    ------
    ConfigurationError
        Naming the bad field.
    """
    from lithiophilic.studies import pdos as pdos_study

    names = material or ([] if structure_file else list(defaults.PAPER_MATERIALS))
    given: dict[str, Any] = {
        "materials": [*names, *(str(f) for f in structure_file or [])],
        "calculator": calculator,
        "preset": preset,
        "width_ev": width,
        "nprocs": nprocs,
        "relax_max_atoms": relax_max_atoms,
        "sqs_n_atoms": sqs_n_atoms,
        "eigensolver": None if eigensolver == "default" else eigensolver,
    }
    for field, value in (
        ("ecut_ev", ecut),
        ("kpt_density_a", kpt_density),
        ("smearing_ev", smearing),
    ):
        if value is not None:
            given[field] = value
    if quick:
        return pdos_study.Options.quick(**given)
    return pdos_study.Options(**given, dos_kpt_density_a=dos_kpt_density)


def _pdos_table(result: pdos_study.Result) -> Table:
    from lithiophilic.studies import pdos as pdos_study

    table = Table(title=f"PDOS ({result.calculator}): per element, states/eV/atom")
    for col in (
        "material",
        "cell",
        "element",
        "DOS(E_F)",
        "s",
        "p",
        "d",
        "d-band centre (eV)",
        "lattice",
        "wall (s)",
    ):
        table.add_column(col)
    for row in pdos_study.table_rows(result):
        doc = result.materials[row["material"]]
        centre = row["d_band_centre_ev"]
        table.add_row(
            row["material"],
            f"{doc['formula']} ({doc['n_atoms']})",
            row["element"],
            f"{row['dos_at_fermi_states_per_ev_atom']:.3f}",
            f"{row['dos_at_fermi_s']:.3f}",
            f"{row['dos_at_fermi_p']:.3f}",
            f"{row['dos_at_fermi_d']:.3f}",
            "—" if centre is None else f"{centre:.2f}",
            "relaxed" if doc["lattice_source"].startswith("cell") else "input",
            f"{doc['wall_time_s']:.0f}",
        )
    return table


@app.command("pdos")
def pdos(
    ctx: typer.Context,
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material",
            "-m",
            help=f"Material (repeatable); default {', '.join(defaults.PAPER_MATERIALS)}.",
        ),
    ] = None,
    structure_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--structure", help="Also compute the PDOS of this structure file (e.g. a slab)."
        ),
    ] = None,
    calculator: Annotated[str, typer.Option(help="DFT calculator (gpaw).")] = "gpaw",
    preset: Annotated[str, typer.Option(help="GPAW preset: fast or accurate.")] = "fast",
    ecut: Annotated[
        float | None, typer.Option("--ecut", help="Plane-wave cutoff, eV (default: preset).")
    ] = None,
    kpt_density: Annotated[
        float | None,
        typer.Option("--kpt-density", help="SCF k-point density, per Å⁻¹ (default: preset)."),
    ] = None,
    dos_kpt_density: Annotated[
        float, typer.Option("--dos-kpt-density", help="k-point density of the DOS run, per Å⁻¹.")
    ] = 8.0,
    width: Annotated[float, typer.Option("--width", help="Gaussian broadening, eV.")] = 0.1,
    smearing: Annotated[
        float | None, typer.Option("--smearing", help="Fermi-Dirac width, eV (default: preset).")
    ] = None,
    nprocs: Annotated[
        int | None,
        typer.Option("--nprocs", help="MPI ranks (default $SLURM_NTASKS or 1)."),
    ] = None,
    relax_max_atoms: Annotated[
        int,
        typer.Option(
            "--relax-max-atoms",
            help="Relax the lattice with the same calculator for cells of at most this many atoms; larger cells keep the input lattice (stated in the output).",
        ),
    ] = 1000,
    sqs_n_atoms: Annotated[
        int, typer.Option("--sqs-n-atoms", help="SQS size of random alloys (25 = Cu16Zn9).")
    ] = 25,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="300 eV, k-density 2.0, DOS on the SCF mesh (cells of <= 4 atoms: DOS k-density 6.0), eigenstate residuals 1e-3 eV²/electron, 751 grid points: minutes, not converged values.",
        ),
    ] = False,
    eigensolver: Annotated[
        str,
        typer.Option(
            "--eigensolver",
            help="GPAW plane-wave eigensolver: dav (Davidson, 2 iterations per SCF step; "
            "0.81-0.84x the SCF time of GPAW's default on 25/26-atom cells), ppcg, cg or "
            "default (GPAW's own).",
        ),
    ] = "dav",
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the numbers as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Directory for the CSV and the Fig. 5b PNG (default DATA_DIR/reports)."
        ),
    ] = None,
    keep_trajectory: KeepTrajectoryOpt = False,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Projected DOS (Fig. 5b): per-element PDOS, DOS at E_F and d-band centre (GPAW)."""
    from lithiophilic.db import get_data_dir
    from lithiophilic.studies import pdos as pdos_study

    _, result = run_command(ctx)
    out.print(_pdos_table(result))
    out.print(result.definition, markup=False, style="dim")
    report_dir = out_dir or get_data_dir(data_dir) / "reports"
    figs = pdos_study.figures(result, report_dir)
    if figs:
        out.print(f"table: {figs['5b_csv']}\nfigure: {figs['5b']}")
    for label in result.missing:
        if label not in result.failed:
            logger.warning("%s: no PDOS with these settings in the store", label)
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        data = {**pdos_study.payload(result), "failed": result.failed}
        json_file.write_text(json.dumps(data, indent=1, default=str))
    if result.failed:  # run_study printed them with their job's uuid
        raise typer.Exit(1)


register_study_command("pdos", "lithiophilic.studies.pdos", pdos_options)


@app.command("dft-converge")
def dft_converge(
    material: Annotated[
        str, typer.Option("--material", "-m", help="Bulk material (e.g. Cu).")
    ] = "Cu",
    parameter: Annotated[
        str,
        typer.Option(
            "--parameter", help="ecut (eV), kpts (k-point density, per Å⁻¹) or smearing (eV)."
        ),
    ] = "ecut",
    values: Annotated[
        str, typer.Option("--values", help="Comma-separated values, e.g. 300,350,400,450.")
    ] = "300,350,400,450,500",
    preset: Annotated[str, typer.Option(help="GPAW preset for the other settings.")] = "fast",
    nprocs: Annotated[int | None, typer.Option("--nprocs", help="MPI ranks.")] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the rows as JSON.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Run directory (GPAW logs).")] = Path(
        "gpaw-convergence"
    ),
) -> None:
    """GPAW convergence scan (cutoff, k-points or smearing): energy change per step, meV/atom."""
    from lithiophilic.potentials.dft.gpaw import gpaw_convergence, resolve_gpaw_settings
    from lithiophilic.structures import make_bulk

    try:
        vals = [float(v) for v in values.split(",") if v.strip()]
        settings: dict[str, Any] = {"preset": preset}
        if nprocs is not None:
            settings["nprocs"] = nprocs
        resolve_gpaw_settings(settings)  # a bad preset or rank count exits 2 before any run
        atoms = make_bulk(material)
        rows = gpaw_convergence(atoms, parameter, vals, settings=settings, directory=out_dir)
    except (LithiophilicError, ValueError) as exc:
        fail(exc, 2)
    table = Table(title=f"GPAW convergence: {material}, {parameter}")
    for col in ("value", "k-points", "E (eV/atom)", "ΔE (meV/atom)"):
        table.add_column(col)
    for r in rows:
        d = r["delta_per_atom_mev"]
        table.add_row(
            f"{r['value']:g}",
            "x".join(map(str, r["kpts"] or [])),
            f"{r['energy_per_atom_ev']:.5f}",
            "—" if d is None else f"{d:+.2f}",
        )
    out.print(table)
    finish(json_file, {"material": material, "rows": rows}, {})
