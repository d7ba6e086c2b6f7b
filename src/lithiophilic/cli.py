"""Command-line interface (argument parsing and logging set-up; no physics)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from lithiophilic import __version__, defaults
from lithiophilic.analysis.surface import facet_label
from lithiophilic.errors import CalculationFailed, ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")

app = typer.Typer(
    help="lithiophilic: how lithiophilic is this surface? (Cu, Cu5Zn8, Cu0.64Zn0.36, any Cu-X skin)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
structures_app = typer.Typer(help="Build and inspect structures.", no_args_is_help=True)
app.add_typer(structures_app, name="structures")
console = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 160)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Embedded database directory (default $LITHIOPHILIC_DATA or ./lithiophilic-data).",
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="'embedded' (default), 'jobflow' (jobflow's JOB_STORE) or a JobStore YAML/JSON file (e.g. MongoDB).",
    ),
]


def _setup_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    handler = RichHandler(console=console, show_path=False, markup=False, rich_tracebacks=False)
    logging.basicConfig(level=logging.WARNING, handlers=[handler], format="%(message)s", force=True)
    for name in ("lithiophilic", "jobflow"):
        logging.getLogger(name).setLevel(level)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # ASE's FrechetCellFilter calls scipy's logm on near-identity deformations
    warnings.filterwarnings("ignore", message="logm result may be inaccurate")


def parse_miller(text: str) -> tuple[int, int, int]:
    """Parse ``111``, ``1,1,1``, ``(1-10)`` or ``1 -1 0`` into a Miller index.

    Raises
    ------
    ConfigurationError
        If it is not three integers or is (0,0,0).
    """
    cleaned = text.strip().strip("()[]")
    parts = (
        re.findall(r"-?\d+", cleaned)
        if re.search(r"[,\s]", cleaned)
        else re.findall(r"-?\d", cleaned)
    )
    if len(parts) != 3 or re.sub(r"[-\d,\s]", "", cleaned):
        msg = (
            f"miller: {text!r} is not a Miller index; give three integers, e.g. 111, 100 or 1,-1,0"
        )
        raise ConfigurationError(msg)
    miller = tuple(int(p) for p in parts)
    if miller == (0, 0, 0):
        msg = "miller: (0,0,0) is not a plane; give e.g. 111, 100 or 110"
        raise ConfigurationError(msg)
    return miller  # type: ignore[return-value]


def _fail(exc: BaseException, code: int) -> None:
    console.print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(code)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    _setup_logging(verbose)


@app.command()
def version() -> None:
    """Print the lithiophilic version."""
    out.print(__version__)


@app.command()
def calculators() -> None:
    """List the registered calculators."""
    from lithiophilic.potentials import available_calculators

    table = Table("name", "description")
    for name, desc in available_calculators().items():
        table.add_row(name, desc)
    out.print(table)


@structures_app.command("build")
def structures_build(
    material: Annotated[
        str,
        typer.Argument(help="Cu, Cu5Zn8, Cu0.64Zn0.36, Li, Zn, an element or any formula (SQS)."),
    ],
    out_file: Annotated[
        Path, typer.Option("--out", help="Output file; .cif or .extxyz/.xyz by suffix.")
    ],
    seed: Annotated[int, typer.Option(help="SQS seed.")] = 0,
    n_atoms: Annotated[int | None, typer.Option("--n-atoms", help="Atoms of an SQS cell.")] = None,
    lattice: Annotated[
        str | None, typer.Option(help="fcc, bcc or hcp for solid solutions.")
    ] = None,
) -> None:
    """Build a bulk structure and write it (CIF or extxyz); print its symmetry/SQS report."""
    try:
        from ase.io import write

        from lithiophilic.structures import make_bulk, symmetry_report

        suffix = out_file.suffix.lower()
        fmt = {".cif": "cif", ".extxyz": "extxyz", ".xyz": "extxyz"}.get(suffix)
        if fmt is None:
            msg = f"--out: unsupported suffix {suffix!r}; use .cif, .extxyz or .xyz"
            raise ConfigurationError(msg)
        if lattice is not None and lattice not in ("fcc", "bcc", "hcp"):
            msg = f"--lattice: {lattice!r} is not one of fcc, bcc, hcp"
            raise ConfigurationError(msg)
        atoms = make_bulk(material, seed=seed, n_atoms=n_atoms, lattice=lattice)  # type: ignore[arg-type]
        report = {
            "material": material,
            **symmetry_report(atoms),
            "cell_formula": atoms.get_chemical_formula(),
            "n_atoms": len(atoms),
        }
        if "sqs" in atoms.info:
            report["sqs"] = atoms.info["sqs"]
        clean = atoms.copy()
        clean.info = {}
        out_file.parent.mkdir(parents=True, exist_ok=True)
        write(out_file, clean, format=fmt)
    except LithiophilicError as exc:
        _fail(exc, 2)
    out.print_json(json.dumps(report, default=str))
    console.print(f"wrote {out_file}")


def _run_flows(
    flows: dict[str, Any], store: Any, data_dir: Path, *, output_key: str = "rows"
) -> dict[str, Any]:
    """Run flows locally into the store; return per-material summaries or failure strings."""
    from jobflow import run_locally

    from lithiophilic.db import get_output_dict

    results: dict[str, Any] = {}
    runs = data_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for material, flow in flows.items():
        t0 = time.perf_counter()
        with console.status(f"running {material} …"):
            run_locally(
                flow,
                store=store,
                create_folders=True,
                root_dir=runs,
                ensure_success=False,
                log=False,
            )
        summary = get_output_dict(store, flow.output.uuid)
        if summary is None or output_key not in summary:
            results[material] = "failed: a job of this flow failed (see the log above)"
        else:
            results[material] = summary
        logger.info("%s finished in %.0f s", material, time.perf_counter() - t0)
    return results


def _report_layers(multilayers: list[dict[str, Any]], report_dir: Path) -> None:
    """Print the layer-binding table and draw Fig. 5d and 5e."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.analysis.binding import plot_layer_binding, plot_multilayer_structures

    table = Table(title="Li layers on (111): E_b per layer vs bcc Li (eV/Li)")
    for col in (
        "material",
        "mismatch",
        "n",
        "incremental E_b",
        "average E_b",
        "Li RMS shift (Å)",
        "conv.",
    ):
        table.add_column(col)
    data, structures = {}, {}
    for m in multilayers:
        for i, n in enumerate(m["n_layers"][1:]):
            table.add_row(
                m["material"],
                f"{m['lattice_mismatch']:+.1%}",
                str(n),
                f"{m['incremental_binding_energy_ev'][i]:.3f}",
                f"{m['average_binding_energy_ev'][i]:.3f}",
                f"{m['distortion'][i]['rms_a']:.2f}",
                "yes" if m["converged"][i + 1] else "[red]NO[/]",
            )
        data[f"{m['material']}(111)"] = {
            "incremental_binding_energy_ev": m["incremental_binding_energy_ev"],
            "average_binding_energy_ev": m["average_binding_energy_ev"],
        }
        structures[m["material"]] = AseAtomsAdaptor.get_atoms(m["relaxed_structures"][-1])
    out.print(table)
    if data:
        out.print(f"figure: {plot_layer_binding(data, report_dir / 'fig5d_li_layers.png')}")
        out.print(
            f"figure: {plot_multilayer_structures(structures, report_dir / 'fig5e_li_layers.png')}"
        )


