"""Time the GPAW verification (issue 18 item 5) and estimate the default one against ≤ 3 h.

Parts (``--part``; each writes its JSON into ``--work``, ``estimate`` assembles
``bench/results/verify.json``):

``quick``        the quick verification of Cu(111) with plane waves (``verify.Options.quick``:
                 SevenNet-0 quick surface and Li-site studies first, then GPAW single points),
                 its rerun (everything reused) and each DFT calculation's wall time and size.
``pw-vs-lcao``   the default's DFT setting (GPAW LCAO, preset ``lcao-dzp``) against plane waves
                 (preset ``fast``, 350 eV) on one small case of each quantity: E_b of Li on
                 the hcp site of Cu(111) 2×2×3 (vs bcc Li) and γ of the unrelaxed Cu(111) 1×1×6
                 slab; energies, wall and CPU time, SCF iterations.
``probe``        CPU time per LCAO SCF iteration (and set-up) on the largest structure of the
                 default verify, an α-brass (111) slab of the full campaign's size (5×5×6 =
                 150 atoms, 36 % Zn), a few iterations only.
``estimate``     the default verify (``verify.Options()``: LCAO single points; γ of the
                 lowest-γ slab of each material and facet, one SQS sample; E_b of the top-1
                 adsorbed and the strongest incorporated site per material on slabs reduced to
                 4.5 Å) from the sizes of its DFT calculations and an LCAO cost model
                 calibrated on ``pw-vs-lcao`` and ``probe``: CPU s = set-up + n_iter · c ·
                 N_k · N_orb^p, p from the small and the large calibration.

CPU time is the budget's measure: the machine is shared (load 10-26 while this ran), so wall
time measures the other users; a dedicated 2-core machine gives wall ≈ CPU / (ranks used).

    OMP_NUM_THREADS=1 python bench/bench_verify.py --part pw-vs-lcao --work /tmp/bv
    OMP_NUM_THREADS=1 python bench/bench_verify.py --part probe --work /tmp/bv
    python bench/bench_verify.py --part estimate --work /tmp/bv
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

import numpy as np

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


# --------------------------------------------------------------------------- LCAO vs PW
PRESETS = {"pw": {"preset": "fast"}, "lcao-dzp": {"preset": "lcao-dzp"}}


def _gpaw_energy(atoms, tag: str, settings: dict, work: Path, out: dict) -> float:
    """Single point with the project's GPAW calculator; record energy, wall, CPU, k, iterations."""
    from lithiophilic.potentials import CalculatorSpec, get_calculator

    calc = get_calculator(CalculatorSpec("gpaw", {**settings, "txt": f"{tag}.txt"}))
    calc.directory = str(work / tag)
    atoms.calc = calc
    t, c = time.perf_counter(), time.process_time()
    energy = float(atoms.get_potential_energy())
    out[tag] = {
        "energy_ev": energy,
        "wall_s": time.perf_counter() - t,
        "cpu_s": time.process_time() - c,
        "n_atoms": len(atoms),
        "n_ibz_kpts": len(calc._gpaw.get_ibz_k_points()),
        "n_iterations": (work / tag / f"{tag}.txt").read_text().count("|iter:"),
    }
    print(tag, out[tag], flush=True)
    return energy


def pw_vs_lcao(work: Path, mode: str) -> None:
    """E_b of Li@hcp on Cu(111) 2x2x3 and γ of unrelaxed Cu(111) 1x1x6 with one DFT setting."""
    from ase.build import add_adsorbate, bulk, fcc111

    from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

    settings = PRESETS[mode]
    slab = fcc111("Cu", (2, 2, 3), a=3.63, vacuum=7.5)
    with_li = slab.copy()
    add_adsorbate(with_li, "Li", 2.0, "hcp")
    eb: dict = {}
    e_li = _gpaw_energy(with_li, "with_li", settings, work / mode, eb)
    e_clean = _gpaw_energy(slab, "clean", settings, work / mode, eb)
    e_bcc = _gpaw_energy(bulk("Li", "bcc", a=3.43), "li_bcc", settings, work / mode, eb)
    eb["eb_ev"] = -(e_li - e_clean - e_bcc)
    (work / f"t1_{mode}.json").write_text(json.dumps(eb, indent=1))
    g: dict = {}
    g_slab = fcc111("Cu", (1, 1, 6), a=3.63, vacuum=7.5)
    e_s = _gpaw_energy(g_slab, f"gamma_{mode}_slab", settings, work / mode, g)
    e_b = _gpaw_energy(bulk("Cu", "fcc", a=3.63), f"gamma_{mode}_bulk", settings, work / mode, g)
    area = float(np.linalg.norm(np.cross(g_slab.cell[0], g_slab.cell[1])))
    g["gamma_unrelaxed_j_per_m2"] = (e_s - 6 * e_b) / (2 * area) * EV_PER_A2_TO_J_PER_M2
    name = "lcao" if mode == "lcao-dzp" else "pw"
    (work / f"t2_gamma_{name}.json").write_text(json.dumps(g, indent=1))


