"""Command-line interface: one module per command group; parse -> study -> render, no physics."""

from __future__ import annotations

import sys

from rich.markup import escape
from rich.table import Table

from lithiophilic import __version__
from lithiophilic.cli import (  # noqa: F401  (each module registers its commands)
    binding,
    db,
    md,
    paper,
    pdos,
    potentials,
    screen,
    structures,
    submit,
    surface,
)
from lithiophilic.cli.app import app, console, out
from lithiophilic.cli.common import parse_miller
from lithiophilic.errors import CalculationFailed

__all__ = ["app", "main", "parse_miller"]


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


def main() -> None:
    """Entry point of the ``lithiophilic`` console script."""
    try:
        app()
    except CalculationFailed as exc:
        console.print(f"[bold red]calculation failed:[/] {escape(str(exc))}")
        sys.exit(1)
