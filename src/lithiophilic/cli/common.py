"""Helpers every command uses: parsing, failing with exit 2, running flows, writing JSON."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from lithiophilic.cli.app import console
from lithiophilic.errors import ConfigurationError

logger = logging.getLogger("lithiophilic")


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


def fail(exc: BaseException, code: int) -> None:
    """Print ``exc`` as an error and exit with ``code`` (2: bad input)."""
    console.print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(code)


#: Set by `lithiophilic submit` (issue 7): receives the flows instead of running them locally.
flow_sink: Any = None


#: $LITHIOPHILIC_SQS_CACHE as the user set it (None: each command uses DATA_DIR/sqs-cache).
_USER_SQS_CACHE = os.environ.get("LITHIOPHILIC_SQS_CACHE")


def use_sqs_cache(data_dir: Path | None) -> None:
    """Cache SQS searches in DATA_DIR/sqs-cache unless $LITHIOPHILIC_SQS_CACHE says otherwise.

    Set in the environment so that Slurm jobs submitted from here inherit it.
    """
    from lithiophilic.db import get_data_dir
    from lithiophilic.structures import SQS_CACHE_ENV

    if _USER_SQS_CACHE is None:
        os.environ[SQS_CACHE_ENV] = str(get_data_dir(data_dir) / "sqs-cache")


def run_flows(
    flows: dict[str, Any], store: Any, data_dir: Path, *, output_key: str = "rows"
) -> dict[str, Any]:
    """Run flows locally into the store; return per-material summaries or failure strings."""
    if flow_sink is not None:  # `lithiophilic submit`: hand the flows to a scheduler instead
        return flow_sink(flows, store, data_dir)
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


def finish(json_file: Path | None, payload: dict[str, Any], failed: dict[str, str]) -> None:
    """Write the JSON output, report failed flows and exit 1 if any failed."""
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps({**payload, "failed": failed}, indent=1, default=str))
    for name, why in failed.items():
        console.print(f"[bold red]{escape(name)}:[/] {escape(why)}")
    if failed:
        raise typer.Exit(1)


def parse_lateral(text: str) -> tuple[int, int]:
    """Parse ``NXxNY`` (e.g. ``15x15``) into two cell counts."""
    parts = re.findall(r"\d+", text)
    if len(parts) != 2 or re.sub(r"[\dx×,\s]", "", text):
        msg = f"lateral: {text!r} is not two cell counts; give e.g. 15x15"
        raise ConfigurationError(msg)
    return int(parts[0]), int(parts[1])


def parse_slab(text: str, option: str) -> tuple[int, int, int]:
    """Parse ``NXxNYxLAYERS`` (e.g. ``12x12x7``) for the option named ``option``."""
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        msg = f"{option}: {text!r} is not NXxNYxLAYERS (e.g. 12x12x7)"
        raise ConfigurationError(msg)
    return int(parts[0]), int(parts[1]), int(parts[2])
