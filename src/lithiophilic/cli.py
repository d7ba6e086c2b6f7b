"""Command-line interface (argument parsing and logging set-up; no physics)."""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import sys
import time
import warnings
from collections.abc import Sequence
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


#: Set by `lithiophilic submit` (issue 7): receives the flows instead of running them locally.
_flow_sink: Any = None


#: $LITHIOPHILIC_SQS_CACHE as the user set it (None: each command uses DATA_DIR/sqs-cache).
_USER_SQS_CACHE = os.environ.get("LITHIOPHILIC_SQS_CACHE")


def _use_sqs_cache(data_dir: Path | None) -> None:
    """Cache SQS searches in DATA_DIR/sqs-cache unless $LITHIOPHILIC_SQS_CACHE says otherwise.

    Set in the environment so that Slurm jobs submitted from here inherit it.
    """
    from lithiophilic.db import get_data_dir
    from lithiophilic.structures._sqs_cache import SQS_CACHE_ENV

    if _USER_SQS_CACHE is None:
        os.environ[SQS_CACHE_ENV] = str(get_data_dir(data_dir) / "sqs-cache")


def _run_flows(
    flows: dict[str, Any], store: Any, data_dir: Path, *, output_key: str = "rows"
) -> dict[str, Any]:
    """Run flows locally into the store; return per-material summaries or failure strings."""
    if _flow_sink is not None:  # `lithiophilic submit`: hand the flows to a scheduler instead
        return _flow_sink(flows, store, data_dir)
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


#: Slabs of ``--quick`` (4 planes, 6 Å γ-brass, no fixed planes, thin SQS cells), the same in
#: surface-energy and binding: binding reuses the surface stage's relaxed slabs only if every
#: setting matches (with the fmax, defaults.QUICK_SLAB_FMAX_EV_PER_A).
_QUICK_SLABS: dict[str, Any] = {
    "n_layers": 4,
    "min_thickness_a": 6.0,
    "n_fixed_layers": 0,
    "sqs_periods": 1,
}


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
        float | None,
        typer.Option(
            "--fmax",
            help=f"Slab force threshold, eV/Å (default {defaults.SLAB_FMAX_EV_PER_A}; "
            f"{defaults.QUICK_SLAB_FMAX_EV_PER_A} with --quick).",
        ),
    ] = None,
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
            help="Small, fast settings (4 planes, 6 Å γ-brass slabs, ≤2 terminations, 1 thin SQS sample, no fixed planes, slab fmax 0.1 eV/Å): minutes, not converged values.",
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
    _use_sqs_cache(data_dir)
    if quick:
        n_layers = _QUICK_SLABS["n_layers"]
        min_thickness_a = _QUICK_SLABS["min_thickness_a"]
        n_fixed_layers = _QUICK_SLABS["n_fixed_layers"]
        max_terminations = max_terminations or 2
        sqs_samples = 1
    if fmax is None:
        fmax = defaults.QUICK_SLAB_FMAX_EV_PER_A if quick else defaults.SLAB_FMAX_EV_PER_A
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
            sqs_periods=_QUICK_SLABS["sqs_periods"] if quick else 2,
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


def _refine_atom_settings(spec: Any) -> dict[str, Any]:
    """Spin-polarise the refined isolated Li atom when the refining backend is a DFT code."""
    if spec is None or spec.backend.kind != "dft":
        return {}
    key = {"gpaw": "spinpol", "vasp": "ispin"}.get(spec.name)
    if key is None:
        return {}
    value: Any = True if key == "spinpol" else 2
    return {"refine_atom_kwargs": {key: value}, "refine_spin_polarized": True}


def _prescreen_docs(
    store: Any, summaries: list[dict[str, Any]], refine_calculator: str | None
) -> list[dict[str, Any]]:
    """Newest prescreen document of each (material, facet) run here."""
    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for s in summaries:
        for d in store.query(
            {
                "output.doc_type": "li_prescreen",
                "output.material": s["material"],
                "output.miller": s["miller"],
                "output.calculator_name": refine_calculator,
            },
            sort={"completed_at": -1},
            limit=1,
        ):
            docs[(s["material"], facet_label(s["miller"]))] = d["output"]
    return list(docs.values())


