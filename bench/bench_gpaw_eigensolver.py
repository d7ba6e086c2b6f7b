"""GPAW eigensolver lever for the PDOS jobs: the same SCF with other eigensolvers, back to back.

Takes the run directory of a stored PDOS job (``DATA_DIR/runs/job_*/gpaw-mpi``, with its
``input.json`` and ``atoms.json``), and runs the job again on N ranks through our own worker
(``potentials/dft/_gpaw_worker.py``, so the settings, bands and DOS extraction are the job's)
once per eigensolver, only ``eigensolver`` added to GPAW's keywords. Reports per run the SCF
steps, seconds per step, wall time, energy and Fermi level, and against the first variant the
largest change of the total and projected DOS and of the DOS at E_F.

    .venv/bin/python bench/bench_gpaw_eigensolver.py RUN_DIR [--nprocs 2] \
        [--variant default --variant dav2] --out bench/results/gpaw_eigensolver.json

Variants: ``default`` (GPAW's own: PPCG in GPAW 26.7), ``dav2`` (Davidson, 2 iterations),
``dav3``, ``rmm-diis``. Not a setting of the package yet: a candidate lever (issue 21).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

VARIANTS: dict[str, dict | None] = {
    "default": None,
    "dav2": {"name": "dav", "niter": 2},
    "dav3": {"name": "dav", "niter": 3},
    "rmm-diis": {"name": "rmm-diis"},
}

#: Runs our worker with ``eigensolver`` (JSON in ``BENCH_EIGENSOLVER``) added to GPAW's keywords.
_WRAPPER = """
import json, os, sys
import lithiophilic.potentials.dft.gpaw as g
_orig = g._new_gpaw
def _new(kwargs, txt):
    kw = dict(kwargs)
    es = os.environ.get("BENCH_EIGENSOLVER")
    if es:
        kw["eigensolver"] = json.loads(es)
    return _orig(kw, txt)
g._new_gpaw = _new
from lithiophilic.potentials.dft._gpaw_worker import main
sys.exit(main(sys.argv[1]))
"""


def run_variant(source: Path, work: Path, name: str, nprocs: int) -> dict:
    """Run the job of ``source`` with eigensolver ``name`` in ``work/name``."""
    from lithiophilic.potentials.dft.gpaw_mpi import mpi_launch

    run = work / name
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    for f in ("input.json", "atoms.json"):
        shutil.copy(source / f, run / f)
    wrapper = work / "worker_eigensolver.py"
    wrapper.write_text(_WRAPPER)
    cmd, env = mpi_launch(nprocs, wrapper)  # the package's own launch (one thread per rank)
    if VARIANTS[name] is not None:
        env["BENCH_EIGENSOLVER"] = json.dumps(VARIANTS[name])
    t0 = time.perf_counter()
    with open(run / "out.log", "w") as log:
        proc = subprocess.run(cmd, cwd=run, stdout=log, stderr=subprocess.STDOUT, env=env)
    wall = time.perf_counter() - t0
    result = json.loads((run / "result.json").read_text())
    txt = (run / "gpaw-scf.txt").read_text()
    steps = [ln for ln in txt.splitlines() if ln.startswith("Converged in")]
    loop = [ln for ln in txt.splitlines() if ln.startswith("SCF loop duration")]
    n_steps = int(steps[-1].split()[2]) if steps else None
    scf_s = float(loop[-1].split()[3]) if loop else None
    r = result.get("results", {})
    return {
        "eigensolver": VARIANTS[name] or "GPAW default",
        "returncode": proc.returncode,
        "status": result.get("status"),
        "wall_s": round(wall, 1),
        "scf_steps": n_steps,
        "scf_s": scf_s,
        "s_per_scf_step": None if not (n_steps and scf_s) else round(scf_s / n_steps, 3),
        "energy_ev": r.get("energy_ev"),
        "fermi_level_ev": r.get("fermi_level_ev"),
        "dir": str(run),
    }


def dos_changes(ref: Path, other: Path) -> dict:
    """Largest change of the DOS arrays of ``other`` against ``ref`` (same energy grid)."""
    a, b = np.load(ref / "arrays.npz"), np.load(other / "arrays.npz")
    e = a["energies_ev"]
    i_f = int(np.argmin(np.abs(e)))  # the grid is relative to E_F
    out = {"max_abs_total_dos_change": float(np.abs(a["total_dos"] - b["total_dos"]).max())}
    out["total_dos_max"] = float(np.abs(a["total_dos"]).max())
    out["max_abs_pdos_change"] = float(np.abs(a["pdos"] - b["pdos"]).max())
    out["total_dos_at_ef_ref"] = float(a["total_dos"][i_f])
    out["total_dos_at_ef"] = float(b["total_dos"][i_f])
    out["pdos_at_ef_max_abs_change"] = float(
        np.abs(a["pdos"][..., i_f] - b["pdos"][..., i_f]).max()
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--nprocs", type=int, default=2)
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-gpaw-eigensolver"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/gpaw_eigensolver.json")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    names = args.variant or ["default", "dav2"]
    runs = {}
    for name in names:
        runs[name] = run_variant(args.run_dir, args.work, name, args.nprocs)
        print(name, runs[name]["scf_steps"], runs[name]["scf_s"], runs[name]["status"], flush=True)
    ref = args.work / names[0]
    for name in names[1:]:
        if runs[name]["status"] == "ok" and runs[names[0]]["status"] == "ok":
            runs[name]["dos_vs_" + names[0]] = dos_changes(ref, args.work / name)
            runs[name]["energy_change_mev"] = 1000 * (
                runs[name]["energy_ev"] - runs[names[0]]["energy_ev"]
            )
            runs[name]["scf_s_ratio_to_" + names[0]] = round(
                runs[name]["scf_s"] / runs[names[0]]["scf_s"], 3
            )
    spec = json.loads((args.run_dir / "input.json").read_text())
    result = {
        "benchmark": "GPAW eigensolver on a stored PDOS job, back to back (issue 21 lever)",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "bench/bench_gpaw_eigensolver.py "
        + " ".join([str(args.run_dir), *[f"--variant {n}" for n in names]]),
        "note": args.note,
        "job": {"task": spec["task"], "settings": spec["settings"], "options": spec["options"]},
        "nprocs": args.nprocs,
        "load_average_at_end": list(os.getloadavg()),
        "runs": runs,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
