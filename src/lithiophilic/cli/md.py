"""`lithiophilic md-aggregation` and `lithiophilic aggregation analyze`: Fig. 5f/5g."""

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
    finish,
    parse_lateral,
    run_flows,
    use_sqs_cache,
)
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


# --- issue 6: Li aggregation MD ---
aggregation_app = typer.Typer(help="Analyse Li-aggregation trajectories.", no_args_is_help=True)


app.add_typer(aggregation_app, name="aggregation")


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
        size = parse_lateral(lateral) if lateral else None
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
        use_sqs_cache(data_dir)
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
        fail(exc, 2)
    console.print(f"store: {describe_store(store)}")
    results = run_flows(flows, store, ddir, output_key="material")
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
    finish(
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
        fail(exc, 2)
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