def _finish(json_file: Path | None, payload: dict[str, Any], failed: dict[str, str]) -> None:
    """Write the JSON output, report failed flows and exit 1 if any failed."""
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps({**payload, "failed": failed}, indent=1, default=str))
    for name, why in failed.items():
        console.print(f"[bold red]{escape(name)}:[/] {escape(why)}")
    if failed:
        raise typer.Exit(1)


def _gamma_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col in (
        "material",
        "facet",
        "term.",
        "n_layers",
        "N",
        "method",
        "γ unrel (J/m²)",
        "γ relaxed (J/m²)",
        "γ relaxed (eV/Å²)",
        "range (J/m²)",
        "conv.",
    ):
        table.add_column(col)
    for r in rows:
        facet = facet_label(r["miller"])
        term = str(r["termination"]) + (
            f" s{r['sqs_seed']}" if r.get("sqs_seed") is not None else ""
        )
        g = r.get("gamma_relaxed_j_per_m2")
        rng = ""
        if r.get("method") == "chemical-potential" and g is not None:
            rng = f"{r['gamma_relaxed_min_j_per_m2']:.3f}–{r['gamma_relaxed_max_j_per_m2']:.3f}"
        table.add_row(
            r["material"],
            facet,
            term,
            str(r["n_layers"]),
            str(r["n_atoms"]),
            r["method"],
            f"{r['gamma_unrelaxed_j_per_m2']:.3f}",
            "—" if g is None else f"{g:.3f}",
            "—" if g is None else f"{r['gamma_relaxed_ev_per_a2']:.4f}",
            rng,
            "yes" if r["converged"] else "[red]NO[/]",
        )
    return table