def _prescreen_table(docs: list[dict[str, Any]], screen: str, refine: str) -> Table:
    table = Table(title=f"Prescreen: sites ranked with {screen}, refined with {refine}")
    for col in (
        "material",
        "facet",
        "refined sites",
        f"strongest ({refine})",
        "E_b vs bcc (eV)",
        f"= {screen} strongest",
        "in top k",
        "Spearman rho",
    ):
        table.add_column(col)
    for d in docs:
        in_top = d["refined_lowest_in_top_k"]
        rho = d["spearman_rho"]
        table.add_row(
            d["material"],
            facet_label(d["miller"]),
            f"{len(d['refined_sites'])}/{d['n_screened']}",
            d["refined_lowest_label"],
            f"{d['binding_energy_bcc_ev']:.3f}",
            "yes" if d["refined_lowest_is_screen_lowest"] else "no",
            "unknown (use --refine-all)" if in_top is None else ("yes" if in_top else "no"),
            "-" if rho is None else f"{rho:.2f}",
        )
    return table


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
            "--quick",
            help="4-plane slabs, thin SQS cells, fmax 0.1 eV/Å, γ-brass Li layers strained up to 8 %: minutes, not converged values.",
        ),
    ] = False,
    li_fmax: Annotated[
        float | None,
        typer.Option(
            "--li-fmax",
            help="Force threshold of the Li relaxations, eV/Å (default 0.05; 0.1 with --quick).",
        ),
    ] = None,
    li_max_strain: Annotated[
        float | None,
        typer.Option(
            "--li-max-strain",
            help="bcc110 Li layers: largest principal strain of the Li(110) layer; the smallest substrate supercell within it is used (default 0.05; with --quick 0.08 on γ-brass, whose cell is already large).",
        ),
    ] = None,
    li_growth: Annotated[
        str,
        typer.Option(
            "--li-growth",
            help="Li layers: 'sequential' (layer n added on the relaxed n-1 film, default) or 'independent' (each n relaxed from ideal layers on the clean slab; parallel on a queue).",
        ),
    ] = "sequential",
    refine_calculator: Annotated[
        str | None,
        typer.Option(
            "--refine-calculator",
            help="Prescreen mode: rank sites with --calculator, refine the best with this one (e.g. gpaw).",
        ),
    ] = None,
    refine_top_k: Annotated[
        int, typer.Option("--refine-top-k", help="Sites refined in prescreen mode.")
    ] = 3,
    refine_all: Annotated[
        bool,
        typer.Option(
            "--refine-all",
            help="Refine every site too, to check the refined-lowest site was in the top k.",
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
    from lithiophilic.structures.li_layers import DEFAULT_MAX_STRAIN
    from lithiophilic.workflows.binding import (
        LI_LAYER_GROWTH,
        LiMultilayerMaker,
        LiSiteBindingMaker,
    )
    from lithiophilic.workflows.surface import SurfaceEnergyMaker

    materials = material or list(defaults.PAPER_MATERIALS)
    _use_sqs_cache(data_dir)
    try:
        millers = [list(parse_miller(m)) for m in (miller or ["111"])]
        spec = CalculatorSpec(calculator)
        surface = SurfaceEnergyMaker()
        if quick:  # the slabs of surface-energy --quick (reused from the database)
            surface = SurfaceEnergyMaker(
                **_QUICK_SLABS,
                slab_relax_maker=replace(
                    surface.slab_relax_maker, fmax_ev_per_a=defaults.QUICK_SLAB_FMAX_EV_PER_A
                ),
            )
        refine_spec = CalculatorSpec(refine_calculator) if refine_calculator else None
        fmax = li_fmax
        if fmax is None:
            fmax = defaults.QUICK_SLAB_FMAX_EV_PER_A if quick else defaults.SLAB_FMAX_EV_PER_A
        if not 0.001 <= fmax <= 0.5:
            msg = f"--li-fmax: {fmax} eV/Å is outside the allowed range 0.001–0.5"
            raise ConfigurationError(msg)
        max_strain = DEFAULT_MAX_STRAIN if li_max_strain is None else li_max_strain
        complex_max_strain = (
            defaults.QUICK_LI_MAX_STRAIN if quick and li_max_strain is None else None
        )
        if not 0 < max_strain < 0.5:
            msg = f"--li-max-strain: {max_strain} is outside the allowed range 0–0.5 (exclusive)"
            raise ConfigurationError(msg)
        base_maker = LiSiteBindingMaker(surface_maker=surface, max_sites=max_sites)
        base_maker = replace(
            base_maker, li_relax_maker=replace(base_maker.li_relax_maker, fmax_ev_per_a=fmax)
        )
        maker = replace(
            base_maker.with_calculator(spec),
            refine_calculator=refine_spec,
            refine_top_k=refine_top_k,
            refine_all=refine_all,
            **_refine_atom_settings(refine_spec),
        )
        flows = {
            f"{m} {''.join(map(str, h))}": maker.make(m, h) for m in materials for h in millers
        }
        if construction not in ("pseudomorphic", "bcc110"):
            msg = f"--construction: {construction!r} is not one of 'pseudomorphic', 'bcc110'"
            raise ConfigurationError(msg)
        if layers < 0 or layers > 10:
            msg = f"--layers: {layers} is outside the allowed range 0–10"
            raise ConfigurationError(msg)
        if li_growth not in LI_LAYER_GROWTH:
            msg = (
                f"--li-growth: {li_growth!r} is not one of {', '.join(map(repr, LI_LAYER_GROWTH))}"
            )
            raise ConfigurationError(msg)
        layer_flows: dict[str, Any] = {}
        if layers:
            for m in materials:
                lm = LiMultilayerMaker(
                    site_maker=maker,
                    max_layers=layers,
                    construction=construction,  # type: ignore[arg-type]
                    max_strain=max_strain,
                    complex_max_strain=complex_max_strain,
                    growth=li_growth,  # type: ignore[arg-type]
                )
                lm = replace(
                    lm,
                    li_relax_maker=replace(lm.li_relax_maker, fmax_ev_per_a=fmax, calculator=spec),
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
        if refine_spec is not None:
            ensure_available(refine_spec)
    except (LithiophilicError, ValueError) as exc:
        _fail(exc, 2)
    ddir = get_data_dir(data_dir)
    store = get_store(data_dir=ddir, store=store_opt)
    logger.info("job store: %s", describe_store(store))
    results = _run_flows(flows, store, ddir)
    failed = {k: r for k, r in results.items() if isinstance(r, str)}
    summaries = [r for r in results.values() if not isinstance(r, str)]
    prescreens = _prescreen_docs(store, summaries, refine_calculator) if refine_spec else []
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
    if prescreens:
        out.print(_prescreen_table(prescreens, calculator, refine_calculator or ""))
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
            "prescreens": prescreens,
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


# --- issue 8: the paper campaign ---
#: Default wall-time limit per job of ``paper --submit`` (a jobflow-remote worker keeps its own
#: unless --time is given).
PAPER_SUBMIT_TIME = "04:00:00"


@app.command("paper")
def paper(
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Small cells, few samples, short MD: every stage in minutes."),
    ] = False,
    calculator: Annotated[
        str, typer.Option(help="Calculator for surface energies and Li binding.")
    ] = "sevenn",
    dft: Annotated[str, typer.Option("--dft", help="DFT calculator for the PDOS (5b).")] = "gpaw",
    md_potential: Annotated[
        str, typer.Option("--md-potential", help="LAMMPS potential for the aggregation MD.")
    ] = defaults.MD_POTENTIAL,
    stage: Annotated[
        list[str] | None,
        typer.Option("--stage", help="Run only these stages (surface, pdos, binding, md)."),
    ] = None,
    nprocs: Annotated[
        int | None,
        typer.Option(
            "--nprocs", help="MPI ranks of the DFT runs (default $SLURM_NTASKS, else all cores)."
        ),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Report directory.")] = Path(
        "lithiophilic-report"
    ),
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material",
            "-m",
            help="Material (repeatable); default Cu, Cu5Zn8, Cu0.64Zn0.36 (MD: Cu, Cu0.64Zn0.36).",
        ),
    ] = None,
    submit_to: Annotated[
        str | None,
        typer.Option(
            "--submit",
            help="Submit instead of running here: 'slurm' (each stage's jobs with dependencies, "
            "then a report job) or 'remote:PROJECT' (jobflow-remote).",
        ),
    ] = None,
    partition: Annotated[
        str | None, typer.Option("--partition", help="With --submit slurm: partition.")
    ] = None,
    time_limit: Annotated[
        str, typer.Option("--time", help="With --submit: wall-time limit per job.")
    ] = PAPER_SUBMIT_TIME,
    ntasks: Annotated[
        int, typer.Option("--ntasks", help="With --submit: MPI tasks per job (GPAW ranks).")
    ] = 1,
    account: Annotated[
        str | None, typer.Option("--account", help="With --submit slurm: account.")
    ] = None,
    pre_run: Annotated[
        str, typer.Option("--pre-run", help="With --submit slurm: shell lines run before each job.")
    ] = "",
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """All of Fig. 5 for Cu, Cu5Zn8 and Cu0.64Zn0.36, tracked and reused; a report with verdicts.

    With --submit slurm every stage's jobs go to Slurm (the binding stage after the surface
    stage, whose relaxed slabs it reuses), followed by a report job that runs this command
    again without --submit: every calculation is then reused from the database, so it only
    writes the figures, numbers and report. If a job fails, the report job is cancelled;
    `lithiophilic db status` names the reason, and submitting again reuses finished work.
    """
    import os

    from lithiophilic.db import describe_store, get_data_dir, get_store
    from lithiophilic.potentials import CalculatorSpec, calculator_provenance
    from lithiophilic.workflows.paper import PAPER_STAGES, PaperCampaign, build_report

    if submit_to is not None and submit_to != "slurm" and not submit_to.startswith("remote:"):
        _fail(
            ConfigurationError(
                f"--submit: {submit_to!r} is not allowed; use 'slurm' or 'remote:PROJECT'"
            ),
            2,
        )
    if submit_to is not None and nprocs is None:
        nprocs = ntasks  # the DFT ranks are the job's tasks, not this machine's cores
    try:
        campaign = PaperCampaign(
            out_dir=out_dir,
            quick=quick,
            calculator=calculator,
            dft=dft,
            md_potential=md_potential,
            nprocs=nprocs,
            data_dir=get_data_dir(data_dir),
            store=store_opt,
            stages=stage or list(PAPER_STAGES),
            materials=material or (),
        )
        specs = {"energies": CalculatorSpec(calculator)}
        if "pdos" in campaign.stages:
            specs["PDOS"] = CalculatorSpec(dft)
    except (LithiophilicError, ValueError) as exc:
        _fail(exc, 2)
    ddir = get_data_dir(data_dir)
    if submit_to is not None:
        report_argv = [
            "paper",
            *(["--quick"] if quick else []),
            *("--calculator", calculator, "--dft", dft, "--md-potential", md_potential),
            *("--nprocs", str(campaign.dft_nprocs), "--out", str(out_dir.resolve())),
            *[a for st in campaign.stages for a in ("--stage", st)],
            *[a for m in campaign.materials for a in ("--material", m)],
            *("--data-dir", str(ddir.resolve())),
            *(["--store", store_opt] if store_opt else []),
        ]
        _submit_paper(
            campaign,
            report_argv,
            submit_to=submit_to,
            resources={
                "partition": partition,
                "time": time_limit,
                "ntasks": ntasks,
                "account": account,
                "pre_run": pre_run,
            },
            data_dir=ddir,
            store_opt=store_opt,
        )
        return
    store = get_store(data_dir=ddir, store=store_opt)
    settings: dict[str, Any] = {
        "job database": describe_store(store),
        **{k: json.dumps(calculator_provenance(v), default=str) for k, v in specs.items()},
        **({"MD potential": md_potential} if "md" in campaign.stages else {}),
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }

    def show(res: Any) -> None:
        style = "green" if res.status == "ok" else "red"
        console.print(
            f"[{style}]{res.name}[/] ({', '.join(res.panels)}): {escape(res.status)}, "
            f"{res.wall_s:.0f} s, {res.peak_rss_mib:.0f} MiB — log {escape(res.log)}"
        )

    t0 = time.perf_counter()
    results = campaign.run(on_stage=show)
    settings["total wall time (s)"] = round(time.perf_counter() - t0, 1)
    paths = build_report(campaign, results, settings)
    claims = json.loads(paths["claims"].read_text())["claims"]
    table = Table(title="Fig. 5: the paper's claims and ours")
    for col in ("panel", "claim", "verdict"):
        table.add_column(col)
    for c in claims:
        table.add_row(c["panel"], c["claim"], c["verdict"])
    out.print(table)
    console.print(f"report: {paths['html'].resolve()}\n        {paths['markdown'].resolve()}")
    if any(r.returncode != 0 for r in results):
        raise typer.Exit(1)


def _cancel_submitted(
    records: list[dict[str, Any]], reason: str, data_dir: Path, store_opt: str | None
) -> None:
    """Cancel the Slurm jobs of ``records`` and mark them ``CANCELLED`` with ``reason``.

    jobflow-remote flows cannot be withdrawn from here; they are named instead.
    """
    from lithiophilic.db import get_store, get_tracking_store, set_job_state
    from lithiophilic.slurm import cancel_jobs

    slurm = [r for r in records if "slurm_job_id" in r]
    if slurm:
        cancel_jobs([r["slurm_job_id"] for r in slurm])
        tracking = get_tracking_store(get_store(data_dir=data_dir, store=store_opt))
        for r in slurm:
            now = tracking.query_one({"uuid": r["uuid"]}) or {}
            if now.get("state") != "COMPLETED":  # a finished job's results stay valid
                set_job_state(tracking, r["uuid"], "CANCELLED", reason)
        console.print(f"cancelled the {len(slurm)} Slurm job(s) already submitted")
    flows = [r["flow_uuid"] for r in records if "flow_uuid" in r]
    if flows:
        console.print(
            "jobflow-remote flows already submitted (delete them with jf flow delete if "
            f"unwanted): {' '.join(flows)}"
        )


def _submit_paper(
    campaign: Any,
    report_argv: list[str],
    *,
    submit_to: str,
    resources: dict[str, Any],
    data_dir: Path,
    store_opt: str | None,
) -> None:
    """Submit every stage of ``campaign`` (and, on Slurm, the report job); print the jobs."""
    from lithiophilic.db import get_store, get_tracking_store
    from lithiophilic.slurm import SlurmError, SlurmResources, check_sbatch, submit_command

    remote = submit_to.removeprefix("remote:") if submit_to.startswith("remote:") else None
    try:
        res = SlurmResources(**resources)
        if remote is None:
            check_sbatch()
    except LithiophilicError as exc:
        _fail(exc, 2)
    explicit = {
        "partition": res.partition,
        "time": res.time if res.time != PAPER_SUBMIT_TIME else None,
        "ntasks": res.ntasks if res.ntasks != 1 else None,
        "account": res.account,
    }
    table = Table("stage", "panels", "jobs", "Slurm ids / flows", title="Submitted")
    ids: dict[str, list[str]] = {}
    submitted: list[dict[str, Any]] = []
    for st in campaign.stage_list():
        # binding reuses the relaxed bulk and clean slabs of the surface stage: wait for them
        after = ids.get("surface", []) if st.name == "binding" else []
        try:
            recs = _submit_flows_of(
                st.args, resources=res, remote=remote, worker=None, explicit=explicit, after=after
            )
        except (SubmitExit, typer.Exit) as exc:
            code = int(getattr(exc, "code", None) or getattr(exc, "exit_code", None) or 2)
            why = f"paper submission aborted: stage {st.name} could not be submitted"
            console.print(f"[red]{why} (exit {code})[/]")
            _cancel_submitted(submitted, why, data_dir, store_opt)
            raise typer.Exit(code) from None
        submitted += recs
        ids[st.name] = [r["slurm_job_id"] for r in recs if "slurm_job_id" in r]
        shown = ids[st.name] or [r.get("flow_uuid", "") for r in recs]
        table.add_row(st.name, ", ".join(st.panels), str(len(recs)), " ".join(shown))
    report_cmd = shlex.join(["lithiophilic", *report_argv])
    if remote is None:
        tracking = get_tracking_store(get_store(data_dir=data_dir, store=store_opt))
        try:
            rec = submit_command(
                report_argv,
                name="paper-report",
                store_spec={"data_dir": str(data_dir.resolve()), "store": store_opt},
                tracking=tracking,
                work_dir=data_dir / "slurm",
                resources=res,
                after=[i for v in ids.values() for i in v],
            )
        except SlurmError as exc:
            _cancel_submitted(submitted, f"paper submission aborted: {exc}", data_dir, store_opt)
            _fail(exc, 2)
        table.add_row("report", "all", "1", rec["slurm_job_id"])
    out.print(table)
    if remote is None:
        out.print(
            f"the report job runs after every stage job: {report_cmd}\n"
            f"report: {campaign.out_dir.resolve() / 'report.html'} when it has finished; "
            "track with: lithiophilic db status"
        )
    else:
        out.print(
            f"track with: lithiophilic db status --remote {remote}; when every flow has "
            f"completed, run here (every calculation is reused): {report_cmd}"
        )


# --- issue 6: Li aggregation MD ---
aggregation_app = typer.Typer(help="Analyse Li-aggregation trajectories.", no_args_is_help=True)
app.add_typer(aggregation_app, name="aggregation")


def _parse_lateral(text: str) -> tuple[int, int]:
    parts = re.findall(r"\d+", text)
    if len(parts) != 2 or re.sub(r"[\dx×,\s]", "", text):
        msg = f"lateral: {text!r} is not two cell counts; give e.g. 15x15"
        raise ConfigurationError(msg)
    return int(parts[0]), int(parts[1])


def _parse_slab(text: str, option: str) -> tuple[int, int, int]:
    """Parse ``NXxNYxLAYERS`` (e.g. ``12x12x7``) for the option named ``option``."""
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        msg = f"{option}: {text!r} is not NXxNYxLAYERS (e.g. 12x12x7)"
        raise ConfigurationError(msg)
    return int(parts[0]), int(parts[1]), int(parts[2])


def _md_replica_docs(store: Any, uuids: list[str]) -> list[dict[str, Any]]:
    from lithiophilic.db import get_output_dict

    docs = [get_output_dict(store, u) for u in uuids]
    return [d for d in docs if d is not None]


@app.command("md-aggregation")
def md_aggregation(
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material", "-m", help="Material (repeatable); default Cu and Cu0.64Zn0.36."
        ),
    ] = None,
    n_li: Annotated[
        int | None, typer.Option("--n-li", help="Li atoms (default: --coverage).")
    ] = None,
    coverage: Annotated[
        float, typer.Option(help="Li per top-plane substrate atom (used without --n-li).")
    ] = defaults.MD_COVERAGE,
    time_ps: Annotated[
        float, typer.Option("--time-ps", help="MD length, ps.")
    ] = defaults.MD_TIME_PS,
    replicas: Annotated[int, typer.Option(help="Independent replicas.")] = defaults.MD_REPLICAS,
    temperature_k: Annotated[
        float, typer.Option("--temperature-k", help="NVT temperature, K.")
    ] = defaults.MD_TEMPERATURE_K,
    timestep_fs: Annotated[
        float, typer.Option("--timestep-fs", help="Time step, fs (≤ 5).")
    ] = defaults.MD_TIMESTEP_FS,
    dump_every: Annotated[
        int, typer.Option("--dump-every", help="Steps between trajectory frames.")
    ] = defaults.MD_DUMP_EVERY,
    thermostat: Annotated[str, typer.Option(help="'langevin' or 'nose-hoover'.")] = "langevin",
    potential: Annotated[
        str, typer.Option(help="Registered LAMMPS potential.")
    ] = defaults.MD_POTENTIAL,
    lateral: Annotated[
        str | None,
        typer.Option(help="Surface cells of the slab, e.g. 15x15 (alloys: multiple of 5)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Base seed (replica r uses seed + r).")] = 1,
    cutoff: Annotated[
        float | None,
        typer.Option("--cutoff", help="Li-Li cluster cutoff, Å (default: RDF minimum)."),
    ] = None,
    n_mpi: Annotated[int, typer.Option("--n-mpi", help="MPI ranks per MD (mpirun).")] = 1,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="10x10x3 slab, at most 5 ps and 3 replicas: a smoke run, not science.",
        ),
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for Fig. 5f/5g (default DATA_DIR/reports)."),
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Li aggregation MD on (111) slabs (Fig. 5f, 5g): cluster metrics, aggregation rate with CI."""
    from lithiophilic.analysis.aggregation import RATE_DEFINITION, compare_rates
    from lithiophilic.analysis.aggregation_plots import (
        plot_aggregation_snapshots,
        plot_cluster_metrics,
    )
    from lithiophilic.db import describe_store, get_data_dir, get_store
    from lithiophilic.workflows.md import LiAggregationMaker

    materials = material or ["Cu", "Cu0.64Zn0.36"]
    try:
        size = _parse_lateral(lateral) if lateral else None
        sub: dict[str, Any] = {}
        if quick:
            sub = {"lateral_size": (10, 10), "n_layers": 3, "n_fixed_layers": 1, "vacuum_a": 20.0}
            time_ps, replicas, dump_every = (
                min(time_ps, defaults.MD_QUICK_TIME_PS),
                min(replicas, defaults.MD_QUICK_REPLICAS),
                min(dump_every, 100),
            )
        if size:
            sub["lateral_size"] = size
        md = {
            "n_li": n_li,
            "coverage": coverage,
            "time_ps": time_ps,
            "temperature_k": temperature_k,
            "timestep_fs": timestep_fs,
            "dump_every": dump_every,
            "check_every": dump_every,
            "thermostat": thermostat,
            "seed": seed,
            "cutoff_a": cutoff,
            "n_mpi": n_mpi,
        }
        _use_sqs_cache(data_dir)
        maker = LiAggregationMaker.with_potential(
            potential,
            replicas=replicas,
            **{f"substrate_{k}": v for k, v in sub.items()},
            **{f"md_{k}": v for k, v in md.items()},
        )
        flows = {m: maker.make(m) for m in materials}
        ddir = get_data_dir(data_dir)
        store = get_store(data_dir=data_dir, store=store_opt)
    except LithiophilicError as exc:
        _fail(exc, 2)
    console.print(f"store: {describe_store(store)}")
    results = _run_flows(flows, store, ddir, output_key="material")
    failed = {k: r for k, r in results.items() if isinstance(r, str)}
    summaries = {k: r for k, r in results.items() if not isinstance(r, str)}
    table = Table(
        title="Li aggregation on (111): rate k (1/ps), mean [95% t-interval] over replicas"
    )
    for col in (
        "material",
        "ok/replicas",
        "k (1/ps)",
        "95% CI",
        "d<size>/dt (1/ps)",
        "cutoff (Å)",
        "potential",
    ):
        table.add_column(col)
    frames, snaps, replica_rows = {}, {}, {}
    for m, s in summaries.items():
        docs = _md_replica_docs(store, s["replica_uuids"])
        ok = [d for d in docs if d["status"] == "completed"]
        frames[m] = s["replica_frames"]  # metrics with the surface's common cutoff
        if ok and ok[0].get("snapshots"):
            snaps[m] = ok[0]["snapshots"]
        replica_rows[m] = [
            {k: d[k] for k in ("replica", "seed", "status", "failure_reason", "cutoff_a", "frames")}
            for d in docs
        ]
        for r, why in s["failed_replicas"].items():
            failed[f"{m} replica {r}"] = f"MD failed: {why}"
        k = s["k_per_ps"]
        ci = (
            f"[{s['k_ci_low_per_ps']:.4f}, {s['k_ci_high_per_ps']:.4f}]"
            if s["k_ci_low_per_ps"] is not None
            else "-"
        )
        table.add_row(
            m,
            f"{s['n_completed']}/{s['n_replicas']}",
            "-" if k is None else f"{k:.4f}",
            ci,
            "-" if s["cluster_growth_per_ps"] is None else f"{s['cluster_growth_per_ps']:.4f}",
            "-" if s["cutoff_a"] is None else f"{s['cutoff_a']:.2f}",
            s["potential"] + ("" if s["validated_for_science"] else " [red](not validated)[/]"),
        )
    out.print(table)
    out.print(RATE_DEFINITION, markup=False, style="dim")
    for w in sorted({w for s in summaries.values() for w in s["warnings"]}):
        console.print(f"[yellow]warning:[/] {escape(w)}")
    comparisons = []
    done = {m: s for m, s in summaries.items() if s["status"] == "completed"}
    cutoffs = {round(s["cutoff_a"], 3) for s in done.values() if s["cutoff_a"] is not None}
    if len(cutoffs) > 1:
        console.print(
            "[yellow]warning:[/] the surfaces were analysed at different Li-Li cutoffs "
            f"({', '.join(f'{c:.2f}' for c in sorted(cutoffs))} Å, each its own RDF minimum); "
            "their rates are not comparable: pass --cutoff to compare them"
        )
    if "Cu" in done:
        for m, s in done.items():
            if m != "Cu":
                cmp = compare_rates(
                    done["Cu"]["k_per_ps_replicas"], s["k_per_ps_replicas"], label_a="Cu", label_b=m
                )
                comparisons.append({"a": "Cu", "b": m, **cmp})
                out.print(cmp["statement"], markup=False)
    report_dir = out_dir or ddir / "reports"
    if any(frames.values()):
        title = f"{potential}, {temperature_k:.0f} K; {RATE_DEFINITION[:90]}..."
        out.print(
            f"figure: {plot_cluster_metrics(frames, report_dir / 'fig5f_li_aggregation.png', title=title)}"
        )
    if snaps:
        out.print(
            f"figure: {plot_aggregation_snapshots(snaps, report_dir / 'fig5g_li_snapshots.png')}"
        )
    _finish(
        json_file,
        {
            "definition": RATE_DEFINITION,
            "summaries": summaries,
            "comparisons": comparisons,
            "replicas": replica_rows,
        },
        failed,
    )


@aggregation_app.command("analyze")
def aggregation_analyze(
    trajectory: Annotated[
        Path,
        typer.Argument(
            help="LAMMPS dump (.lammpstrj[.gz], needs an element column or --type-map), extxyz or ASE .traj."
        ),
    ],
    cutoff: Annotated[
        float | None, typer.Option("--cutoff", help="Li-Li cutoff, Å (default: RDF first minimum).")
    ] = None,
    timestep_fs: Annotated[
        float | None,
        typer.Option("--timestep-fs", help="MD time step, fs (LAMMPS dumps: gives times)."),
    ] = None,
    type_map: Annotated[
        str | None, typer.Option("--type-map", help="LAMMPS types, e.g. 1=Li,2=Cu,3=Zn.")
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write per-frame metrics as JSON.")
    ] = None,
) -> None:
    """Per-frame Li-Li clusters of a trajectory (streamed) and its aggregation rate."""
    from lithiophilic.analysis.aggregation import (
        RATE_DEFINITION,
        analyze_trajectory,
        fit_aggregation_rate,
    )
    from lithiophilic.errors import AnalysisError

    try:
        tmap = None
        if type_map:
            try:
                tmap = {int(k): v.strip() for k, v in (p.split("=") for p in type_map.split(","))}
            except ValueError:
                msg = f"type-map: {type_map!r} is not like 1=Li,2=Cu"
                raise ConfigurationError(msg) from None
        if cutoff is not None and not cutoff > 0:
            msg = f"cutoff: {cutoff} must be > 0 Å"
            raise ConfigurationError(msg)
        res = analyze_trajectory(
            trajectory, cutoff_a=cutoff, type_map=tmap, timestep_fs=timestep_fs
        )
    except (AnalysisError, ConfigurationError) as exc:
        _fail(exc, 2)
    rows = res["frames"]
    times = [f["time_ps"] for f in rows]
    if len(rows) >= 3 and None not in times and rows[0]["isolated_fraction"] > 0:
        res["rate"] = fit_aggregation_rate(times, [f["isolated_fraction"] for f in rows])
    table = Table(
        title=f"{trajectory.name}: {res['n_li']} Li, cutoff {res['cutoff_a']:.2f} Å ({res['cutoff_source']})"
    )
    for col in ("frame", "time (ps)", "clusters", "largest", "mean size", "isolated", "coord."):
        table.add_column(col)
    stride = max(1, len(rows) // 20)
    for f in rows[::stride]:
        table.add_row(
            str(f["frame"]),
            "-" if f["time_ps"] is None else f"{f['time_ps']:.2f}",
            str(f["n_clusters"]),
            str(f["largest_cluster"]),
            f"{f['mean_cluster_size']:.2f}",
            f"{f['isolated_fraction']:.3f}",
            f"{f['mean_coordination']:.2f}",
        )
    out.print(table)
    if "rate" in res:
        out.print(
            f"k = {res['rate']['k_per_ps']:.4g} 1/ps (R2 {res['rate']['r2']:.3f}, one trajectory: no CI)"
        )
    out.print(RATE_DEFINITION, markup=False, style="dim")
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(res, indent=1, default=str))
        console.print(f"wrote {json_file}")


# --- issue 7: job database, Slurm and jobflow-remote ---
db_app = typer.Typer(help="Inspect and export the job database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


remote_app = typer.Typer(help="jobflow-remote projects.", no_args_is_help=True)
app.add_typer(remote_app, name="remote")


def _open_store(data_dir: Path | None, store_opt: str | None) -> Any:
    from lithiophilic.db import get_store

    try:
        return get_store(data_dir=data_dir, store=store_opt)
    except LithiophilicError as exc:
        _fail(exc, 2)


@db_app.command("status")
def db_status(
    submission: Annotated[
        str | None, typer.Option("--submission", help="Only jobs of this submission id.")
    ] = None,
    remote: Annotated[
        str | None,
        typer.Option("--remote", help="Also count the jobs of this jobflow-remote project."),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the status as JSON.")
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Show stored outputs per type and submitted jobs (Slurm, jobflow-remote) per state."""
    from lithiophilic.db import describe_store, get_tracking_store, status_summary, tracked_jobs
    from lithiophilic.slurm import refresh_states

    store = _open_store(data_dir, store_opt)
    tracking = get_tracking_store(store)
    refresh_states(tracking)
    if tracking.count({"scheduler": {"$regex": "^jobflow-remote:"}}):
        from lithiophilic.remote import refresh_remote_states

        try:
            refresh_remote_states(tracking)
        except Exception as exc:  # queue database unreachable: show the stored states
            logger.warning("jobflow-remote states not refreshed: %s", type(exc).__name__)
    summary = status_summary(store)
    jobs = tracked_jobs(tracking, submission=submission)
    console.print(f"store: {describe_store(store)}")
    table = Table("document type", "count", title="Stored outputs")
    for k, v in sorted(summary["outputs"].items()):
        table.add_row(k, str(v))
    out.print(table)
    out.print(f"calculations reused from the store: {summary['reused_calculations']}")
    if jobs:
        jt = Table("submission", "job", "slurm id", "state", "reason", title="Submitted jobs")
        for j in jobs:
            color = {"COMPLETED": "green", "FAILED": "red", "CANCELLED": "red"}.get(j["state"])
            state = f"[{color}]{j['state']}[/]" if color else j["state"]
            jt.add_row(
                j.get("submission", ""),
                escape(j.get("name", "")),
                str(j.get("slurm_job_id", "")),
                state,
                escape(j.get("reason") or ""),
            )
        out.print(jt)
    payload: dict[str, Any] = {**summary, "jobs": jobs}
    if remote:
        from lithiophilic.remote import remote_job_states

        try:
            payload["remote_jobs"] = remote_job_states(remote)
        except Exception as exc:  # unknown project, unreachable queue database
            _fail(ConfigurationError(f"--remote {remote}: {type(exc).__name__}: {exc}"), 2)
        out.print(f"jobflow-remote {remote}: {payload['remote_jobs']}")
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(payload, indent=1, default=str))


