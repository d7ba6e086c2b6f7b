"""`lithiophilic structures ...`: build and inspect bulk structures."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from lithiophilic.cli.app import app, console, out
from lithiophilic.cli.common import fail
from lithiophilic.errors import ConfigurationError, LithiophilicError

logger = logging.getLogger("lithiophilic")


structures_app = typer.Typer(help="Build and inspect structures.", no_args_is_help=True)


app.add_typer(structures_app, name="structures")


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
    from ase.io import write

    from lithiophilic.structures import make_bulk, symmetry_report

    try:
        fmt = _output_format(out_file)
        if lattice is not None and lattice not in ("fcc", "bcc", "hcp"):
            msg = f"--lattice: {lattice!r} is not one of fcc, bcc, hcp"
            raise ConfigurationError(msg)
        atoms = make_bulk(material, seed=seed, n_atoms=n_atoms, lattice=lattice)  # type: ignore[arg-type]
    except LithiophilicError as exc:
        fail(exc, 2)
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
    out.print_json(json.dumps(report, default=str))
    console.print(f"wrote {out_file}")


def _output_format(out_file: Path) -> str:
    """Return the ASE format of ``--out`` from its suffix (.cif, .extxyz, .xyz)."""
    suffix = out_file.suffix.lower()
    fmt = {".cif": "cif", ".extxyz": "extxyz", ".xyz": "extxyz"}.get(suffix)
    if fmt is None:
        msg = f"--out: unsupported suffix {suffix!r}; use .cif, .extxyz or .xyz"
        raise ConfigurationError(msg)
    return fmt
