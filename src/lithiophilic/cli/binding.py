"""`lithiophilic binding`: Fig. 5c (single Li) and 5d/5e (Li layers)."""

from __future__ import annotations

import logging
from dataclasses import replace
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
from lithiophilic.cli.surface import QUICK_SLABS
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


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
    )
    from lithiophilic.potentials import CalculatorSpec, ensure_available
    from lithiophilic.structures.li_layers import DEFAULT_MAX_STRAIN
    from lithiophilic.studies.queries import li_site_rows
    from lithiophilic.workflows.binding import (
        LI_LAYER_GROWTH,
        LiMultilayerMaker,
        LiSiteBindingMaker,
    )
    from lithiophilic.workflows.surface import SurfaceEnergyMaker

    materials = material or list(defaults.PAPER_MATERIALS)
    use_sqs_cache(data_dir)
    try:
        millers = [list(parse_miller(m)) for m in (miller or ["111"])]
        spec = CalculatorSpec(calculator)
        surface = SurfaceEnergyMaker()
        if quick:  # the slabs of surface-energy --quick (reused from the database)
            surface = SurfaceEnergyMaker(
                **QUICK_SLABS,
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
        fail(exc, 2)
    ddir = get_data_dir(data_dir)
    store = get_store(data_dir=ddir, store=store_opt)
    logger.info("job store: %s", describe_store(store))
    results = run_flows(flows, store, ddir)
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
        layer_results = run_flows(layer_flows, store, ddir, output_key="energies_ev")
        failed.update({k: r for k, r in layer_results.items() if isinstance(r, str)})
        multilayers = [r for r in layer_results.values() if not isinstance(r, str)]
        _report_layers(multilayers, out_dir or ddir / "reports")
    finish(
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