@app.command("surface-energy")
def surface_energy(
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material", "-m", help="Material (repeatable); default Cu, Cu5Zn8, Cu0.64Zn0.36."
        ),
    ] = None,
    miller: Annotated[
        list[str] | None,
        typer.Option(
            "--miller", help="Facet (repeatable), e.g. 111, 100, 110; default 111 and 100."
        ),
    ] = None,
    calculator: Annotated[
        str, typer.Option(help="Calculator registry name (see 'lithiophilic calculators').")
    ] = "sevenn",
    n_layers: Annotated[
        int, typer.Option("--n-layers", help="Atomic planes of simple-lattice slabs.")
    ] = defaults.N_LAYERS,
    min_thickness_a: Annotated[
        float,
        typer.Option("--min-thickness", help="Minimum thickness of complex slabs (γ-brass), Å."),
    ] = defaults.MIN_THICKNESS_A,
    thickness_series: Annotated[
        str | None,
        typer.Option(
            "--thickness-series", help="Extra n_layers for a convergence series, e.g. 4,8."
        ),
    ] = None,
    vacuum_a: Annotated[
        float, typer.Option("--vacuum", help="Vacuum between images, Å (>= 8).")
    ] = defaults.VACUUM_A,
    n_fixed_layers: Annotated[
        int, typer.Option("--n-fixed-layers", help="Fixed planes.")
    ] = defaults.N_FIXED_LAYERS,
    fix: Annotated[str, typer.Option(help="'center' (both faces relax) or 'bottom'.")] = "center",
    fmax: Annotated[
        float, typer.Option("--fmax", help="Slab force threshold, eV/Å.")
    ] = defaults.SLAB_FMAX_EV_PER_A,
    max_terminations: Annotated[
        int | None,
        typer.Option("--max-terminations", help="Keep at most this many terminations per facet."),
    ] = None,
    sqs_samples: Annotated[
        int, typer.Option("--sqs-samples", help="SQS samples per facet (random alloys).")
    ] = defaults.SQS_SAMPLES,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Small, fast settings (4 planes, 6 Å γ-brass slabs, ≤2 terminations, 1 thin SQS sample, no fixed planes): minutes, not converged values.",
        ),
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory for the CSV table and the Fig. 5a PNG (default DATA_DIR/reports).",
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Compute surface energies (Fig. 5a) and store them in the job database."""
    from lithiophilic.analysis.surface import (
        GAMMA_DEFINITION,
        plot_surface_energies,
        write_gamma_csv,
    )
    from lithiophilic.db import describe_store, get_data_dir, get_store, surface_energy_rows
    from lithiophilic.potentials import CalculatorSpec, ensure_available
    from lithiophilic.workflows.base import AseRelaxMaker
    from lithiophilic.workflows.surface import SurfaceEnergyMaker

    materials = material or list(defaults.PAPER_MATERIALS)
    if quick:
        n_layers, min_thickness_a, n_fixed_layers = 4, 6.0, 0
        max_terminations = max_terminations or 2
        sqs_samples = 1
    try:
        millers = [list(parse_miller(m)) for m in (miller or ["111", "100"])]
        series = [int(x) for x in thickness_series.split(",")] if thickness_series else []
        spec = CalculatorSpec(calculator)
        base = SurfaceEnergyMaker(
            millers=millers,
            n_layers=n_layers,
            min_thickness_a=min_thickness_a,
            thickness_series=series,
            vacuum_a=vacuum_a,
            n_fixed_layers=n_fixed_layers,
            fix=fix,  # type: ignore[arg-type]
            max_terminations=max_terminations,
            sqs_samples=sqs_samples,
            sqs_periods=1 if quick else 2,
            slab_relax_maker=AseRelaxMaker(
                name="slab relax",
                fmax_ev_per_a=fmax,
                max_steps=defaults.SLAB_MAX_STEPS,
                allow_unconverged=True,
            ),
        ).with_calculator(spec)
        flows = {m: base.make(m) for m in materials}  # all inputs checked before any job runs
        # the calculator's package must be importable before anything is stored
        ensure_available(spec)
    except (LithiophilicError, ValueError) as exc:
        _fail(exc, 2)
    ddir = get_data_dir(data_dir)
    store = get_store(data_dir=ddir, store=store_opt)
    logger.info("job store: %s", describe_store(store))
    results = _run_flows(flows, store, ddir)
    rows = surface_energy_rows(store, materials=materials, calculator=calculator)
    rows = [r for r in rows if r["miller"] in millers]
    out.print(_gamma_table(rows, f"Surface energies ({calculator})"))
    out.print(GAMMA_DEFINITION, markup=False, style="dim")
    report_dir = out_dir or ddir / "reports"
    if rows:
        csv_path = write_gamma_csv(rows, report_dir / "surface_energies.csv")
        png = plot_surface_energies(rows, report_dir / "fig5a_surface_energies.png")
        out.print(f"table: {csv_path}\nfigure: {png}")
    failed = {m: r for m, r in results.items() if isinstance(r, str)}
    _finish(json_file, {"definition": GAMMA_DEFINITION, "rows": rows}, failed)


@app.command("binding")
def binding(
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material", "-m", help="Material (repeatable); default Cu, Cu5Zn8, Cu0.64Zn0.36."
        ),
    ] = None,
    miller: Annotated[
        list[str] | None, typer.Option("--miller", help="Facet (repeatable); default 111.")
    ] = None,
    calculator: Annotated[str, typer.Option(help="Calculator registry name.")] = "sevenn",
    max_sites: Annotated[
        int | None, typer.Option("--max-sites", help="Relax at most this many sites per slab.")
    ] = None,
    layers: Annotated[
        int,
        typer.Option(
            "--layers",
            help="Also relax 1…N Li layers on (111) (Fig. 5d/5e); 0: single Li only.",
        ),
    ] = 0,
    construction: Annotated[
        str,
        typer.Option(
            "--construction",
            help="Li layers: 'bcc110' (commensurate bcc Li(110), default) or 'pseudomorphic' (hollow sites, fcc only).",
        ),
    ] = "bcc110",
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="4-plane slabs, thin SQS cells: minutes, not converged values."
        ),
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for the Fig. 5c PNG (default DATA_DIR/reports)."),
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Single Li atom on every site of each facet (Fig. 5c); E_b vs bcc Li and vs the atom."""
    from lithiophilic.analysis.binding import BINDING_DEFINITION, plot_site_binding
    from lithiophilic.db import (
        describe_store,
        get_data_dir,
        get_store,
        li_site_rows,
    )
    from lithiophilic.potentials import CalculatorSpec, ensure_available
    from lithiophilic.workflows.binding import LiMultilayerMaker, LiSiteBindingMaker
    from lithiophilic.workflows.surface import SurfaceEnergyMaker

    materials = material or list(defaults.PAPER_MATERIALS)
    try:
        millers = [list(parse_miller(m)) for m in (miller or ["111"])]
        spec = CalculatorSpec(calculator)
        surface = (
            SurfaceEnergyMaker(n_layers=4, min_thickness_a=6.0, n_fixed_layers=0, sqs_periods=1)
            if quick
            else SurfaceEnergyMaker()
        )
        maker = LiSiteBindingMaker(surface_maker=surface, max_sites=max_sites).with_calculator(spec)
        flows = {
            f"{m} {''.join(map(str, h))}": maker.make(m, h) for m in materials for h in millers
        }
        if construction not in ("pseudomorphic", "bcc110"):
            msg = f"--construction: {construction!r} is not one of 'pseudomorphic', 'bcc110'"
            raise ConfigurationError(msg)
        if layers < 0 or layers > 10:
            msg = f"--layers: {layers} is outside the allowed range 0–10"
            raise ConfigurationError(msg)
        layer_flows: dict[str, Any] = {}
        if layers:
            for m in materials:
                lm = LiMultilayerMaker(
                    site_maker=maker,
                    max_layers=layers,
                    construction=construction,  # type: ignore[arg-type]
                )
                try:
                    layer_flows[f"{m} layers"] = lm.make(m, [1, 1, 1])
                except ConfigurationError as exc:
                    if "needs an fcc substrate" not in str(exc):
                        raise
                    logger.info("%s: not fcc, Li layers built as commensurate bcc Li(110)", m)
                    lm = replace(lm, construction="bcc110")
                    layer_flows[f"{m} layers"] = lm.make(m, [1, 1, 1])
        ensure_available(spec)
    except (LithiophilicError, ValueError) as exc:
        _fail(exc, 2)
    ddir = get_data_dir(data_dir)
    store = get_store(data_dir=ddir, store=store_opt)
    logger.info("job store: %s", describe_store(store))
    results = _run_flows(flows, store, ddir)
    failed = {k: r for k, r in results.items() if isinstance(r, str)}
    summaries = [r for r in results.values() if not isinstance(r, str)]
    table = Table(title=f"Single-Li binding ({calculator}); E_b = -E_ads, larger = stronger")
    for col in (
        "material",
        "facet",
        "strongest site",
        "Li ends over",
        "E_b vs bcc Li (eV)",
        "E_b vs atom (eV)",
        "spread (eV)",
        "valid/sites",
    ):
        table.add_column(col)
    for s in summaries:
        table.add_row(
            s["material"],
            facet_label(s["miller"]),
            s["lowest_site_label"],
            s["lowest_final_site_kind"],
            f"{s['binding_energy_bcc_ev']:.3f}",
            f"{s['binding_energy_atom_ev']:.3f}",
            f"{s['spread_ev']:.3f}",
            f"{s['n_valid']}/{s['n_sites']}",
        )
    out.print(table)
    out.print(BINDING_DEFINITION, markup=False, style="dim")
    rows = [
        r
        for r in li_site_rows(store, materials=materials, calculator=calculator)
        if r["miller"] in millers and r["converged"] and not r["subsurface"]
    ]
    if rows:
        png = plot_site_binding(
            rows, (out_dir or ddir / "reports") / "fig5c_li_binding.png", reference="both"
        )
        out.print(f"figure: {png}")
    multilayers = []
    if layer_flows:
        layer_results = _run_flows(layer_flows, store, ddir, output_key="energies_ev")
        failed.update({k: r for k, r in layer_results.items() if isinstance(r, str)})
        multilayers = [r for r in layer_results.values() if not isinstance(r, str)]
        _report_layers(multilayers, out_dir or ddir / "reports")
    _finish(
        json_file,
        {
            "definition": BINDING_DEFINITION,
            "summaries": summaries,
            "multilayers": [
                {k: v for k, v in m.items() if k != "relaxed_structures"} for m in multilayers
            ],
        },
        failed,
    )


