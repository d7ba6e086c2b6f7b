"""Every command keeps the parameters it had before issue 16 (names, options, defaults, kinds).

``tests/data/cli/parameters_before_issue16.json`` was written before the refactor by the same
extraction as :func:`snapshot` (one entry per command path, its parameters sorted by name).
The only changes allowed are a ``--quiet/-q`` flag on the long commands (progress bar off)
and the optional flags added since, listed in :data:`ADDED_SINCE` (no old invocation changes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.main import get_command

from lithiophilic.cli import app

BEFORE = Path(__file__).parents[1] / "data" / "cli" / "parameters_before_issue16.json"

#: Commands that run calculations (a progress bar): they may gain --quiet/-q.
LONG_COMMANDS = {
    "surface-energy",
    "binding",
    "pdos",
    "md-aggregation",
    "paper",
    "dft-converge",
    "aggregation analyze",
    "potentials data",
    "potentials fit",
    "potentials validate",
}

#: Optional flags added after issue 16, by command (an old command line means what it did).
ADDED_SINCE: dict[str, set[str]] = {
    # issue 21: stage processes, MLIP job workers; issue 19: the MD teacher check
    "paper": {"stage_processes", "workers", "md_teacher"},
    "surface-energy": {"workers"},  # issue 21: worker processes (default: one per usable core)
    "binding": {"workers"},  # issue 21: worker processes (default: one per usable core)
    "screen": {"li_compound", "wetting_max_strain"},  # issue 20: Li-X hull input, wetting bound
    # issue 19: ASE engine, teacher, worker processes for one-rank replicas
    "md-aggregation": {"engine", "ase_calculator", "teacher", "workers"},
    "pdos": {"eigensolver"},  # issue 21: GPAW's plane-wave eigensolver (default Davidson)
    # issue 19: self-contained archives (results carried to another database), by cache key
    "db export": {"archive", "cache_keys"},
}

#: Commands added after issue 16 (no old command line changes meaning).
ADDED_COMMANDS = {"db import"}  # issue 19: load an archive written by 'db export --archive'

#: Defaults changed on purpose, (command, parameter) -> why. Only while the command's own issue
#: is open: ``screen`` (issue 20) asks for the lowest-γ facet unless ``--facet`` is given; the
#: aggregation MD (issue 19) runs ``licuzn-eam-li3b`` with 5 replicas.
DEFAULT_CHANGED: dict[tuple[str, str], str] = {
    ("screen", "facet"): "issue 20: no --facet means the lowest-gamma low-index facet",
    # issue 19 item 5: the aggregation MD runs licuzn-eam + its UF3 Li-Li correction; item 1:
    # 5 replicas per surface for the window test
    ("md-aggregation", "potential"): "issue 19: licuzn-eam-li3b",
    ("md-aggregation", "replicas"): "issue 19: 5 replicas",
    ("paper", "md_potential"): "issue 19: licuzn-eam-li3b",
    ("potentials validate", "name"): "issue 19: licuzn-eam-li3b",
}

QUIET = {
    "default": False,
    "is_flag": True,
    "kind": "TyperOption",
    "multiple": False,
    "name": "quiet",
    "opts": ["--quiet", "-q"],
    "required": False,
}


def _walk(cmd: Any, path: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The extraction of the snapshot script, unchanged."""
    out: dict[str, list[dict[str, Any]]] = {}
    if hasattr(cmd, "commands"):
        for name, sub in sorted(cmd.commands.items()):
            out.update(_walk(sub, [*path, name]))
    params = []
    for p in cmd.params:
        d = p.default
        if callable(d):
            d = "<callable>"
        params.append(
            {
                "name": p.name,
                "opts": sorted(p.opts + p.secondary_opts),
                "kind": type(p).__name__,
                "required": bool(p.required),
                "multiple": bool(getattr(p, "multiple", False)),
                "is_flag": bool(getattr(p, "is_flag", False)),
                "default": d
                if isinstance(d, str | int | float | bool | type(None) | list | tuple)
                else str(d),
            }
        )
    out[" ".join(path)] = sorted(params, key=lambda x: x["name"])
    return out


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Return every command's parameters as the snapshot stores them (JSON round trip)."""
    return json.loads(json.dumps(_walk(get_command(app), []), sort_keys=True, default=str))


def _differences(before: dict[str, list], now: dict[str, list]) -> list[str]:
    problems = []
    for command in sorted(set(before) - set(now)):
        problems.append(f"{command!r}: command removed")
    for command in sorted(set(now) - set(before) - ADDED_COMMANDS):
        problems.append(f"{command!r}: command added")
    for command in sorted(set(before) & set(now)):
        old = {p["name"]: p for p in before[command]}
        new = {p["name"]: p for p in now[command]}
        for name in sorted(set(old) - set(new)):
            problems.append(f"{command!r}: parameter {name!r} removed")
        for name in sorted(set(new) - set(old)):
            if name == "quiet" and command in LONG_COMMANDS and new[name] == QUIET:
                continue
            if name in ADDED_SINCE.get(command, set()) and not new[name]["required"]:
                continue
            problems.append(f"{command!r}: parameter {name!r} added: {new[name]}")
        for name in sorted(set(old) & set(new)):
            if old[name] != new[name]:
                if (command, name) in DEFAULT_CHANGED and {
                    k: v for k, v in old[name].items() if k != "default"
                } == {k: v for k, v in new[name].items() if k != "default"}:
                    continue
                problems.append(f"{command!r} {name!r}: was {old[name]}, now {new[name]}")
    return problems


def test_every_command_keeps_its_parameters():
    problems = _differences(json.loads(BEFORE.read_text()), snapshot())
    for p in problems:
        print(p)
    assert not problems, f"{len(problems)} parameter change(s); see the printed list"


def test_the_comparison_allows_only_quiet_on_long_commands():
    before = {"paper": [], "db list": [{**QUIET, "name": "limit", "opts": ["--limit"]}]}
    now = {"paper": [QUIET], "db list": [QUIET, {**QUIET, "name": "limit", "opts": ["--limit"]}]}
    assert _differences(before, now) == [f"'db list': parameter 'quiet' added: {QUIET}"]
    changed = {"paper": [{**QUIET, "default": True}]}
    assert _differences({"paper": []}, changed) == [
        f"'paper': parameter 'quiet' added: {changed['paper'][0]}"
    ]
    assert _differences({"paper": [], "x": []}, {"paper": []}) == ["'x': command removed"]
