"""`lithiophilic db ...` and `lithiophilic results`: inspect and export the job database."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lithiophilic.cli.app import DataDirOpt, StoreOpt, app, console, out
from lithiophilic.cli.common import fail, open_store
from lithiophilic.cli.surface import gamma_table
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


# --- issue 7: job database, Slurm and jobflow-remote ---
db_app = typer.Typer(help="Inspect and export the job database.", no_args_is_help=True)


app.add_typer(db_app, name="db")


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
    from lithiophilic.db import describe_store
    from lithiophilic.hpc.submit import job_status

    store = open_store(data_dir, store_opt)
    try:
        status = job_status(store, submission=submission, remote=remote)
    except LithiophilicError as exc:
        fail(exc, 2)
    console.print(f"store: {describe_store(store)}")
    _print_status(status)
    if remote:
        out.print(f"jobflow-remote {remote}: {status['remote_jobs']}")
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(status, indent=1, default=str))


def _print_status(status: dict[str, Any]) -> None:
    table = Table("document type", "count", title="Stored outputs")
    for k, v in sorted(status["outputs"].items()):
        table.add_row(k, str(v))
    out.print(table)
    out.print(f"calculations reused from the store: {status['reused_calculations']}")
    if not status["jobs"]:
        return
    jt = Table("submission", "job", "slurm id", "state", "reason", title="Submitted jobs")
    for j in status["jobs"]:
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

    store = open_store(data_dir, store_opt)
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

    store = open_store(data_dir, store_opt)
    doc = show_document(store, uuid, load=load)
    if doc is None:
        fail(ConfigurationError(f"uuid: no stored document with uuid {uuid!r}"), 2)
    out.print_json(json.dumps(doc, default=str))


@db_app.command("export")
def db_export(
    out_file: Annotated[
        Path | None, typer.Argument(help="Output file: .json or .csv (optional with --structures).")
    ] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this document type.")] = None,
    structures: Annotated[
        Path | None,
        typer.Option(
            "--structures",
            help="Write every relaxed bulk, slab and Li configuration into this directory.",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="Structure file format with --structures: cif, poscar or extxyz."
        ),
    ] = "extxyz",
    archive: Annotated[
        bool,
        typer.Option(
            "--archive",
            help="Write a self-contained archive (.json: large arrays included) that "
            "'lithiophilic db import' loads into another database.",
        ),
    ] = False,
    cache_keys: Annotated[
        list[str] | None,
        typer.Option("--cache-key", help="Only documents with this cache key (repeatable)."),
    ] = None,
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Export documents to JSON/CSV, and/or relaxed structures (--structures DIR) as CIF/POSCAR/extxyz.

    Structure files are named KIND_MATERIAL_FACET_TERMINATION_SITE_CALCULATOR-MODEL_HASH8 and
    carry energy_ev, calculator, model, cache_key and uuid in their header; DIR/manifest.json
    lists them. An empty database writes nothing and exits 0. ``--archive`` writes documents
    that ``lithiophilic db import`` can load elsewhere: a run whose inputs match reuses them.
    """
    from lithiophilic.db import (
        STRUCTURE_FORMATS,
        describe_store,
        export_results,
        export_results_csv,
        export_structures,
    )

    suffix = out_file.suffix.lower() if out_file else None
    if out_file is None and structures is None:
        fail(ConfigurationError("export: give an output file (.json/.csv) or --structures DIR"), 2)
    if suffix is not None and suffix not in (".json", ".csv"):
        fail(ConfigurationError(f"export: unsupported suffix {suffix!r}; use .json or .csv"), 2)
    if fmt not in STRUCTURE_FORMATS:
        fail(ConfigurationError(f"format: {fmt!r} is not one of {', '.join(STRUCTURE_FORMATS)}"), 2)
    if (archive or cache_keys) and suffix != ".json":
        fail(ConfigurationError("export: --archive and --cache-key need an output file .json"), 2)
    store = open_store(data_dir, store_opt)
    if archive:
        from lithiophilic.db.archive import export_archive

        n = export_archive(store, out_file, doc_type=doc_type, cache_keys=cache_keys)  # type: ignore[arg-type]
        out.print(f"archived {n} documents to {out_file}")
    elif out_file is not None:
        if suffix == ".csv":
            export_results_csv(store, out_file, doc_type=doc_type)
        else:
            export_results(store, out_file, doc_type=doc_type, cache_keys=cache_keys)
        out.print(f"exported to {out_file}")
    if structures is not None:
        paths = export_structures(store, structures, fmt=fmt)
        if not paths:
            out.print(
                f"no converged relaxed structure in the database ({describe_store(store)}); "
                "nothing written"
            )
            return
        out.print(f"wrote {len(paths)} {fmt} files and manifest.json to {structures}")


@db_app.command("import")
def db_import(
    archive_file: Annotated[
        Path, typer.Argument(help="An archive written by 'lithiophilic db export --archive'.")
    ],
    data_dir: DataDirOpt = None,
    store_opt: StoreOpt = None,
) -> None:
    """Load an archive's documents into this database (documents already present are skipped).

    The documents keep their uuid and cache key, so a run whose inputs match reuses them
    instead of recomputing. A file that is not an archive is refused with nothing written.
    """
    from lithiophilic.db.archive import import_archive

    if not archive_file.is_file():
        fail(ConfigurationError(f"archive_file: {archive_file} does not exist"), 2)
    store = open_store(data_dir, store_opt)
    try:
        counts = import_archive(store, archive_file)
    except ConfigurationError as exc:
        fail(exc, 2)
    out.print(
        f"imported {counts['imported']} documents from {archive_file} "
        f"({counts['already_present']} already present)"
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
    )
    from lithiophilic.studies.surface import gamma_table_rows, surface_energy_rows

    try:
        store = get_store(data_dir=data_dir, store=store_opt)
    except LithiophilicError as exc:
        fail(exc, 2)
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
        out.print(gamma_table(gamma_table_rows(rows), "Surface energies"))
    if json_file:
        export_results(store, json_file, doc_type=doc_type)
        out.print(f"exported {len(items)} documents to {json_file}")
