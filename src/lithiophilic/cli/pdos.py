"""`lithiophilic pdos` and `lithiophilic dft-converge`: Fig. 5b and GPAW convergence scans."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.cli.app import DataDirOpt, StoreOpt, app, out
from lithiophilic.cli.common import (
    fail,
    finish,
    run_flows,
    use_sqs_cache,
)
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


# --- issue 4: DFT (GPAW/VASP) and PDOS ---
_PDOS_CALCULATORS = ("gpaw",)


#: pdos --quick: cells of at most this many atoms get a fixed-density DOS run at
#: QUICK_DOS_KPT_DENSITY; larger cells take the DOS from the SCF mesh.
QUICK_DENSE_DOS_MAX_ATOMS = 4


QUICK_DOS_KPT_DENSITY = 6.0


#: pdos --quick: GPAW eigenstate residual, eV²/electron. The 25-atom Cu0.64Zn0.36 SQS at 300 eV,
#: k-density 2.0: 26 SCF iterations at 1e-5 (energy and density converged at 13), 35 % less
#: time at 1e-3, the same Zn/Cu DOS(E_F) to 1e-4 and a total DOS within 0.08 % of its maximum.
QUICK_EIGENSTATES_TOL = 1e-3


def _gpaw_settings(
    *,
    preset: str,
    ecut: float | None,
    kpt_density: float | None,
    smearing: float | None,
    nprocs: int | None,
) -> dict[str, Any]:
    """Collect the GPAW settings given on the command line (None: preset value)."""
    from lithiophilic.potentials.dft.gpaw import resolve_gpaw_settings

    given = {
        "preset": preset,
        "ecut_ev": ecut,
        "kpt_density_a": kpt_density,
        "smearing_ev": smearing,
        "nprocs": nprocs,
    }
    settings = {k: v for k, v in given.items() if v is not None}
    resolve_gpaw_settings(settings)  # raises ConfigurationError naming the bad setting
    return settings


@app.command("pdos")
def pdos(
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material", "-m", help="Material (repeatable); default Cu, Cu5Zn8, Cu0.64Zn0.36."
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
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the numbers as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Directory for the CSV and the Fig. 5b PNG (default DATA_DIR/reports)."
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Projected DOS (Fig. 5b): per-element PDOS, DOS at E_F and d-band centre (GPAW)."""
    from pymatgen.core import Structure

    from lithiophilic.analysis.pdos import PDOS_DEFINITION, plot_pdos, write_pdos_csv
    from lithiophilic.db import describe_store, get_data_dir, get_store
    from lithiophilic.potentials import CalculatorSpec, ensure_available
    from lithiophilic.potentials.dft.gpaw import check_gpaw_installation, default_nprocs
    from lithiophilic.workflows.pdos import PdosCalcMaker, PdosMaker, pdos_input_structure

    materials = material or ([] if structure_file else list(defaults.PAPER_MATERIALS))
    if quick:
        # the DOS on the SCF mesh (no fixed-density run) and looser eigenstate residuals:
        # 26-atom Cu5Zn8 in ~1 min on 2 ranks instead of 3
        ecut, kpt_density = ecut or 300.0, kpt_density or 2.0
        dos_kpt_density = kpt_density
    use_sqs_cache(data_dir)
    try:
        if calculator not in _PDOS_CALCULATORS:
            msg = f"--calculator: {calculator!r} cannot compute a PDOS; use one of {list(_PDOS_CALCULATORS)}"
            raise ConfigurationError(msg)
        if relax_max_atoms < 0:
            msg = f"--relax-max-atoms must be >= 0, got {relax_max_atoms}"
            raise ConfigurationError(msg)
        settings = _gpaw_settings(
            preset=preset, ecut=ecut, kpt_density=kpt_density, smearing=smearing, nprocs=nprocs
        )
        if quick:
            settings["eigenstates_tol_ev2_per_electron"] = QUICK_EIGENSTATES_TOL
        spec = CalculatorSpec(calculator, settings)
        base = PdosMaker(
            pdos_maker=PdosCalcMaker(
                dos_kpt_density_a=dos_kpt_density, width_ev=width, n_points=751 if quick else 1501
            ),
            sqs_n_atoms=sqs_n_atoms,
        ).with_calculator(spec)
        inputs: dict[str, Any] = {}
        for m in materials:
            inputs[m] = pdos_input_structure(m, sqs_n_atoms=sqs_n_atoms)[0]
        for f in structure_file or []:
            if not f.is_file():
                msg = f"--structure: {f} does not exist"
                raise ConfigurationError(msg)
            try:
                inputs[f.stem] = Structure.from_file(f)
            except Exception as exc:
                msg = f"--structure: cannot read {f} ({type(exc).__name__})"
                raise ConfigurationError(msg) from exc
        flows = {}
        for m, struct in inputs.items():
            maker = base if len(struct) <= relax_max_atoms else replace(base, relax_maker=None)
            if quick and len(struct) <= QUICK_DENSE_DOS_MAX_ATOMS:
                # a fixed-density run on a denser mesh costs seconds in a small cell, and
                # the SCF mesh alone leaves bulk Cu's DOS spiky
                maker = replace(
                    maker,
                    pdos_maker=replace(maker.pdos_maker, dos_kpt_density_a=QUICK_DOS_KPT_DENSITY),
                )
            flows[m] = maker.make(m if m in materials else struct, name=m)
        ensure_available(spec)
        check_gpaw_installation(
            nprocs=int(settings.get("nprocs") or default_nprocs()), mpiexec=None
        )
    except (LithiophilicError, ValueError) as exc:
        fail(exc, 2)
    ddir = get_data_dir(data_dir)
    store = get_store(data_dir=ddir, store=store_opt)
    logger.info("job store: %s", describe_store(store))
    results = run_flows(flows, store, ddir, output_key="elements")
    failed = {m: r for m, r in results.items() if isinstance(r, str)}
    done = {m: r for m, r in results.items() if not isinstance(r, str)}
    table = Table(title=f"PDOS ({calculator}): per element, states/eV/atom")
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
    rows = []
    for m, doc in done.items():
        for el, e in doc["elements"].items():
            by_l = e["dos_at_fermi_by_l_states_per_ev_atom"]
            centre = e["d_band_centre_ev"]
            table.add_row(
                m,
                f"{doc['formula']} ({doc['n_atoms']})",
                el,
                f"{e['dos_at_fermi_states_per_ev_atom']:.3f}",
                f"{by_l['s']:.3f}",
                f"{by_l['p']:.3f}",
                f"{by_l['d']:.3f}",
                "—" if centre is None else f"{centre:.2f}",
                "relaxed" if doc["lattice_source"].startswith("cell") else "input",
                f"{doc['wall_time_s']:.0f}",
            )
            rows.append(
                {
                    "material": m,
                    "element": el,
                    "n_atoms": e["n_atoms"],
                    "dos_at_fermi_states_per_ev_atom": e["dos_at_fermi_states_per_ev_atom"],
                    "dos_at_fermi_s": by_l["s"],
                    "dos_at_fermi_p": by_l["p"],
                    "dos_at_fermi_d": by_l["d"],
                    "d_band_centre_ev": centre,
                    "d_band_width_ev": e["d_band_width_ev"],
                    "calculator": doc["calculator_name"],
                }
            )
    out.print(table)
    out.print(PDOS_DEFINITION, markup=False, style="dim")
    report_dir = out_dir or ddir / "reports"
    if done:
        csv_path = write_pdos_csv(rows, report_dir / "pdos.csv")
        png = plot_pdos(
            {
                m: {
                    "energies_ev": d["energies_ev"],
                    "element_pdos": d["element_pdos"],
                    "converged_up_to_ev": d["dos_converged_up_to_ev"],
                }
                for m, d in done.items()
            },
            report_dir / "fig5b_pdos.png",
        )
        out.print(f"table: {csv_path}\nfigure: {png}")
    array_keys = ("energies_ev", "total_dos", "element_pdos", "atom_pdos", "structure")
    payload = {
        "definition": PDOS_DEFINITION,
        "rows": rows,
        "materials": {
            m: {k: v for k, v in d.items() if k not in array_keys and not k.startswith("@")}
            for m, d in done.items()
        },
    }
    finish(json_file, payload, failed)


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
    from lithiophilic.potentials.dft.gpaw import gpaw_convergence
    from lithiophilic.structures import make_bulk

    try:
        vals = [float(v) for v in values.split(",") if v.strip()]
        settings = _gpaw_settings(
            preset=preset, ecut=None, kpt_density=None, smearing=None, nprocs=nprocs
        )
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
