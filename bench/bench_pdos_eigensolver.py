"""The PDOS study's GPAW eigensolver, before/after in one run (issue 21 lever).

Runs ``lithiophilic pdos`` for Cu, Cu5Zn8 and Cu0.64Zn0.36 with ``--eigensolver default``
(GPAW's own: PPCG in GPAW 26.7) and ``--eigensolver dav`` (Davidson, 2 iterations per SCF step,
the study's default), back to back, each in a fresh database, on the quick (``--quick``) or
the paper campaign's full settings, and writes wall time per material, SCF steps, the 5b
numbers (DOS at E_F per element, its Zn/Cu ratio, d-band centre) and their differences to
``bench/results/pdos_eigensolver[_full].json``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_pdos_eigensolver.py [--full]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _run_info import run_info
from bench_pdos import EXE, ROOT, SETTINGS

VARIANTS = ("default", "dav")


def _scf_steps(data_dir: Path) -> dict[str, int]:
    """SCF iterations of each PDOS job's SCF, by cell size (read off its GPAW log)."""
    steps: dict[str, int] = {}
    for log in sorted(data_dir.rglob("gpaw-scf.txt")):
        text = log.read_text()
        n_atoms = len(re.findall(r"^\|\s*\d+ \|\s+[A-Z][a-z]? \|", text, re.MULTILINE))
        steps[f"{n_atoms} atoms"] = text.count("iter:")
    return steps


def run(variant: str, full: bool, nprocs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        jf = Path(tmp) / "pdos.json"
        # the paper campaign's PDOS stage: only 1-atom cells relaxed (pdos.Options.paper)
        quick = ["--quick", "--nprocs", str(nprocs), "--relax-max-atoms", "1"]
        settings = SETTINGS if full else quick
        cmd = [str(EXE), "pdos", *settings, "--eigensolver", variant]
        cmd += ["--data-dir", tmp, "--json", str(jf)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            msg = f"{cmd} failed:\n{proc.stderr[-3000:]}"
            raise SystemExit(msg)
        payload = json.loads(jf.read_text())
        log = proc.stderr + proc.stdout
        finished = {m: float(t) for m, t in re.findall(r"(\S+) finished in (\d+) s", log)}
        materials = {}
        for m, d in payload["materials"].items():
            el = d["elements"]
            dos = {e: v["dos_at_fermi_states_per_ev_atom"] for e, v in el.items()}
            materials[m] = {
                "wall_time_scf_dos_s": round(d["wall_time_s"], 1),
                "wall_time_flow_s": finished.get(m),
                "dos_at_fermi_states_per_ev_atom": dos,
                "zn_over_cu_dos_at_fermi": dos["Zn"] / dos["Cu"] if "Zn" in dos else None,
                "d_band_centre_ev": {e: v["d_band_centre_ev"] for e, v in el.items()},
                "fermi_level_ev": d["fermi_level_ev"],
            }
        return {
            "variant": variant,
            "command": " ".join(cmd[1:]).replace(tmp, "TMP"),
            "wall_s": round(wall, 1),
            "scf_steps": _scf_steps(Path(tmp)),
            "materials": materials,
        }


def compare(before: dict, after: dict) -> dict:
    out = {"wall_ratio_dav_over_default": round(after["wall_s"] / before["wall_s"], 3)}
    for m, b in before["materials"].items():
        a = after["materials"][m]
        out[m] = {
            "wall_ratio": round(a["wall_time_scf_dos_s"] / b["wall_time_scf_dos_s"], 3),
            "dos_at_fermi_max_rel_change": max(
                abs(a["dos_at_fermi_states_per_ev_atom"][e] / v - 1)
                for e, v in b["dos_at_fermi_states_per_ev_atom"].items()
            ),
            "d_band_centre_max_abs_change_ev": max(
                abs(a["d_band_centre_ev"][e] - v) for e, v in b["d_band_centre_ev"].items()
            ),
            "zn_over_cu_change": (
                None
                if b["zn_over_cu_dos_at_fermi"] is None
                else a["zn_over_cu_dos_at_fermi"] - b["zn_over_cu_dos_at_fermi"]
            ),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the paper campaign's full settings")
    ap.add_argument("--nprocs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    runs = {v: run(v, args.full, args.nprocs) for v in VARIANTS}
    name = "pdos_eigensolver_full.json" if args.full else "pdos_eigensolver.json"
    result = {
        "benchmark": "PDOS study: GPAW default eigensolver vs Davidson (2 iterations), one run",
        "command": "bench/bench_pdos_eigensolver.py" + (" --full" if args.full else ""),
        **run_info(),
        "runs": runs,
        "comparison": compare(runs["default"], runs["dav"]),
    }
    out = args.out or ROOT / "bench" / "results" / name
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["comparison"], indent=1))


if __name__ == "__main__":
    main()