def probe_cell(kind: str = "alpha111"):
    """Return the probe's α-brass slab (36 % Zn, random, rattled; the same atoms every call)."""
    from ase.build import fcc100, fcc111

    rng = np.random.default_rng(0)
    size = {
        "alpha111": (fcc111, (5, 5, 6)),  # the γ slab (150 atoms)
        "alpha100": (fcc100, (5, 5, 4)),
        "alpha111_red": (fcc111, (5, 5, 3)),  # the reduced E_b slab (75 atoms)
    }[kind]
    atoms = size[0]("Cu", size[1], a=3.69, vacuum=7.5)
    atoms.symbols[rng.choice(len(atoms), round(0.36 * len(atoms)), replace=False)] = "Zn"
    atoms.rattle(0.02, seed=1)
    return atoms


def probe(work: Path, kind: str = "alpha111", n_iter: int = 3) -> dict:
    """CPU time of the LCAO set-up and of each SCF iteration on a full-size α-brass slab."""
    import threading

    from lithiophilic.potentials.dft.gpaw import _new_gpaw, _prepare, resolve_gpaw_settings

    atoms = probe_cell(kind)
    settings = resolve_gpaw_settings({"preset": "lcao-dzp", "maxiter": n_iter})
    calc_atoms, prep = _prepare(atoms, settings)
    d = work / f"probe_{kind}"
    d.mkdir(parents=True, exist_ok=True)
    txt = d / "gpaw.txt"
    txt.unlink(missing_ok=True)
    stamps: list = []
    done = threading.Event()

    def watch() -> None:  # stamp the process CPU time when GPAW logs a new SCF iteration
        seen = 0
        while not done.is_set():
            n = txt.read_text().count("|iter:") if txt.exists() else 0
            if n > seen:
                stamps.append((n, time.process_time(), time.perf_counter()))
                seen = n
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    c0, w0 = time.process_time(), time.perf_counter()
    gpaw = _new_gpaw(prep["kwargs"], txt)
    calc_atoms.calc = gpaw
    try:
        calc_atoms.get_potential_energy()
    except Exception as exc:  # maxiter reached: the SCF is cut on purpose
        print("stopped:", type(exc).__name__)
    done.set()
    out = {
        "kind": kind,
        "n_atoms": len(atoms),
        "kpts": prep["summary"]["kpts"],
        "n_ibz_kpts": len(gpaw.get_ibz_k_points()),
        "cpu_total_s": time.process_time() - c0,
        "wall_total_s": time.perf_counter() - w0,
        "stamps": [(n, c - c0, w - w0) for n, c, w in stamps],
    }
    (d / "probe.json").write_text(json.dumps(out, indent=1))
    return out


# --------------------------------------------------------------------------- LCAO estimate
#: dzp basis functions per atom (GPAW's dzp basis files, as GPAW prints them: Cu 15, Zn 21, Li 5).
DZP_ORBITALS = {"Cu": 15, "Zn": 21, "Li": 5}


