"""Run the Fig. 5b PDOS workflow for Cu, Cu5Zn8 and Cu0.64Zn0.36 and record its numbers.

Runs ``lithiophilic pdos`` once (all three materials, one after the other, in a fresh
database) with settings that finish on a shared 2-core machine, and writes the wall time
per material and the DOS-at-E_F / d-band-centre table per element to
``bench/results/pdos.json``.  ``--from-json FILE --log FILE`` only post-processes an
earlier run of the same command.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_pdos.py
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

from lithiophilic.studies.pdos import Options

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "lithiophilic"
# the full paper campaign's Fig. 5b settings (one definition: pdos.Options.paper())
_PAPER = Options.paper()
SETTINGS = [
    *("--nprocs", "2", "--ecut", f"{_PAPER.ecut_ev:g}", "--kpt-density"),
    *(f"{_PAPER.kpt_density_a:g}", "--dos-kpt-density", f"{_PAPER.dos_kpt_density_a:g}"),
    *("--width", f"{_PAPER.width_ev:g}", "--relax-max-atoms", str(_PAPER.relax_max_atoms)),
]


def summarise(payload: dict, log_text: str, wall_s: float | None) -> dict:
    finished = {m: float(t) for m, t in re.findall(r"(\S+) finished in (\d+) s", log_text)}
    materials = {}
    for m, d in payload["materials"].items():
        materials[m] = {
            "cell": f"{d['formula']} ({d['n_atoms']} atoms, {d['counts']})",
            "structure_note": d["structure_note"],
            "lattice_source": d["lattice_source"],
            "scf_kpts": d["scf_kpts"],
            "dos_kpts": d["dos_kpts"],
            "fermi_level_ev": d["fermi_level_ev"],
            "wall_time_scf_dos_s": d["wall_time_s"],
            "wall_time_flow_s": finished.get(m),
            "nprocs": d["nprocs"],
            "elements": {
                el: {
                    "dos_at_fermi_states_per_ev_atom": e["dos_at_fermi_states_per_ev_atom"],
                    "dos_at_fermi_by_l_states_per_ev_atom": e[
                        "dos_at_fermi_by_l_states_per_ev_atom"
                    ],
                    "d_band_centre_ev": e["d_band_centre_ev"],
                    "d_band_width_ev": e["d_band_width_ev"],
                    "n_atoms": e["n_atoms"],
                }
                for el, e in d["elements"].items()
            },
        }
    any_doc = next(iter(payload["materials"].values()), {})
    return {
        "benchmark": "pdos (Fig. 5b)",
        "command": f"lithiophilic pdos {' '.join(SETTINGS)}",
        "calculator_settings": any_doc.get("calculator_settings"),
        "width_ev": any_doc.get("width_ev"),
        "definition": payload["definition"],
        "total_wall_s": wall_s if wall_s is not None else sum(v for v in finished.values()),
        "materials": materials,
        "failed": payload.get("failed", {}),
        "machine": {"cpus": os.cpu_count(), "note": "shared 2-core machine; timings are noisy"},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "pdos.json"))
    parser.add_argument("--from-json", default=None)
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    if args.from_json:
        payload = json.loads(Path(args.from_json).read_text())
        log_text = Path(args.log).read_text() if args.log else ""
        result = summarise(payload, log_text, None)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            jf = Path(tmp) / "pdos.json"
            cmd = [str(EXE), "pdos", *SETTINGS, "--data-dir", tmp, "--json", str(jf)]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - t0
            result = summarise(json.loads(jf.read_text()), proc.stderr + proc.stdout, wall)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
