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

ROOT = Path(__file__).resolve().parents[1]

A_CU = 3.63
SLAB = {"ecut_ev": 400.0, "kpts": [8, 8, 1]}  # the γ test's settings (unrelaxed 4-layer 1x1)
BULK = {"ecut_ev": 400.0, "kpts": [12, 12, 12]}


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "gpaw.json"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import gpaw
    from ase import units
    from ase.build import bulk, fcc111

    from lithiophilic.analysis.pdos import pdos_summary
    from lithiophilic.analysis.surface import surface_energy_ev_per_a2
    from lithiophilic.potentials.dft.gpaw import (
        GpawCalculator,
        _run_mpi,
        gpaw_pdos,
        resolve_gpaw_settings,
    )
    from lithiophilic.structures import surface_area_a2
    from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

    cases: dict[str, dict] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cu = bulk("Cu", "fcc", a=A_CU)
        cu.calc = GpawCalculator(directory=Path(tmp) / "bulk", **BULK)
        e, wall, cpu = _timed(cu.get_potential_energy)
        cases["bulk_cu_scf"] = {
            "settings": BULK,
            "n_atoms": 1,
            "energy_ev": e,
            "wall_s": wall,
            "cpu_s": cpu,
        }

        from ase.eos import EquationOfState

        def _eos():
            calc = GpawCalculator(directory=Path(tmp) / "eos", ecut_ev=450.0, kpts=[8, 8, 8])
            vols, ens = [], []
            for a in (3.55, 3.59, 3.63, 3.67, 3.71):
                c = bulk("Cu", "fcc", a=a)
                c.calc = calc
                ens.append(c.get_potential_energy())
                vols.append(c.get_volume())
            v0, _, b = EquationOfState(vols, ens, eos="birchmurnaghan").fit()
            return (4 * v0) ** (1 / 3), b

        (a0, b0), wall, cpu = _timed(_eos)
        cases["cu_lattice_constant_eos"] = {
            "settings": {"ecut_ev": 450.0, "kpts": [8, 8, 8], "points": 5},
            "a0_a": a0,
            "deviation_from_3.63_percent": (a0 / 3.63 - 1) * 100,
            "bulk_modulus_gpa": b0 / units.GPa,
            "wall_s": wall,
            "cpu_s": cpu,
        }

        slab = fcc111("Cu", (1, 1, 4), a=A_CU, vacuum=10.0)
        slab.calc = GpawCalculator(directory=Path(tmp) / "slab", **SLAB)
        e_slab, wall, cpu = _timed(slab.get_potential_energy)
        ref = fcc111("Cu", (1, 1, 3), a=A_CU, periodic=True)
        ref.calc = GpawCalculator(directory=Path(tmp) / "ref", ecut_ev=400.0, kpts=[8, 8, 6])
        eps = ref.get_potential_energy() / len(ref)
        gamma = surface_energy_ev_per_a2(e_slab, len(slab), eps, surface_area_a2(slab))
        cases["cu111_slab_scf"] = {
            "settings": SLAB,
            "n_atoms": len(slab),
            "energy_ev": e_slab,
            "gamma_unrelaxed_j_per_m2": gamma * EV_PER_A2_TO_J_PER_M2,
            "wall_s": wall,
            "cpu_s": cpu,
        }

        pd_settings = {"ecut_ev": 350.0, "kpts": [10, 10, 10]}
        (_res, arrays), wall, cpu = _timed(
            lambda: gpaw_pdos(
                cu, settings=pd_settings, dos_kpts=[16, 16, 16], directory=Path(tmp) / "pdos"
            )
        )
        summ = pdos_summary(arrays["energies_ev"], arrays["pdos"], ["Cu"])["Cu"]
        cases["cu_pdos"] = {
            "settings": {**pd_settings, "dos_kpts": [16, 16, 16], "width_ev": 0.1},
            "d_band_centre_ev": summ["d_band_centre_ev"],
            "dos_at_fermi_states_per_ev_atom": summ["dos_at_fermi_states_per_ev_atom"],
            "wall_s": wall,
            "cpu_s": cpu,
        }

        mpi = {}
        for n in (1, 2):
            settings = resolve_gpaw_settings({**SLAB, "nprocs": n})
            (r, _), wall, _ = _timed(
                lambda n=n, s=settings: _run_mpi(
                    "static",
                    slab,
                    s,
                    Path(tmp) / f"mpi{n}",
                    {"properties": ["energy", "forces"], "txt": "gpaw.txt"},
                )
            )
            mpi[n] = {"energy_ev": r["energy"], "wall_s": wall}
        cases["cu111_slab_mpi"] = {
            "settings": SLAB,
            "ranks_1": mpi[1],
            "ranks_2": mpi[2],
            "speedup_1_to_2": mpi[1]["wall_s"] / mpi[2]["wall_s"],
            "energy_difference_mev": abs(mpi[1]["energy_ev"] - mpi[2]["energy_ev"]) * 1e3,
            "note": "both through 'mpiexec -n N gpaw python' (launch + import overhead included)",
        }
    result = {
        "benchmark": "gpaw",
        "gpaw_version": gpaw.__version__,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cases": cases,
        "command": "OMP_NUM_THREADS=1 .venv/bin/python bench/bench_gpaw.py",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