def _ibz(atoms, kpt_density_a: float = 3.5) -> int:
    """Irreducible k-points of a cell without symmetry but time reversal (upper bound)."""
    from lithiophilic.potentials.dft.common import kpts_from_density

    mesh = kpts_from_density(atoms, kpt_density_a)
    n = math.prod(mesh)
    # Γ-centred mesh: the points with 2k = 0 (one per odd, two per even axis) are their own
    # time-reversal partners; the others pair up
    n_self = math.prod(2 if m % 2 == 0 else 1 for m in mesh)
    return (n + n_self) // 2


def lcao_plan() -> list[dict]:
    """Return the DFT single points of the default verify (sizes of the catalogue's slabs)."""
    out = []
    for label, atoms in lcao_plan_cells():
        out.append(
            {
                "label": label,
                "n_atoms": len(atoms),
                "n_orbitals": sum(DZP_ORBITALS[x] for x in atoms.get_chemical_symbols()),
                "n_ibz_kpts_max": _ibz(atoms),
            }
        )
    return out


def lcao_plan_cells() -> list[tuple[str, object]]:
    """Return (label, Atoms) of the default verify's DFT single points (catalogue sizes)."""
    from ase.build import bulk as ase_bulk
    from ase.build import fcc100, fcc111
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic import defaults
    from lithiophilic.structures import make_bulk, make_slabs
    from lithiophilic.structures.sites import lateral_supercell_for_spacing
    from lithiophilic.workflows.verify import standard_cell

    vac = defaults.VACUUM_A / 2

    def reduced(atoms, depth_a: float = 4.5):
        z = atoms.positions[:, 2]
        return atoms[z >= z.max() - depth_a]

    def li(atoms):
        out = atoms.copy()
        out.append("Li")
        return out

    plan = [
        ("γ Cu(111) slab", fcc111("Cu", (1, 1, defaults.N_LAYERS), a=3.63, vacuum=vac)),
        ("γ Cu(100) slab", fcc100("Cu", (1, 1, defaults.N_LAYERS), a=3.63, vacuum=vac)),
        ("Cu bulk (also the Cu-rich μ_Cu of γ-brass)", make_bulk("Cu")),
    ]
    gb = make_bulk("Cu5Zn8")
    for m in ((1, 1, 1), (1, 0, 0)):
        slab = make_slabs(
            gb, m, min_thickness_a=defaults.MIN_THICKNESS_A, vacuum_a=defaults.VACUUM_A
        )[0]
        plan.append((f"γ Cu5Zn8{m} slab", slab))
        if m == (1, 1, 1):
            sup = reduced(slab.repeat((*lateral_supercell_for_spacing(slab), 1)))
            plan += [
                ("E_b Cu5Zn8(111) clean reduced (once)", sup),
                ("E_b Cu5Zn8(111) top-1 adsorbed +Li", li(sup)),
                ("E_b Cu5Zn8(111) strongest incorporated +Li", li(sup)),
            ]
    # the verify computes bulk references in the standard primitive cell (26 atoms for I-43m)
    prim = AseAtomsAdaptor.get_atoms(standard_cell(AseAtomsAdaptor.get_structure(gb)))
    plan.append((f"Cu5Zn8 bulk ({len(prim)}-atom primitive cell)", prim))
    rng = np.random.default_rng(0)

    def alloy(atoms):
        atoms.symbols[rng.choice(len(atoms), round(0.36 * len(atoms)), replace=False)] = "Zn"
        return atoms

    a111 = alloy(fcc111("Cu", (5, 5, 6), a=3.69, vacuum=vac))
    plan += [
        ("γ Cu0.64Zn0.36(111) SQS slab (150 atoms)", a111),
        (
            "γ Cu0.64Zn0.36(100) SQS slab (100 atoms)",
            alloy(fcc100("Cu", (5, 5, 4), a=3.69, vacuum=vac)),
        ),
        (
            "Cu0.64Zn0.36 SQS bulk (50 atoms)",
            alloy(ase_bulk("Cu", "fcc", a=3.69).repeat((5, 5, 2))),
        ),
        ("Zn bulk (μ_Zn edge, if a slab is Zn-rich)", make_bulk("Zn")),
    ]
    cu_red = reduced(fcc111("Cu", (3, 3, defaults.N_LAYERS), a=3.63, vacuum=vac))
    plan += [
        ("E_b Cu(111) clean reduced", cu_red),
        ("E_b Cu(111) top-1 adsorbed +Li", li(cu_red)),
    ]
    a_red = reduced(a111)
    plan += [
        ("E_b Cu0.64Zn0.36(111) clean reduced", a_red),
        ("E_b Cu0.64Zn0.36(111) top-1 adsorbed +Li", li(a_red)),
        ("E_b Cu0.64Zn0.36(111) strongest incorporated +Li", li(a_red)),
        ("Li bcc (DFT single point on the MLIP cell)", make_bulk("Li")),
    ]
    return plan


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def calibrate(work: Path) -> dict:
    """Return the LCAO cost model from the measured runs (``pw-vs-lcao`` and ``probe``)."""
    eb = _load(work / "t1_lcao-dzp.json")
    probes = (_load(work / f"probe_{k}" / "probe.json") for k in ("alpha111", "alpha111_red"))
    pr = next(x for x in probes if x is not None and x["stamps"])
    small = eb["with_li"]
    n_orb_small = 12 * DZP_ORBITALS["Cu"] + DZP_ORBITALS["Li"]
    per_iter_small = small["cpu_s"] / small["n_iterations"]
    stamps = pr["stamps"]
    setup_big = stamps[0][1]  # CPU s until the first iteration was logged
    # the SCF was cut at maxiter: the last iteration ends with the run (cpu_total_s)
    n_run = (work / f"probe_{pr['kind']}" / "gpaw.txt").read_text().count("|iter:")
    per_iter_big = (pr["cpu_total_s"] - stamps[0][1]) / (n_run - stamps[0][0])
    n_zn = round(0.36 * pr["n_atoms"])  # the probe's α-brass: 36 % Zn
    n_orb_big = n_zn * DZP_ORBITALS["Zn"] + (pr["n_atoms"] - n_zn) * DZP_ORBITALS["Cu"]
    # per iteration = c * N_k * N_orb^p through both points
    x = per_iter_big / pr["n_ibz_kpts"] / (per_iter_small / small["n_ibz_kpts"])
    p = math.log(x) / math.log(n_orb_big / n_orb_small)
    c = per_iter_small / small["n_ibz_kpts"] / n_orb_small**p
    iters = [
        v["n_iterations"]
        for f in ("t1_lcao-dzp.json", "t2_gamma_lcao.json")
        for v in (_load(work / f) or {}).values()
        if isinstance(v, dict) and v.get("n_iterations")
    ]
    return {
        "per_iteration_cpu_s": "c * N_k_ibz * N_orb^p",
        "c": c,
        "p": p,
        "setup_cpu_s": "setup_big * (N_k_ibz * N_orb) / (N_k_ibz * N_orb)_big",
        "setup_big_cpu_s": setup_big,
        "big": {"n_orbitals": n_orb_big, "n_ibz_kpts": pr["n_ibz_kpts"]},
        "per_iteration_small_cpu_s": per_iter_small,
        "per_iteration_big_cpu_s": per_iter_big,
        "n_iterations_measured": iters,
        "n_iterations_used": max(iters),
    }


