"""Time the GPAW verification (issue 18 item 5) and estimate the default one against ≤ 3 h.

What is *measured*: the quick verification of Cu(111) (``verify.Options.quick``: SevenNet-0
quick surface and Li-site studies first, then GPAW single points), its rerun (everything
reused from the database) and each DFT calculation's wall time, atoms, k-points, electrons
and cell volume.

What is *estimated* (not run: days of GPAW on this 2-core machine would be needed to time
it): the default verification (``verify.Options()``: GPAW ``fast`` preset, 350 eV, 3.5
k-points per Å⁻¹; γ of the lowest slab of each material and facet, E_b of 3 adsorbed + 1
incorporated site per material on slabs reduced to 4.5 Å), from the sizes of its DFT
calculations and a plane-wave cost model t = c · N_k · N_e² · V · (E_cut/300 eV)^1.5
calibrated on the measured quick calculations (c: median over them). The sizes come from
slabs cut from the catalogue bulks with the campaign's slab settings (γ-brass: its first
termination; α-brass: an fcc slab of the SQS's size, 5×5 lateral, 6 planes, as the full
campaign's 151-atom Li cells). Both the load average (``uptime``) and the settings are in the
JSON; the machine was shared with other jobs.

    OMP_NUM_THREADS=1 python bench/bench_verify.py [--out bench/results/verify.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

#: Valence electrons of the GPAW PAW setups used (PBE).
VALENCE = {"Cu": 11, "Zn": 12, "Li": 1}
TARGET_S = 3 * 3600.0


def _electrons(symbols: list[str]) -> int:
    return sum(VALENCE[s] for s in symbols)


def _cost(atoms, kpt_density_a: float, ecut_ev: float) -> float:
    from lithiophilic.potentials.dft.common import kpts_from_density

    nk = math.prod(kpts_from_density(atoms, kpt_density_a))
    ne = _electrons(atoms.get_chemical_symbols())
    return nk * ne**2 * atoms.get_volume() * (ecut_ev / 300.0) ** 1.5


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def measure(data: Path) -> dict:
    """Run the quick MLIP studies and the quick verification twice; return the timings."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.db import get_store
    from lithiophilic.studies import li_sites, surface, verify

    t0 = time.perf_counter()
    surface.run(surface.Options.quick(materials=["Cu"], millers=[[1, 1, 1]]), data_dir=data)
    li_sites.run(li_sites.Options.quick(materials=["Cu"], millers=[[1, 1, 1]]), data_dir=data)
    t_mlip = time.perf_counter() - t0
    options = verify.Options.quick(materials=["Cu"])
    t0 = time.perf_counter()
    first = verify.run(options, data_dir=data)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = verify.run(options, data_dir=data)
    t_again = time.perf_counter() - t0
    store = get_store(data_dir=data)
    store.connect()
    calcs = []
    s = options.dft_spec().kwargs
    for doc in store.query(
        {"output.doc_type": "ase_calc", "output.calculator_name": "gpaw"},
        properties=[
            "output.structure",
            "output.wall_time_s",
            "output.label",
            "output.reused_from_uuid",
        ],
    ):
        out = doc["output"]
        if out.get("reused_from_uuid"):
            continue
        from pymatgen.core import Structure

        atoms = AseAtomsAdaptor.get_atoms(Structure.from_dict(out["structure"]))
        calcs.append(
            {
                "label": out["label"],
                "n_atoms": len(atoms),
                "n_electrons": _electrons(atoms.get_chemical_symbols()),
                "volume_a3": round(atoms.get_volume(), 1),
                "wall_s": round(out["wall_time_s"], 1),
                "cost_units": float(_cost(atoms, s["kpt_density_a"], s["ecut_ev"])),
            }
        )
    return {
        "mlip_quick_studies_wall_s": round(t_mlip, 1),
        "verify_quick_first_wall_s": round(t_first, 1),
        "verify_quick_rerun_wall_s": round(t_again, 1),
        "rerun_all_reused": all(all(d["reused"].values()) for d in [*again.gamma, *again.binding]),
        "failed": first.failed,
        "table": verify.table_rows(again),
        "dft_calculations": calcs,
        "dft_settings": s,
    }


