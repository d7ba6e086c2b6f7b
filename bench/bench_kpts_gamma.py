"""Γ-centred vs off-Γ (Monkhorst-Pack) sampling of one axis: accuracy and irreducible k-points.

The verify's oriented α-brass bulk references are sampled off Γ along their stacking axis
(GPAW setting ``kpts_gamma``, :meth:`lithiophilic.workflows.verify.VerifyMaker.reference_spec`).
This measures what that changes on a small cell of the same kind: Cu, 3 (111) planes stacked
along c (6.3 Å), one atom displaced so the cell has no symmetry, GPAW LCAO (preset ``lcao-dzp``).
Energy per atom of a 2-point mesh along c, Γ-centred ({0, 1/2}) and off Γ (±1/4), against 12
points along c (same 4x4 in-plane mesh), and against a dense 8x8x6 mesh.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_kpts_gamma.py     # ~1 h on one core

Writes ``bench/results/verify_kpts_gamma.json``.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "verify_kpts_gamma.json"

MESHES = {
    "gamma_4x4x2": {"kpts": [4, 4, 2]},
    "off_gamma_z_4x4x2": {"kpts": [4, 4, 2], "kpts_gamma": [True, True, False]},
    "z_converged_4x4x12": {"kpts": [4, 4, 12]},
    "dense_8x8x6": {"kpts": [8, 8, 6]},
}


def cell():
    """Cu, 3 (111) planes along c, one atom displaced (no symmetry)."""
    from ase.build import fcc111

    atoms = fcc111("Cu", (1, 1, 3), a=3.63, periodic=True)
    atoms.positions[0] += [0.05, 0.02, 0.03]
    return atoms


def run(name: str, settings: dict, workdir: Path) -> dict:
    from lithiophilic.potentials import CalculatorSpec, get_calculator

    atoms = cell()
    calc = get_calculator(CalculatorSpec("gpaw", {"preset": "lcao-dzp", "nprocs": 1, **settings}))
    calc.directory = str(workdir / name)
    atoms.calc = calc
    t0 = time.perf_counter()
    e = atoms.get_potential_energy() / len(atoms)
    log = next((workdir / name).rglob("*.txt")).read_text()
    n_ibz = int(re.search(r"Number of IBZ points: (\d+)", log).group(1))
    return {
        "settings": settings,
        "energy_per_atom_ev": e,
        "n_ibz_kpts": n_ibz,
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, settings in MESHES.items():
            rows[name] = run(name, settings, Path(tmp))
            print(name, rows[name], flush=True)
    ref_z = rows["z_converged_4x4x12"]["energy_per_atom_ev"]
    ref = rows["dense_8x8x6"]["energy_per_atom_ev"]
    for r in rows.values():
        r["error_vs_12_points_along_c_mev_per_atom"] = round(
            1000 * (r["energy_per_atom_ev"] - ref_z), 2
        )
        r["error_vs_dense_mev_per_atom"] = round(1000 * (r["energy_per_atom_ev"] - ref), 2)
    doc = {
        "benchmark": "verify_kpts_gamma",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python bench/bench_kpts_gamma.py",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "system": "Cu, 3 (111) planes along c (c = 6.29 Å, a = 2.57 Å), one atom displaced by "
        "(0.05, 0.02, 0.03) Å: no symmetry; GPAW LCAO dzp, 0.1 eV smearing, one rank",
        "rows": rows,
    }
    OUT.write_text(json.dumps(doc, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
