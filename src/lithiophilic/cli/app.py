"""The Typer application, its consoles and the options every command shares."""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

logger = logging.getLogger("lithiophilic")


app = typer.Typer(
    help="lithiophilic: how lithiophilic is this surface? (Cu, Cu5Zn8, Cu0.64Zn0.36, any Cu-X skin)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    _setup_logging(verbose)


QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar (logging still goes to stderr).")
]
