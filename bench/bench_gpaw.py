"""Benchmark GPAW: bulk Cu, the Cu(111) γ slab, a Cu PDOS, and the 1 → 2 MPI-rank speed-up.

Every case runs in this process (serial, ``nprocs=1``) except the MPI comparison, which runs
the same Cu(111) slab SCF through the backend's launcher with 1 and 2 ranks back to back
(``mpiexec -n N gpaw python``), so the ratio is measured within one run.  Writes
``bench/results/gpaw.json``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_gpaw.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ase import Atoms

ROOT = Path(__file__).resolve().parents[1]

A_CU = 3.63
SLAB = {"ecut_ev": 400.0, "kpts": [8, 8, 1]}  # the γ test's settings (unrelaxed 4-layer 1x1)
BULK = {"ecut_ev": 400.0, "kpts": [12, 12, 12]}


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - t0, time.process_time() - c0


def parse_args() -> argparse.Namespace:
    """Parse the command line (``--out``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "gpaw.json"))
    return parser.parse_args()


def bulk_scf_case(cu: Atoms, tmp: Path) -> dict:
    """SCF of bulk fcc Cu (one atom) with :data:`BULK` settings; attaches the calculator."""
    from lithiophilic.potentials.dft.gpaw import GpawCalculator

    cu.calc = GpawCalculator(directory=tmp / "bulk", **BULK)
    e, wall, cpu = _timed(cu.get_potential_energy)
    return {"settings": BULK, "n_atoms": 1, "energy_ev": e, "wall_s": wall, "cpu_s": cpu}


def eos_case(tmp: Path) -> dict:
    """Cu lattice constant and bulk modulus from a 5-point Birch-Murnaghan fit."""
    from ase import units
    from ase.build import bulk
    from ase.eos import EquationOfState

    from lithiophilic.potentials.dft.gpaw import GpawCalculator

    def _eos():
        calc = GpawCalculator(directory=tmp / "eos", ecut_ev=450.0, kpts=[8, 8, 8])
        vols, ens = [], []
        for a in (3.55, 3.59, 3.63, 3.67, 3.71):
            c = bulk("Cu", "fcc", a=a)
            c.calc = calc
            ens.append(c.get_potential_energy())
            vols.append(c.get_volume())
        v0, _, b = EquationOfState(vols, ens, eos="birchmurnaghan").fit()
        return (4 * v0) ** (1 / 3), b

    (a0, b0), wall, cpu = _timed(_eos)
    return {
        "settings": {"ecut_ev": 450.0, "kpts": [8, 8, 8], "points": 5},
        "a0_a": a0,
        "deviation_from_3.63_percent": (a0 / 3.63 - 1) * 100,
        "bulk_modulus_gpa": b0 / units.GPa,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def slab_case(tmp: Path) -> tuple[Atoms, dict]:
    """SCF of the unrelaxed 4-layer Cu(111) slab and its γ; returns the slab and the case."""
    from ase.build import fcc111

    from lithiophilic.analysis.surface import surface_energy_ev_per_a2
    from lithiophilic.potentials.dft.gpaw import GpawCalculator
    from lithiophilic.structures import surface_area_a2
    from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

    slab = fcc111("Cu", (1, 1, 4), a=A_CU, vacuum=10.0)
    slab.calc = GpawCalculator(directory=tmp / "slab", **SLAB)
    e_slab, wall, cpu = _timed(slab.get_potential_energy)
    ref = fcc111("Cu", (1, 1, 3), a=A_CU, periodic=True)
    ref.calc = GpawCalculator(directory=tmp / "ref", ecut_ev=400.0, kpts=[8, 8, 6])
    eps = ref.get_potential_energy() / len(ref)
    gamma = surface_energy_ev_per_a2(e_slab, len(slab), eps, surface_area_a2(slab))
    return slab, {
        "settings": SLAB,
        "n_atoms": len(slab),
        "energy_ev": e_slab,
        "gamma_unrelaxed_j_per_m2": gamma * EV_PER_A2_TO_J_PER_M2,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def pdos_case(cu: Atoms, tmp: Path) -> dict:
    """Cu PDOS: d-band centre and DOS at the Fermi level."""
    from lithiophilic.analysis.pdos import pdos_summary
    from lithiophilic.potentials.dft.gpaw import gpaw_pdos

    pd_settings = {"ecut_ev": 350.0, "kpts": [10, 10, 10]}
    (_res, arrays), wall, cpu = _timed(
        lambda: gpaw_pdos(cu, settings=pd_settings, dos_kpts=[16, 16, 16], directory=tmp / "pdos")
    )
    summ = pdos_summary(arrays["energies_ev"], arrays["pdos"], ["Cu"])["Cu"]
    return {
        "settings": {**pd_settings, "dos_kpts": [16, 16, 16], "width_ev": 0.1},
        "d_band_centre_ev": summ["d_band_centre_ev"],
        "dos_at_fermi_states_per_ev_atom": summ["dos_at_fermi_states_per_ev_atom"],
        "wall_s": wall,
        "cpu_s": cpu,
    }


def mpi_case(slab: Atoms, tmp: Path) -> dict:
    """The slab SCF through ``mpiexec -n N gpaw python`` with 1 and 2 ranks back to back."""
    from lithiophilic.potentials.dft.gpaw import resolve_gpaw_settings, run_mpi

    mpi = {}
    for n in (1, 2):
        settings = resolve_gpaw_settings({**SLAB, "nprocs": n})
        (r, _), wall, _ = _timed(
            lambda n=n, s=settings: run_mpi(
                "static",
                slab,
                s,
                tmp / f"mpi{n}",
                {"properties": ["energy", "forces"], "txt": "gpaw.txt"},
            )
        )
        mpi[n] = {"energy_ev": r["energy"], "wall_s": wall}
    return {
        "settings": SLAB,
        "ranks_1": mpi[1],
        "ranks_2": mpi[2],
        "speedup_1_to_2": mpi[1]["wall_s"] / mpi[2]["wall_s"],
        "energy_difference_mev": abs(mpi[1]["energy_ev"] - mpi[2]["energy_ev"]) * 1e3,
        "note": "both through 'mpiexec -n N gpaw python' (launch + import overhead included)",
    }


def run_cases() -> dict[str, dict]:
    """Run every case in a temporary directory, in the order of the result document."""
    from ase.build import bulk

    cases: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cu = bulk("Cu", "fcc", a=A_CU)
        cases["bulk_cu_scf"] = bulk_scf_case(cu, Path(tmp))
        cases["cu_lattice_constant_eos"] = eos_case(Path(tmp))
        slab, cases["cu111_slab_scf"] = slab_case(Path(tmp))
        cases["cu_pdos"] = pdos_case(cu, Path(tmp))
        cases["cu111_slab_mpi"] = mpi_case(slab, Path(tmp))
    return cases


def result_document(
    cases: dict[str, dict], load_before: tuple[float, float, float], gpaw_version: str
) -> dict:
    """The JSON document written to ``--out``."""
    return {
        "benchmark": "gpaw",
        "gpaw_version": gpaw_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cases": cases,
        "command": "OMP_NUM_THREADS=1 .venv/bin/python bench/bench_gpaw.py",
    }


def main() -> None:
    args = parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import gpaw  # after OMP_NUM_THREADS is set

    load_before = os.getloadavg()
    cases = run_cases()
    result = result_document(cases, load_before, gpaw.__version__)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
