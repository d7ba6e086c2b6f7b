"""`lithiophilic surface-energy`: Fig. 5a."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lithiophilic import defaults
from lithiophilic.analysis.surface import facet_label
from lithiophilic.cli.app import DataDirOpt, StoreOpt, app, out
from lithiophilic.cli.common import (
    fail,
    finish,
    parse_miller,
    run_flows,
    use_sqs_cache,
)
from lithiophilic.errors import LithiophilicError

logger = logging.getLogger("lithiophilic")


def gamma_table(rows: list[dict[str, Any]], title: str) -> Table:
    """Return the rich table of surface-energy rows."""
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
QUICK_SLABS: dict[str, Any] = {
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
    from lithiophilic.db import describe_store, get_data_dir, get_store
    from lithiophilic.potentials import CalculatorSpec, ensure_available
    from lithiophilic.studies.queries import surface_energy_rows
    from lithiophilic.workflows.base import AseRelaxMaker
    from lithiophilic.workflows.surface import SurfaceEnergyMaker

    materials = material or list(defaults.PAPER_MATERIALS)
    use_sqs_cache(data_dir)
    if quick:
        n_layers = QUICK_SLABS["n_layers"]
        min_thickness_a = QUICK_SLABS["min_thickness_a"]
        n_fixed_layers = QUICK_SLABS["n_fixed_layers"]
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
            sqs_periods=QUICK_SLABS["sqs_periods"] if quick else 2,
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
        fail(exc, 2)
    ddir = get_data_dir(data_dir)
    store = get_store(data_dir=ddir, store=store_opt)
    logger.info("job store: %s", describe_store(store))
    results = run_flows(flows, store, ddir)
    rows = surface_energy_rows(store, materials=materials, calculator=calculator)
    rows = [r for r in rows if r["miller"] in millers]
    out.print(gamma_table(rows, f"Surface energies ({calculator})"))
    out.print(GAMMA_DEFINITION, markup=False, style="dim")
    report_dir = out_dir or ddir / "reports"
    if rows:
        csv_path = write_gamma_csv(rows, report_dir / "surface_energies.csv")
        png = plot_surface_energies(rows, report_dir / "fig5a_surface_energies.png")
        out.print(f"table: {csv_path}\nfigure: {png}")
    failed = {m: r for m, r in results.items() if isinstance(r, str)}
    finish(json_file, {"definition": GAMMA_DEFINITION, "rows": rows}, failed)
