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


# --- issue 5: distilled LAMMPS potentials ---
potentials_app = typer.Typer(
    help="Distilled LAMMPS potentials: training data, fit, validate, info.", no_args_is_help=True
)
app.add_typer(potentials_app, name="potentials")


def _read_training(files: list[Path]) -> list[Any]:
    from lithiophilic.potentials.training import read_frames

    frames: list[Any] = []
    for f in files:
        frames += read_frames(f)
    return frames


def _pod_settings(rcut_a: float, body_order: int) -> Any:
    from lithiophilic.potentials.pod import PodSettings

    if body_order not in (2, 3, 4):
        msg = f"--body-order must be 2, 3 or 4, got {body_order}"
        raise ConfigurationError(msg)
    return PodSettings(
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
    from lithiophilic.potentials.training import write_frames
    from lithiophilic.workflows.training import TrainingDataMaker, frames_from_docs

    try:
        spec = CalculatorSpec(teacher)
        ensure_available(spec)
        maker = TrainingDataMaker(
            calculator=spec, n_per_family=n_per_family, md_steps=md_steps, seed=seed
        )
        store = get_store(data_dir=data_dir, store=store_opt)
    except ConfigurationError as exc:
        _fail(exc, 2)
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
    rcut: Annotated[float, typer.Option(help="POD cutoff radius, Å.")] = 5.0,
    body_order: Annotated[int, typer.Option(help="Highest POD body order: 2, 3 or 4.")] = 3,
    md_time_ps: Annotated[float, typer.Option(help="Length of each exploration MD run, ps.")] = 4.0,
    install: Annotated[
        str | None,
        typer.Option(help="Install the final model as this shipped potential (e.g. licuzn-pod)."),
    ] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the rounds here.")] = None,
) -> None:
    """Fit a POD potential with active learning; optionally install it as a shipped potential."""
    from lithiophilic.potentials import CalculatorSpec, calculator_provenance, get_calculator
    from lithiophilic.potentials.distill import ActiveLearningSettings, distill
    from lithiophilic.potentials.distilled import SHIPPED_POTENTIALS, shipped_potential_dir
    from lithiophilic.potentials.pod import install_potential
    from lithiophilic.potentials.training import (
        DEFAULT_ELEMENTS,
        check_training_frames,
        dataset_hash,
        split_frames,
        write_frames,
    )

    try:
        if install is not None and install not in SHIPPED_POTENTIALS:
            msg = f"--install: {install!r} is not a shipped potential; allowed: {sorted(SHIPPED_POTENTIALS)}"
            raise ConfigurationError(msg)
        settings = _pod_settings(rcut, body_order)
        frames = check_training_frames(_read_training(data), DEFAULT_ELEMENTS)
        train, test = split_frames(frames)
        spec = CalculatorSpec(teacher)
        al = ActiveLearningSettings(max_rounds=rounds, time_ps=md_time_ps)
    except ConfigurationError as exc:
        _fail(exc, 2)
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
        _fail(exc, 2)
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
    from lithiophilic.potentials.pod import PROVENANCE_FILE
    from lithiophilic.potentials.training import dataset_hash

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
    name: Annotated[str, typer.Argument(help="Registered LAMMPS potential.")] = "licuzn-pod",
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Teacher-labelled extxyz with held-out frames."),
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option("--dir", help="Validate a fitted POD directory instead of NAME.")
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
    from lithiophilic.potentials.lammps import get_lammps_potential
    from lithiophilic.potentials.pod import _lammps_calc, evaluate_potential, load_pod_potential
    from lithiophilic.potentials.training import check_training_frames, split_frames
    from lithiophilic.potentials.validation import (
        family_errors,
        make_stability_system,
        physical_checks,
        run_stability,
        spot_check,
        summarize_targets,
        write_parity_plot,
    )

    try:
        pot = (
            load_pod_potential(model_dir, name=str(model_dir))
            if model_dir
            else get_lammps_potential(name)
        )
        bad = sorted(set(substrates or ()) - {"Cu", "CuZn"})
        if bad:
            msg = f"--substrate: {bad} not allowed; choose Cu or CuZn"
            raise ConfigurationError(msg)
        size = tuple(int(x) for x in slab_size.lower().split("x"))
        if len(size) != 3 or min(size) < 1:
            msg = f"--slab-size: {slab_size!r} is not NXxNYxLAYERS (e.g. 10x10x10)"
            raise ConfigurationError(msg)
        test: list[Any] = []
        if data:
            _, test = split_frames(check_training_frames(_read_training(data), pot.elements))
        spec = CalculatorSpec(teacher)
        systems = {
            substrate: make_stability_system(substrate, size=size, n_li=n_li, seed=11)  # type: ignore[arg-type]
            for substrate in substrates or ("Cu", "CuZn")
        }
    except (ConfigurationError, ValueError) as exc:
        _fail(exc, 2)
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
        _fail(exc, 2)
    out.print_json(json.dumps({**pot.info(), "commands": cmds}, default=str))


def main() -> None:
    """Entry point of the ``lithiophilic`` console script."""
    try:
        app()
    except CalculationFailed as exc:
        console.print(f"[bold red]calculation failed:[/] {escape(str(exc))}")
        sys.exit(1)


if __name__ == "__main__":
    main()