def estimate(work: Path) -> dict:
    """Return the default verify's estimated CPU time, per DFT calculation and in total."""
    model = calibrate(work)
    big = model["big"]
    rows = lcao_plan()
    for r in rows:
        per_iter = model["c"] * r["n_ibz_kpts_max"] * r["n_orbitals"] ** model["p"]
        setup = (
            model["setup_big_cpu_s"]
            * (r["n_ibz_kpts_max"] * r["n_orbitals"])
            / (big["n_ibz_kpts"] * big["n_orbitals"])
        )
        r["estimated_cpu_s"] = round(setup + model["n_iterations_used"] * per_iter, 1)
    total = sum(r["estimated_cpu_s"] for r in rows)
    return {
        "model": model,
        "calculations": rows,
        "total_cpu_s": round(total, 0),
        "wall_s_one_rank_dedicated": round(total, 0),
        "wall_s_two_ranks_dedicated_if_perfect": round(total / 2, 0),
        "target_wall_s": TARGET_S,
        "fits_target_one_rank": total <= TARGET_S,
    }


def quick_part(work: Path, data_dir: Path | None) -> dict:
    """Run the quick plane-wave verify of Cu(111) and estimate the plane-wave default (PW model)."""
    up_before = _uptime()
    data = data_dir or Path(tempfile.mkdtemp(prefix="bench-verify-"))
    measured = measure(data)
    comp = [c for c in measured["dft_calculations"] if c["wall_s"] > 0]
    c = statistics.median(c["wall_s"] / c["cost_units"] for c in comp)
    plan = default_plan()
    for p in plan:
        p["estimated_wall_s"] = round(c * p["cost_units"], 1)
    total = sum(p["estimated_wall_s"] for p in plan)
    return {
        "uptime_before": up_before,
        "uptime_after": _uptime(),
        "measured_quick": measured,
        "cost_model": "t = c * N_k * N_e^2 * V_A3 * (ecut/300 eV)^1.5, c = median over the "
        "measured quick DFT single points",
        "c_s_per_unit": c,
        "default_estimate": {
            "how": "plane waves (preset fast), estimated from the model, not run",
            "calculations": plan,
            "total_wall_s": round(total, 0),
            "target_wall_s": TARGET_S,
            "fits_target": total <= TARGET_S,
        },
    }


