"""The LCAO real-space grid of the default verify (issue 18 item 5): 0.2 Å (GPAW's) vs coarser.

The default verify's GPAW LCAO single points use GPAW's grid spacing, 0.2 Å. A coarser grid
makes every grid operation of LCAO (potential matrix, density) cheaper; the dense-matrix parts
(diagonalisation, density matrix) do not change. This runs, in one run and cell by cell, the
default verify's DFT setting (``verify.FULL_DFT``, 2 MPI ranks, energy only) at 0.2 Å and at
``--spacing`` (GPAW setting ``grid_spacing_a``), and reports per cell the wall time and the
energy, and the two quantities the verify checks: γ of an unrelaxed Cu(111) 1×1 six-plane slab
against fcc Cu, and E_b of Li in the hcp hollow of Cu(111) 3×3, three planes (the Cu E_b cell
of the default verify), against bcc Li. Writes ``bench/results/verify_grid.json``.

    OMP_NUM_THREADS=1 python bench/bench_verify_grid.py --work /tmp/bvg [--spacing 0.25]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_verify_levers as bvl
from _run_info import run_info
from ase.build import bulk, fcc111
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import primitive_gamma_brass
from lithiophilic.studies import verify
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2
from lithiophilic.workflows.base import run_ase_calc

OUT = Path(__file__).parent / "results" / "verify_grid.json"
A_CU = 3.63
A_LI = 3.43


def cells() -> dict:
    clean = bvl._mpi_cell()
    del clean[[a.index for a in clean if a.symbol == "Li"]]
    return {
        "cu_bulk": bulk("Cu", "fcc", a=A_CU),
        "cu111_slab": fcc111("Cu", (1, 1, 6), a=A_CU, vacuum=7.5),
        "li_bcc": bulk("Li", "bcc", a=A_LI),
        "cu111_li": bvl._mpi_cell(),
        "cu111_clean": clean,
        "cu5zn8_bulk": primitive_gamma_brass(),
    }


def one(work: Path, name: str, atoms, spacing: float | None, ranks: int) -> dict:
    run_dir = work / f"{name}-h{spacing or 'default'}"
    run_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(run_dir)
    settings = {**verify.FULL_DFT, "nprocs": ranks}
    if spacing is not None:
        settings["grid_spacing_a"] = spacing
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    doc = run_ase_calc(
        AseAtomsAdaptor.get_structure(atoms),
        calculator=CalculatorSpec("gpaw", settings),
        task="static",
        forces=False,
        reuse=False,
    )
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = (run_dir / "gpaw-mpi" / "step-001.txt").read_text()
    out = {
        "cell": name,
        "n_atoms": len(atoms),
        "grid_spacing_a": spacing if spacing is not None else 0.2,
        "energy_ev": doc.energy_ev,
        "wall_s": round(time.perf_counter() - t, 1),
        "cpu_s_mpi_ranks": round((c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime), 1),
        "n_iterations": log.count("iter:"),
    }
    print(json.dumps(out), flush=True)
    return out


def derived(e: dict, atoms: dict) -> dict:
    """γ (J/m²) of the unrelaxed Cu(111) slab and E_b (eV, > 0 = binding) of Li at hcp."""
    slab = atoms["cu111_slab"]
    area = float(abs(slab.cell[0][0] * slab.cell[1][1] - slab.cell[0][1] * slab.cell[1][0]))
    n = len(slab)
    gamma = (e["cu111_slab"] - n * e["cu_bulk"]) / (2 * area) * EV_PER_A2_TO_J_PER_M2
    eb = -(e["cu111_li"] - e["cu111_clean"] - e["li_bcc"] / len(atoms["li_bcc"]))
    return {"gamma_cu111_unrelaxed_j_per_m2": gamma, "eb_li_hcp_cu111_vs_bcc_ev": eb}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--spacing", type=float, default=0.25)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    atoms = cells()
    rows = [
        one(args.work, n, a, h, args.ranks) for n, a in atoms.items() for h in (None, args.spacing)
    ]
    by = {h: {r["cell"]: r for r in rows if r["grid_spacing_a"] == h} for h in (0.2, args.spacing)}
    energies = {h: {c: r["energy_ev"] for c, r in v.items()} for h, v in by.items()}
    result = {
        "benchmark": "verify LCAO grid spacing: 0.2 A (GPAW default) vs coarser (issue 18 item 5)",
        "command": f"OMP_NUM_THREADS=1 python bench/bench_verify_grid.py --work DIR --spacing {args.spacing}",
        **run_info(),
        "dft_settings": {**verify.FULL_DFT, "nprocs": args.ranks, "forces": False},
        "runs": rows,
        "wall_ratio_coarse_over_default": {
            c: round(by[args.spacing][c]["wall_s"] / by[0.2][c]["wall_s"], 3) for c in atoms
        },
        "energy_per_atom_change_mev": {
            c: 1000 * (energies[args.spacing][c] - energies[0.2][c]) / len(atoms[c]) for c in atoms
        },
        "derived": {str(h): derived(energies[h], atoms) for h in energies},
    }
    d0, d1 = result["derived"]["0.2"], result["derived"][str(args.spacing)]
    result["derived_change"] = {k: d1[k] - d0[k] for k in d0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(
        json.dumps(
            {k: result[k] for k in ("wall_ratio_coarse_over_default", "derived", "derived_change")},
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