@db_app.command("list")
def db_list(
    doc_type: Annotated[
        str | None, typer.Option("--type", help="Only this document type (e.g. surface_energy).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Show at most the newest N.")] = 50,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """List stored lithiophilic documents (uuid, type, material, calculator), newest last."""
    from lithiophilic.db import list_results

    store = _open_store(data_dir, store_opt)
    items = list_results(store, doc_type=doc_type)
    table = Table("uuid", "completed", "type", "material", "calculator", "job")
    for it in items[-limit:] if limit > 0 else items:
        table.add_row(
            it["uuid"],
            it["completed_at"][:19],
            str(it["doc_type"]),
            str(it["material"] or ""),
            str(it["calculator"] or ""),
            escape(str(it["name"])),
        )
    out.print(table)
    out.print(f"{len(items)} documents")


@db_app.command("show")
def db_show(
    uuid: Annotated[str, typer.Argument(help="Job uuid (see 'lithiophilic db list').")],
    load: Annotated[
        bool, typer.Option("--load", help="Also load large arrays from the additional store.")
    ] = False,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Print one stored document as JSON."""
    from lithiophilic.db import show_document

    store = _open_store(data_dir, store_opt)
    doc = show_document(store, uuid, load=load)
    if doc is None:
        _fail(ConfigurationError(f"uuid: no stored document with uuid {uuid!r}"), 2)
    out.print_json(json.dumps(doc, default=str))


@db_app.command("export")
def db_export(
    out_file: Annotated[Path, typer.Argument(help="Output file: .json or .csv.")],
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this document type.")] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Export lithiophilic documents to JSON (complete) or CSV (scalar fields, one row each)."""
    from lithiophilic.db import export_results, export_results_csv

    suffix = out_file.suffix.lower()
    if suffix not in (".json", ".csv"):
        _fail(ConfigurationError(f"export: unsupported suffix {suffix!r}; use .json or .csv"), 2)
    store = _open_store(data_dir, store_opt)
    if suffix == ".csv":
        export_results_csv(store, out_file, doc_type=doc_type)
    else:
        export_results(store, out_file, doc_type=doc_type)
    out.print(f"exported to {out_file}")


class SubmitExit(Exception):
    """The submitted command exited with a non-zero code (it printed why)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"exit {code}")
        self.code = code


def _submit_flows_of(
    args: list[str],
    *,
    resources: Any,
    remote: str | None,
    worker: str | None,
    explicit: dict[str, Any],
    after: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Run the command ``args`` with its flows handed to Slurm or jobflow-remote.

    ``explicit`` holds the resources given on the command line (jobflow-remote overrides
    only those of its worker); ``after`` are Slurm job ids every job waits for. Returns
    the submission records; raises :class:`SubmitExit` if the command failed, and exits
    with code 2 for a Slurm or configuration error.
    """
    global _flow_sink
    from lithiophilic.db import get_tracking_store, record_jobs
    from lithiophilic.slurm import SlurmError, submit_flows

    command = "lithiophilic " + " ".join(args)
    submitted: list[dict[str, Any]] = []

    def sink(flows: dict[str, Any], store: Any, data_dir: Path) -> dict[str, Any]:
        tracking = get_tracking_store(store)
        if remote:
            from lithiophilic.remote import submit_remote

            slurm_res = {k: v for k, v in explicit.items() if v is not None}
            recs = submit_remote(flows, project=remote, worker=worker, resources=slurm_res)
            now = time.strftime("%Y-%m-%dT%H:%M:%S")
            record_jobs(
                tracking,
                [
                    {
                        "uuid": r["flow_uuid"],
                        "name": f"flow {r['flow']}",
                        "flow": r["flow"],
                        "scheduler": f"jobflow-remote:{remote}",
                        "state": "SUBMITTED",
                        "submitted_at": now,
                        "command": command,
                    }
                    for r in recs
                ],
            )
            submitted.extend(recs)
        else:
            store_spec = {"data_dir": str(data_dir), "store": store_opt_of(args)}
            submitted.extend(
                submit_flows(
                    flows,
                    store_spec=store_spec,
                    tracking=tracking,
                    work_dir=data_dir / "slurm",
                    resources=resources,
                    command=command,
                    after=after,
                )
            )
        return {}

    _flow_sink = sink
    quiet = out.quiet
    out.quiet = True
    try:
        code = app(args=args, standalone_mode=False)
    except (SlurmError, LithiophilicError) as exc:
        out.quiet = quiet
        _fail(exc, 2)
    finally:
        _flow_sink = None
        out.quiet = quiet
    if code:
        raise SubmitExit(int(code))
    return submitted


@app.command(
    "submit",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def submit(
    ctx: typer.Context,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="'slurm' (sbatch with dependencies).")
    ] = None,
    remote: Annotated[
        str | None, typer.Option("--remote", help="jobflow-remote project to submit to.")
    ] = None,
    worker: Annotated[
        str | None, typer.Option("--worker", help="jobflow-remote worker (default: first).")
    ] = None,
    partition: Annotated[str | None, typer.Option("--partition", help="Slurm partition.")] = None,
    time_limit: Annotated[
        str, typer.Option("--time", help="Wall-time limit per job (HH:MM:SS).")
    ] = "01:00:00",
    ntasks: Annotated[int, typer.Option("--ntasks", help="MPI tasks per job.")] = 1,
    cpus_per_task: Annotated[
        int, typer.Option("--cpus-per-task", help="Cores per task (OMP_NUM_THREADS).")
    ] = 1,
    account: Annotated[str | None, typer.Option("--account", help="Slurm account.")] = None,
    pre_run: Annotated[
        str, typer.Option("--pre-run", help="Shell lines run before each job (module load ...).")
    ] = "",
) -> None:
    """Submit the flows of another command to Slurm or jobflow-remote instead of running them.

    Give the options of submit first, then the command with its own options, e.g.
    `lithiophilic submit --scheduler slurm --partition debug surface-energy -m Cu --quick`
    or `lithiophilic submit --remote myproject binding -m Cu`. The command's --data-dir /
    --store choose the job store the jobs write to; `lithiophilic db status` shows their
    states. To rerun failed jobs, submit the same command again (stored calculations are
    reused).
    """
    from lithiophilic.slurm import SlurmResources, check_sbatch

    args = list(ctx.args)
    if (scheduler is None) == (remote is None):
        _fail(
            ConfigurationError("submit: give exactly one of --scheduler slurm or --remote PROJECT"),
            2,
        )
    if scheduler is not None and scheduler != "slurm":
        _fail(
            ConfigurationError(f"--scheduler: {scheduler!r} is not supported (allowed: slurm)"), 2
        )
    if not args or args[0] in ("submit", "db", "remote") or args[0].startswith("-"):
        _fail(
            ConfigurationError(
                "submit: name the command whose flows to submit, e.g. surface-energy -m Cu"
            ),
            2,
        )
    try:
        resources = SlurmResources(
            partition=partition,
            time=time_limit,
            ntasks=ntasks,
            cpus_per_task=cpus_per_task,
            account=account,
            pre_run=pre_run,
        )
        if scheduler:
            check_sbatch()
    except LithiophilicError as exc:
        _fail(exc, 2)
    # only what was given explicitly overrides a jobflow-remote worker's resources
    explicit = {
        "partition": partition,
        "time": time_limit if time_limit != "01:00:00" else None,
        "ntasks": ntasks if ntasks != 1 else None,
        "cpus_per_task": cpus_per_task if cpus_per_task != 1 else None,
        "account": account,
    }
    try:
        submitted = _submit_flows_of(
            args, resources=resources, remote=remote, worker=worker, explicit=explicit
        )
    except SubmitExit as exc:
        raise typer.Exit(exc.code) from None
    table = Table("flow", "job", "id", title="Submitted")
    for r in submitted:
        if "slurm_job_id" in r:
            table.add_row(r["flow"], escape(r["name"]), r["slurm_job_id"])
        else:
            table.add_row(r["flow"], r["flow_uuid"], f"{len(r['db_ids'])} jobs")
    out.print(table)
    out.print("track with: lithiophilic db status" + (f" --remote {remote}" if remote else ""))


def store_opt_of(args: list[str]) -> str | None:
    """Return the --store value among a command's arguments (None: the default store)."""
    for i, a in enumerate(args):
        if a == "--store" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--store="):
            return a.split("=", 1)[1]
    return None


@remote_app.command("init")
def remote_init(
    name: Annotated[str, typer.Argument(help="Project name (file NAME.yaml).")],
    mongo_host: Annotated[str, typer.Option("--mongo-host", help="MongoDB host.")] = "127.0.0.1",
    mongo_port: Annotated[int, typer.Option("--mongo-port", help="MongoDB port.")] = 27017,
    database: Annotated[str, typer.Option("--database", help="Database name.")] = "lithiophilic",
    username: Annotated[
        str | None, typer.Option("--username", help="MongoDB user (password from --password-env).")
    ] = None,
    password_env: Annotated[
        str,
        typer.Option("--password-env", help="Environment variable holding the MongoDB password."),
    ] = "LITHIOPHILIC_MONGO_PASSWORD",
    worker: Annotated[str, typer.Option("--worker", help="'local' or 'remote' (SSH).")] = "local",
    scheduler: Annotated[str, typer.Option("--scheduler", help="'slurm' or 'shell'.")] = "slurm",
    ssh_host: Annotated[str | None, typer.Option("--ssh-host", help="Remote worker host.")] = None,
    ssh_user: Annotated[str | None, typer.Option("--ssh-user", help="Remote worker user.")] = None,
    work_dir: Annotated[
        str | None, typer.Option("--work-dir", help="Where jobs run (default ~/jfr-NAME).")
    ] = None,
    partition: Annotated[str | None, typer.Option("--partition", help="Slurm partition.")] = None,
    time_limit: Annotated[str, typer.Option("--time", help="Slurm time per job.")] = "01:00:00",
    ntasks: Annotated[int, typer.Option("--ntasks", help="Tasks per job.")] = 1,
    pre_run: Annotated[
        str | None,
        typer.Option(
            "--pre-run", help="Shell lines before each job (default: activate this venv)."
        ),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder", help="Projects folder (default $JFREMOTE_PROJECTS_FOLDER or ~/.jfremote)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a jobflow-remote project: Slurm/shell worker, MongoDB queue + job store, GridFS data."""
    from lithiophilic.remote import project_dict, write_project
    from lithiophilic.slurm import SlurmResources

    password = os.environ.get(password_env) or None
    try:
        SlurmResources(partition=partition, time=time_limit, ntasks=ntasks)
        resources: dict[str, Any] = {"time": time_limit, "ntasks": ntasks}
        if partition:
            resources["partition"] = partition
        venv = Path(sys.executable).parent / "activate"
        project = project_dict(
            name,
            mongo_host=mongo_host,
            mongo_port=mongo_port,
            database=database,
            username=username,
            password=password,
            worker=worker,  # type: ignore[arg-type]
            scheduler=scheduler,  # type: ignore[arg-type]
            work_dir=work_dir or str(Path.home() / f"jfr-{name}"),
            resources=resources,
            pre_run=pre_run if pre_run is not None else (f"source {venv}" if venv.exists() else ""),
            ssh_host=ssh_host,
            ssh_user=ssh_user,
        )
        path = write_project(project, folder=folder, force=force)
    except LithiophilicError as exc:
        _fail(exc, 2)
    out.print(f"wrote {path} (mode 600)")
    if password:
        out.print(
            f"the password from ${password_env} is stored only in {path} (readable by you alone); "
            "it is not printed or logged"
        )
    out.print(f"next: jf -p {name} project check --errors; jf -p {name} runner start")


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
    from lithiophilic.potentials.gpaw import check_gpaw_installation, default_nprocs
    from lithiophilic.workflows.pdos import PdosCalcMaker, PdosMaker, pdos_input_structure

    materials = material or ([] if structure_file else list(defaults.PAPER_MATERIALS))
    if quick:
        # the DOS on the SCF mesh (no fixed-density run) and looser eigenstate residuals:
        # 26-atom Cu5Zn8 in ~1 min on 2 ranks instead of 3
        ecut, kpt_density = ecut or 300.0, kpt_density or 2.0
        dos_kpt_density = kpt_density
    _use_sqs_cache(data_dir)
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


def _model_settings(family: str, rcut_a: float, body_order: int) -> Any:
    from lithiophilic.potentials.fitted import model_settings

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
        settings = _model_settings(model, rcut, body_order)
        frames = check_training_frames(_read_training(data), DEFAULT_ELEMENTS)
        train, test = split_frames(frames)
        spec = CalculatorSpec(teacher)
        slab = _parse_slab(md_slab, "--md-slab")
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
    from lithiophilic.potentials.fitted import load_fitted_potential
    from lithiophilic.potentials.lammps import get_lammps_potential
    from lithiophilic.potentials.pod import _lammps_calc, evaluate_potential
    from lithiophilic.potentials.training import check_training_frames, split_frames
    from lithiophilic.potentials.validation import (
        family_errors,
        li_pairing_errors,
        make_stability_system,
        physical_checks,
        run_stability,
        spot_check,
        summarize_targets,
        write_parity_plot,
    )

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
        size = _parse_slab(slab_size, "--slab-size")
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