def main() -> None:
    """Run one part (see the module docstring) and update the JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["quick", "pw-vs-lcao", "probe", "estimate"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-verify"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/verify.json"))
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--probe-kind", default="alpha111")
    parser.add_argument("--probe-iterations", type=int, default=3)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.part == "quick":
        (args.work / "quick.json").write_text(
            json.dumps(quick_part(args.work, args.data_dir), indent=1, default=str)
        )
        return
    if args.part == "pw-vs-lcao":
        for mode in PRESETS:
            pw_vs_lcao(args.work, mode)
        return
    if args.part == "probe":
        print(json.dumps(probe(args.work, args.probe_kind, args.probe_iterations)))
        return
    old = _load(args.out) or {}
    quick = _load(args.work / "quick.json") or {
        k: old.get(k) for k in ("measured_quick", "cost_model", "c_s_per_unit")
    } | {"default_estimate": old.get("plane_wave_default_estimate", old.get("default_estimate"))}
    lcao = {m: _load(args.work / f"t1_{m}.json") for m in PRESETS}
    gam = {m: _load(args.work / f"t2_gamma_{m}.json") for m in ("pw", "lcao")}
    try:
        est = estimate(args.work)
    except (StopIteration, TypeError, KeyError, ZeroDivisionError) as exc:  # not measured yet
        est = {
            "status": f"not calibrated ({type(exc).__name__}: {exc}): needs the pw-vs-lcao "
            "LCAO E_b run and a probe with >= 2 SCF iterations in --work",
            "calculations": lcao_plan(),
            "target_wall_s": TARGET_S,
        }
    result = {
        "benchmark": "verify (GPAW check of the MLIP verdicts, issue 18 item 5)",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "uptime_at_estimate": _uptime(),
        "measured_quick": quick["measured_quick"],
        "plane_wave_cost_model": quick["cost_model"],
        "plane_wave_c_s_per_unit": quick["c_s_per_unit"],
        "plane_wave_default_estimate": quick["default_estimate"],
        "pw_vs_lcao": {
            "case_binding": "Li@hcp on Cu(111) 2x2x3 (ideal, a = 3.63 A, Li 2.0 A up) vs bcc Li "
            "(a = 3.43 A); single points",
            "binding_ev": {m: (v or {}).get("eb_ev") for m, v in lcao.items()},
            "case_gamma": "unrelaxed Cu(111) 1x1x6 slab vs fcc Cu (a = 3.63 A)",
            "gamma_unrelaxed_j_per_m2": {
                m: (v or {}).get("gamma_unrelaxed_j_per_m2") for m, v in gam.items()
            },
            "calculations": {"binding": lcao, "gamma": gam},
        },
        "lcao_probe": {
            k: _load(args.work / f"probe_{k}" / "probe.json") for k in ("alpha111", "alpha111_red")
        },
        "default_estimate": est,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps({k: est[k] for k in est if k != "calculations"}, indent=1, default=str))


if __name__ == "__main__":
    main()