@app.command()
def results(
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Export all documents to this JSON file.")
    ] = None,
    doc_type: Annotated[
        str | None, typer.Option("--type", help="Only this document type (e.g. surface_energy).")
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Show what is in the database (and optionally export it)."""
    from lithiophilic.db import (
        describe_store,
        export_results,
        get_store,
        list_results,
        surface_energy_rows,
    )

    try:
        store = get_store(data_dir=data_dir, store=store_opt)
    except LithiophilicError as exc:
        _fail(exc, 2)
    console.print(f"store: {describe_store(store)}")
    items = list_results(store, doc_type=doc_type)
    counts: dict[str, int] = {}
    for it in items:
        counts[it["doc_type"]] = counts.get(it["doc_type"], 0) + 1
    table = Table("document type", "count", title="Results in the database")
    for k, v in sorted(counts.items()):
        table.add_row(k, str(v))
    out.print(table)
    rows = surface_energy_rows(store)
    if rows and doc_type in (None, "surface_energy"):
        out.print(_gamma_table(rows, "Surface energies"))
    if json_file:
        export_results(store, json_file, doc_type=doc_type)
        out.print(f"exported {len(items)} documents to {json_file}")


# --- issue 4: DFT (GPAW/VASP) and PDOS ---
_PDOS_CALCULATORS = ("gpaw",)


def _gpaw_settings(
    *,
    preset: str,
    ecut: float | None,
    kpt_density: float | None,
    smearing: float | None,
    nprocs: int | None,
) -> dict[str, Any]:
    """Collect the GPAW settings given on the command line (None: preset value)."""
    from lithiophilic.potentials.gpaw import resolve_gpaw_settings

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
            help="300 eV, SCF k-density 2.0, DOS k-density 3.0, 751 grid points: minutes, not converged values.",
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
    from lithiophilic.potentials.gpaw import check_gpaw_installation, default_nprocs
    from lithiophilic.workflows.pdos import PdosCalcMaker, PdosMaker, pdos_input_structure

    materials = material or ([] if structure_file else list(defaults.PAPER_MATERIALS))
    if quick:
        ecut, kpt_density, dos_kpt_density = ecut or 300.0, kpt_density or 2.0, 3.0
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
            flows[m] = maker.make(m if m in materials else struct, name=m)
        ensure_available(spec)
        check_gpaw_installation(
            nprocs=int(settings.get("nprocs") or default_nprocs()), mpiexec=None
        )
    except (LithiophilicError, ValueError) as exc:
        _fail(exc, 2)
    ddir = get_data_dir(data_dir)
    store = get_store(data_dir=ddir, store=store_opt)
    logger.info("job store: %s", describe_store(store))
    results = _run_flows(flows, store, ddir, output_key="elements")
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
    _finish(json_file, payload, failed)


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
    from lithiophilic.potentials.gpaw import gpaw_convergence
    from lithiophilic.structures import make_bulk

    try:
        vals = [float(v) for v in values.split(",") if v.strip()]
        settings = _gpaw_settings(
            preset=preset, ecut=None, kpt_density=None, smearing=None, nprocs=nprocs
        )
        atoms = make_bulk(material)
        rows = gpaw_convergence(atoms, parameter, vals, settings=settings, directory=out_dir)
    except (LithiophilicError, ValueError) as exc:
        _fail(exc, 2)
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
    _finish(json_file, {"material": material, "rows": rows}, {})


def main() -> None:
    """Entry point of the ``lithiophilic`` console script."""
    try:
        app()
    except CalculationFailed as exc:
        console.print(f"[bold red]calculation failed:[/] {escape(str(exc))}")
        sys.exit(1)


if __name__ == "__main__":
    main()