def default_plan() -> list[dict]:
    """Return the DFT single points of the default verification (sizes, not run)."""
    from ase.build import bulk as fcc_bulk
    from ase.build import fcc100, fcc111
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic import defaults
    from lithiophilic.structures import make_bulk, make_slabs
    from lithiophilic.structures.sites import lateral_supercell_for_spacing
    from lithiophilic.workflows.verify import reduce_slab

    def adapt(atoms):
        return AseAtomsAdaptor.get_atoms(reduce_slab(AseAtomsAdaptor.get_structure(atoms), 4.5))

    plan: list[tuple[str, object]] = []
    vac = defaults.VACUUM_A / 2
    cu111 = fcc111("Cu", (1, 1, defaults.N_LAYERS), a=3.63, vacuum=vac)
    plan += [
        ("γ Cu(111) slab", cu111),
        ("γ Cu(100) slab", fcc100("Cu", (1, 1, defaults.N_LAYERS), a=3.63, vacuum=vac)),
    ]
    plan += [("Cu bulk", make_bulk("Cu"))]
    gb = make_bulk("Cu5Zn8")
    for m in ((1, 1, 1), (1, 0, 0)):
        slab = make_slabs(
            gb, m, min_thickness_a=defaults.MIN_THICKNESS_A, vacuum_a=defaults.VACUUM_A
        )[0]
        plan.append((f"γ Cu5Zn8{m} slab", slab))
        if m == (1, 1, 1):
            n1, n2 = lateral_supercell_for_spacing(slab)
            sup = slab.repeat((n1, n2, 1))
            # the clean supercell once (cached), slab+Li per site: 3 adsorbed + 1 incorporated
            plan.append(("E_b Cu5Zn8 clean (once per slab)", adapt(sup)))
            plan += [(f"E_b Cu5Zn8 site {k} +Li", adapt(sup)) for k in range(4)]
    plan += [("Cu5Zn8 bulk (52-atom cubic cell)", gb)]
    alpha = {
        m: fcc111("Cu", (5, 5, 6), a=3.69, vacuum=vac)
        if m == (1, 1, 1)
        else fcc100("Cu", (5, 5, 4), a=3.69, vacuum=vac)
        for m in ((1, 1, 1), (1, 0, 0))
    }
    for m, slab in alpha.items():
        slab.symbols[: int(0.36 * len(slab))] = "Zn"
        plan.append((f"γ Cu0.64Zn0.36{m} SQS slab", slab))
    sqs_like = fcc_bulk("Cu", "fcc", a=3.69, cubic=True).repeat(
        (2, 2, 3)
    )  # 48 atoms ≈ the 50-atom SQS
    sqs_like.symbols[:17] = "Zn"
    plan += [("Cu0.64Zn0.36 SQS bulk (~50 atoms)", sqs_like)]
    for name, slab in (
        ("Cu", fcc111("Cu", (3, 3, 6), a=3.63, vacuum=vac)),
        ("Cu0.64Zn0.36", alpha[(1, 1, 1)]),
    ):
        plan.append((f"E_b {name} clean (once per slab)", adapt(slab)))
        n_sites = 3 if name == "Cu" else 4  # Cu: no incorporated site in the MLIP results
        plan += [(f"E_b {name} site {k} +Li", adapt(slab)) for k in range(n_sites)]
    plan += [("Li bcc relax (~5 steps, counted as 5 single points)", make_bulk("Li"))]
    out = []
    for label, atoms in plan:
        weight = 5 if "relax" in label else 1
        out.append(
            {
                "label": label,
                "n_atoms": len(atoms) + (1 if label.endswith("+Li") else 0),
                "n_electrons": _electrons(atoms.get_chemical_symbols())
                + (1 if label.endswith("+Li") else 0),
                "cost_units": float(weight * _cost(atoms, 3.5, 350.0)),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("bench/results/verify.json"))
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    up_before = _uptime()
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-verify-"))
    measured = measure(data)
    comp = [c for c in measured["dft_calculations"] if c["wall_s"] > 0]
    c = statistics.median(c["wall_s"] / c["cost_units"] for c in comp)
    plan = default_plan()
    for p in plan:
        p["estimated_wall_s"] = round(c * p["cost_units"], 1)
    total = sum(p["estimated_wall_s"] for p in plan)
    result = {
        "benchmark": "verify (GPAW check of the MLIP verdicts, issue 18 item 5)",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "uptime_before": up_before,
        "uptime_after": _uptime(),
        "measured_quick": measured,
        "cost_model": "t = c * N_k * N_e^2 * V_A3 * (ecut/300 eV)^1.5, c = median over the measured quick DFT single points",
        "c_s_per_unit": c,
        "default_estimate": {
            "how": "estimated from the model, not run; sizes of slabs cut from the catalogue bulks (see docstring)",
            "calculations": plan,
            "total_wall_s": round(total, 0),
            "target_wall_s": TARGET_S,
            "fits_target": total <= TARGET_S,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str))
    print(
        json.dumps(
            {k: result[k] for k in ("uptime_before", "uptime_after", "c_s_per_unit")}, indent=1
        )
    )
    print(
        "quick first/rerun s:",
        measured["verify_quick_first_wall_s"],
        measured["verify_quick_rerun_wall_s"],
    )
    print("default estimate s:", round(total), "target", TARGET_S)


if __name__ == "__main__":
    main()
