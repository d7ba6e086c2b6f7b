"""Optimiser levers of issue 21 (item 3): fewer steps, a better Li start height, no duplicated work.

Every case starts from a structure the quick study really relaxed: the input (frame 0 of the
kept trajectory) of each clean-slab and single-Li relaxation stored in ``--source``, a data
directory filled by ``binding --quick --keep-trajectory`` (all sites of Cu5Zn8(111), a few on
Cu(111) and the α-brass SQS). The same SevenNet-0 calculator object relaxes every case with
each optimizer, one after the other, in one process:

* ``optimizers`` (lever a): FIRE, BFGS, LBFGS and ASE ``PreconLBFGS`` with an ``Exp``
  preconditioner; steps, force calls (every ``calculate`` of the calculator), wall time, final
  energy (difference to BFGS, meV/atom) and, for a Li, the final site (classified on the clean
  supercell's sites) and its in-plane distance to the BFGS end point.
* ``start_height`` (lever b): the Li relaxations again from other start heights: the current
  covalent-radii contact (``place_adsorbate``), that contact scaled to the median Li-neighbour
  distance of the stored minima (the SevenNet-0 equilibrium), and +-0.3 Å around it.
* ``duplicates`` (lever c): from the stored relaxations alone: how many single-Li relaxations
  end in a minimum found by an earlier one (same place within ``--dup-tol-a``, same energy
  within ``--dup-tol-ev``), how many of their steps (and of their substrate re-relaxations)
  would an early stop or a merge save; and whether clean-slab relaxations are shared between
  the surface stage, the single-Li flows and the Li layers (``--shared-db``: one cache key,
  computed once).
* ``verdicts``: the verdict-level numbers (E_b of the strongest site per material, γ) of quick
  runs before and after a default change (``--verdict-dbs``).

Writes ``bench/results/optimizers.json`` (after each part). Usage::

    OMP_NUM_THREADS=1 python bench/bench_optimizers.py --source /tmp/optb/src \\
        --shared-db /tmp/optb/before --verdict-dbs before=/tmp/optb/before after=/tmp/optb/after
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "optimizers.json"
OPTIMIZERS = ("FIRE", "BFGS", "LBFGS", "PreconLBFGS")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--source",
        type=Path,
        nargs="+",
        default=[],
        help="data dirs of quick binding runs kept with --keep-trajectory",
    )
    p.add_argument(
        "--parts", nargs="+", default=["optimizers", "start_height", "li_paths", "duplicates"]
    )
    p.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS))
    p.add_argument("--li-per-material", type=int, default=2, help="slowest Li cases per material")
    p.add_argument("--max-steps", type=int, default=400)
    p.add_argument(
        "--extra-sites", nargs="*", default=["Cu:fcc"], help="MATERIAL:KIND Li starts built here"
    )
    p.add_argument("--only", nargs="*", default=[], help="keep cases whose label contains these")
    p.add_argument("--height-shifts-a", type=float, nargs="+", default=[-0.3, 0.3])
    p.add_argument("--dup-tol-a", type=float, default=0.2)
    p.add_argument("--dup-tol-ev", type=float, default=0.002)
    p.add_argument("--shared-db", type=Path, default=None, help="data dir of a paper --quick run")
    p.add_argument("--verdict-dbs", nargs="+", default=[], help="label=DATA_DIR of quick runs")
    p.add_argument(
        "--merge",
        type=Path,
        nargs="*",
        default=[],
        help="JSON of earlier runs (e.g. one per "
        "material, run side by side) whose cases are merged into --out, totals recomputed",
    )
    p.add_argument("--out", type=Path, default=OUT)
    return p.parse_args(argv)


# --------------------------------------------------------------------------- stored cases


def _store(data_dir: Path) -> Any:
    from lithiophilic.db import get_store

    return get_store(data_dir=data_dir, store="embedded")


def relax_docs(data_dir: Path, *, with_trajectory: bool) -> list[dict[str, Any]]:
    """Return the stored relaxations (outputs + uuid + completion time), oldest first."""
    store = _store(data_dir)
    crit: dict[str, Any] = {"output.doc_type": "ase_calc", "output.task": "relax"}
    if with_trajectory:
        crit["output.trajectory"] = {"$ne": None}
    docs = store.query(
        criteria=crit,
        properties=["uuid", "output", "completed_at"],
        load=with_trajectory,
        sort={"completed_at": 1},
    )
    return [{**d["output"], "uuid": d["uuid"], "completed_at": d["completed_at"]} for d in docs]


def _kind(label: str) -> str:
    """'slab' (clean slab), 'li' (single Li), 'substrate' (re-relaxed slab) or 'other'."""
    if "substrate" in label:
        return "substrate"
    if "Li@" in label:
        return "li"
    if re.search(r"\(\d+\) (t\d+|SQS s\d+) n\d+$", label) or label.endswith("clean slab"):
        return "slab"
    return "other"


def start_atoms(doc: dict[str, Any]) -> Any:
    """Return the input of a stored relaxation: its final structure at trajectory frame 0."""
    from pymatgen.core import Structure
    from pymatgen.io.ase import AseAtomsAdaptor

    st = Structure.from_dict(doc["structure"])
    atoms = AseAtomsAdaptor.get_atoms(st)
    traj = doc["trajectory"]
    atoms.set_cell(traj["cells_a"][0])
    atoms.set_positions(np.asarray(traj["positions_a"][0]))
    return atoms


def material_of(label: str) -> str:
    return label.split()[0]


def pick_cases(docs: list[dict[str, Any]], li_per_material: int) -> list[dict[str, Any]]:
    """Clean (111) slabs (first of each material) and the slowest Li relaxations per material."""
    cases, seen = [], set()
    for d in docs:
        computed = d.get("reused_from_uuid") is None
        if _kind(d["label"]) == "slab" and computed and material_of(d["label"]) not in seen:
            seen.add(material_of(d["label"]))
            cases.append({"kind": "slab", "doc": d})
    by_mat: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        if _kind(d["label"]) == "li":
            by_mat.setdefault(material_of(d["label"]), []).append(d)
    for rows in by_mat.values():
        rows.sort(key=lambda d: -d["n_steps"])
        picked = rows[:li_per_material]
        fcc = [d for d in rows if "fcc" in d["label"] and d not in picked]
        cases += [{"kind": "li", "doc": d} for d in picked + fcc[:1]]
    return cases


# --------------------------------------------------------------------------- relaxing


class CountingCalc:
    """Count the calculator's ``calculate`` calls (force evaluations) on one live calculator."""

    def __init__(self, calc: Any) -> None:
        self.calc, self.calls, self._orig = calc, 0, calc.calculate

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return self._orig(*args, **kwargs)

        calc.calculate = counted


def make_optimizer(name: str, atoms: Any) -> Any:
    """Return the ASE optimizer ``name`` on ``atoms`` (PreconLBFGS: Exp preconditioner)."""
    from ase import optimize

    if name == "PreconLBFGS":
        from ase.optimize.precon import Exp, PreconLBFGS

        return PreconLBFGS(atoms, precon=Exp(), logfile=None)
    return getattr(optimize, name)(atoms, logfile=None)


def relax(atoms: Any, counter: CountingCalc, optimizer: str, fmax: float, steps: int) -> dict:
    """Relax a copy of ``atoms`` with ``optimizer``; return counts, energy and the final atoms."""
    work = atoms.copy()
    work.calc = counter.calc
    counter.calc.reset()
    calls0 = counter.calls
    t0 = time.perf_counter()
    opt = make_optimizer(optimizer, work)
    converged = bool(opt.run(fmax=fmax, steps=steps))
    energy = float(work.get_potential_energy())
    wall = time.perf_counter() - t0
    forces = work.get_forces(apply_constraint=True)
    return {
        "optimizer": optimizer,
        "converged": converged,
        "n_steps": int(opt.get_number_of_steps()),
        "force_calls": counter.calls - calls0,
        "wall_s": round(wall, 2),
        "energy_ev": energy,
        "energy_per_atom_ev": energy / len(work),
        "max_force_ev_per_a": float(np.sqrt((forces**2).sum(axis=1)).max()),
        "atoms": work,
    }


def li_sites_of(atoms: Any, label: str) -> list[Any]:
    """Sites of the clean supercell under a slab+Li (SQS: reduced by environment, as 5c does)."""
    from lithiophilic.structures.sites import find_adsorption_sites

    clean = atoms[:-1]
    return find_adsorption_sites(clean, reduce_by_environment="Zn0" in label or "0." in label)


def classify(final: Any, start: Any, sites: list[Any], label: str) -> dict[str, Any]:
    """Final site of the Li (last atom) on the clean supercell's sites."""
    from lithiophilic.structures.sites import classify_site_after_relaxation

    site_label = label.split("Li@")[-1]
    initial = next((s for s in sites if s.label == site_label), sites[0])
    out = classify_site_after_relaxation(
        final, adsorbate_index=len(final) - 1, initial_site=initial, sites=sites
    )
    return {k: out[k] for k in ("final_site_label", "final_site_kind", "height_above_surface_a")}


def inplane_distance_a(a: Any, b: Any) -> float:
    """In-plane minimum-image distance between the last atoms of ``a`` and ``b``, Å."""
    from lithiophilic.structures.site_geometry import inplane_mic

    cell2d = np.asarray(a.cell, dtype=float)[:2, :2]
    d = inplane_mic(np.asarray([a.positions[-1, :2] - b.positions[-1, :2]]), cell2d)
    return float(np.linalg.norm(d))


def extra_site_case(docs: list[dict[str, Any]], material: str, kind: str) -> dict[str, Any] | None:
    """A Li start on the first ``kind`` site of ``material``'s stored Li supercell.

    Built as ``make_site_jobs`` does (``place_adsorbate`` at the covalent contact, then the
    seeded 0.03 Å lateral displacement); for a site the stored run did not relax (e.g. Cu fcc
    with ``--max-sites 2``).
    """
    from lithiophilic.structures.sites import (
        displace_adsorbate,
        place_adsorbate,
        start_displacement_seed,
    )

    doc = next(
        (d for d in docs if _kind(d["label"]) == "li" and material_of(d["label"]) == material), None
    )
    if doc is None:
        return None
    clean = start_atoms(doc)[:-1]
    site = next((s for s in li_sites_of(start_atoms(doc), doc["label"]) if s.kind == kind), None)
    if site is None:
        return None
    atoms = place_adsorbate(clean, site, symbol="Li")
    seed = start_displacement_seed(material, "(111)", 0, None, site.label)
    atoms, _ = displace_adsorbate(atoms, len(atoms) - 1, magnitude_a=0.03, seed=seed)
    label = doc["label"].split("Li@")[0] + f"Li@{site.label}"
    extra = {"label": label, "n_steps": None, "optimizer": None, "built_here": True}
    return {"kind": "li", "doc": {**doc, **extra}, "atoms": atoms}


def run_case(case: dict[str, Any], counter: CountingCalc, optimizers: list[str], args: Any) -> dict:
    doc = case["doc"]
    atoms = case["atoms"] if "atoms" in case else start_atoms(doc)
    fmax, label = float(doc["fmax_ev_per_a"]), doc["label"]
    sites = li_sites_of(atoms, label) if case["kind"] == "li" else None
    rows = []
    for name in optimizers:
        r = relax(atoms, counter, name, fmax, args.max_steps)
        if sites is not None:
            r.update(classify(r["atoms"], atoms, sites, label))
        rows.append(r)
        print(
            f"  {label:40s} {name:12s} steps {r['n_steps']:4d} calls {r['force_calls']:4d} "
            f"{r['wall_s']:7.1f} s E {r['energy_ev']:.4f}",
            flush=True,
        )
    ref = next((r for r in rows if r["optimizer"] == "BFGS"), rows[0])
    for r in rows:
        r["delta_e_vs_bfgs_mev_per_atom"] = 1000 * (
            r["energy_per_atom_ev"] - ref["energy_per_atom_ev"]
        )
        r["delta_e_vs_bfgs_mev"] = 1000 * (r["energy_ev"] - ref["energy_ev"])
        if sites is not None:
            r["li_distance_to_bfgs_end_a"] = inplane_distance_a(r["atoms"], ref["atoms"])
    for r in rows:
        r.pop("atoms")
    return {
        "kind": case["kind"],
        "label": label,
        "n_atoms": len(atoms),
        "fmax_ev_per_a": fmax,
        "stored_n_steps": doc["n_steps"],
        "stored_optimizer": doc["optimizer"],
        "runs": rows,
    }


def summarize_optimizers(cases: list[dict[str, Any]], optimizers: list[str]) -> dict[str, Any]:
    """Totals per optimizer and kind, and ratios to BFGS (the default)."""
    out: dict[str, Any] = {}
    for kind in ("slab", "li"):
        rows = [c for c in cases if c["kind"] == kind]
        tot = {}
        for name in optimizers:
            runs = [r for c in rows for r in c["runs"] if r["optimizer"] == name]
            tot[name] = {
                "n_steps": sum(r["n_steps"] for r in runs),
                "force_calls": sum(r["force_calls"] for r in runs),
                "wall_s": round(sum(r["wall_s"] for r in runs), 1),
                "all_converged": all(r["converged"] for r in runs),
                "max_abs_delta_e_vs_bfgs_mev_per_atom": max(
                    (abs(r["delta_e_vs_bfgs_mev_per_atom"]) for r in runs), default=0.0
                ),
                "max_abs_delta_e_vs_bfgs_mev": max(
                    (abs(r["delta_e_vs_bfgs_mev"]) for r in runs), default=0.0
                ),
            }
            if kind == "li":
                ref_kinds = [
                    next(r for r in c["runs"] if r["optimizer"] == "BFGS")["final_site_kind"]
                    for c in rows
                ]
                kinds = [r["final_site_kind"] for r in runs]
                tot[name]["same_final_site_kind_as_bfgs"] = sum(
                    a == b for a, b in zip(kinds, ref_kinds, strict=True)
                )
                tot[name]["n_cases"] = len(rows)
        base = tot.get("BFGS")
        for t in tot.values():
            if base and base["force_calls"]:
                t["force_calls_ratio_vs_bfgs"] = round(t["force_calls"] / base["force_calls"], 3)
                t["wall_ratio_vs_bfgs"] = round(t["wall_s"] / max(base["wall_s"], 1e-9), 3)
        out[kind] = tot
    return out


# --------------------------------------------------------------------------- start height


def contact_height_a(slab: Any, xy: np.ndarray, scale: float) -> float:
    """Height above the top layer at which Li touches its nearest atoms at scale x (r_Li + r_X).

    ``scale=1`` is ``place_adsorbate``'s default (covalent-radii contact).
    """
    from ase.data import covalent_radii

    from lithiophilic.structures.site_geometry import inplane_image_shifts
    from lithiophilic.structures.sites import _top_layer_height_a

    z_top = _top_layer_height_a(slab)
    targets = scale * (covalent_radii[3] + covalent_radii[slab.numbers])
    shifts = inplane_image_shifts(np.asarray(slab.cell, dtype=float)[:2, :2], float(targets.max()))
    z_needed = z_top
    for shift in shifts:
        r = np.linalg.norm(slab.positions[:, :2] + shift - xy, axis=1)
        inside = r < targets
        if inside.any():
            z = slab.positions[inside, 2] + np.sqrt(targets[inside] ** 2 - r[inside] ** 2)
            z_needed = max(z_needed, float(z.max()))
    return z_needed - z_top


def contact_ratio_of_minima(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median over stored Li minima of d(Li, nearest atom) / (r_Li + r_X) covalent radii."""
    from ase.data import covalent_radii
    from pymatgen.core import Structure
    from pymatgen.io.ase import AseAtomsAdaptor

    ratios = []
    for d in docs:
        if _kind(d["label"]) != "li":
            continue
        at = AseAtomsAdaptor.get_atoms(Structure.from_dict(d["structure"]))
        dist = at.get_distances(len(at) - 1, list(range(len(at) - 1)), mic=True)
        j = int(np.argmin(dist))
        ratios.append(float(dist[j] / (covalent_radii[3] + covalent_radii[at.numbers[j]])))
    return {
        "n_minima": len(ratios),
        "median_ratio": statistics.median(ratios) if ratios else None,
        "min_ratio": min(ratios, default=None),
        "max_ratio": max(ratios, default=None),
    }


def _settled_step(values: np.ndarray, tol: float) -> int:
    """First step from which every later value stays within ``tol`` of the last one."""
    off = np.abs(values - values[-1]) > tol
    return int(np.nonzero(off)[0][-1] + 1) if off.any() else 0


def li_path_analysis(docs: list[dict[str, Any]], tol_a: float = 0.05) -> dict[str, Any]:
    """Where the steps of the stored Li relaxations go: settling the height or gliding.

    Per relaxation: the start height offset and lateral travel of the Li (start vs end), and the
    step after which its height (resp. in-plane position) stays within ``tol_a`` of the end.
    """
    from lithiophilic.structures.site_geometry import inplane_mic

    rows = []
    for d in docs:
        traj = d.get("trajectory")
        if _kind(d["label"]) != "li" or not traj or "positions_a" not in traj:
            continue
        li = np.asarray([np.asarray(p)[-1] for p in traj["positions_a"]])
        cell2d = np.asarray(traj["cells_a"][0], dtype=float)[:2, :2]
        lateral = np.linalg.norm(inplane_mic(li[:, :2] - li[-1, :2], cell2d), axis=1)
        rows.append(
            {
                "label": d["label"],
                "n_steps": d["n_steps"],
                "start_height_offset_a": float(li[0, 2] - li[-1, 2]),
                "lateral_travel_a": float(lateral[0]),
                "height_settled_step": _settled_step(li[:, 2], tol_a),
                "lateral_settled_step": _settled_step(lateral, tol_a),
            }
        )
    n = sum(r["n_steps"] for r in rows)
    return {
        "tol_a": tol_a,
        "n_relaxations": len(rows),
        "steps_total": n,
        "steps_after_height_settled": sum(r["n_steps"] - r["height_settled_step"] for r in rows),
        "steps_after_lateral_settled": sum(r["n_steps"] - r["lateral_settled_step"] for r in rows),
        "rows": rows,
    }


def with_li_height(atoms: Any, height_a: float) -> Any:
    from lithiophilic.structures.sites import _top_layer_height_a

    new = atoms.copy()
    new.positions[-1, 2] = _top_layer_height_a(atoms[:-1]) + height_a
    return new


def run_heights(case: dict, counter: CountingCalc, ratio: float, optimizer: str, args: Any) -> dict:
    """Relax one Li case from the stored start and from other start heights."""
    doc = case["doc"]
    atoms = case["atoms"] if "atoms" in case else start_atoms(doc)
    fmax, label = float(doc["fmax_ev_per_a"]), doc["label"]
    sites = li_sites_of(atoms, label)
    xy = atoms.positions[-1, :2]
    h_cov = contact_height_a(atoms[:-1], xy, 1.0)
    h_eq = contact_height_a(atoms[:-1], xy, ratio)
    starts = {"covalent_contact": h_cov, "minima_contact": h_eq}
    for s in args.height_shifts_a:
        starts[f"minima_contact{s:+.1f}"] = h_eq + s
    rows = []
    for name, h in starts.items():
        r = relax(with_li_height(atoms, h), counter, optimizer, fmax, args.max_steps)
        r.update(classify(r["atoms"], atoms, sites, label))
        r.pop("atoms")
        r.update({"start": name, "start_height_a": h})
        rows.append(r)
        print(
            f"  {label:40s} {name:22s} h {h:.2f} steps {r['n_steps']:4d} "
            f"calls {r['force_calls']:4d} E {r['energy_ev']:.4f} {r['final_site_kind']}",
            flush=True,
        )
    ref = rows[0]
    for r in rows:
        r["delta_e_vs_covalent_mev"] = 1000 * (r["energy_ev"] - ref["energy_ev"])
    return {"label": label, "optimizer": optimizer, "fmax_ev_per_a": fmax, "runs": rows}


# --------------------------------------------------------------------------- duplicates


def _li_end(doc: dict[str, Any]) -> Any:
    from pymatgen.core import Structure
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_atoms(Structure.from_dict(doc["structure"]))


def _same_place(a_pos: np.ndarray, b_pos: np.ndarray, cell: Any, tol_a: float) -> bool:
    from lithiophilic.structures.site_geometry import inplane_mic

    d = inplane_mic(np.asarray([a_pos[:2] - b_pos[:2]]), np.asarray(cell, dtype=float)[:2, :2])
    return bool(np.linalg.norm(d) < tol_a and abs(a_pos[2] - b_pos[2]) < tol_a)


def duplicate_minima(docs: list[dict[str, Any]], tol_a: float, tol_ev: float) -> dict[str, Any]:
    """Single-Li relaxations ending in a minimum an earlier one found, per material and facet."""
    by_flow: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        if _kind(d["label"]) == "li":
            by_flow.setdefault(d["label"].split(" Li@")[0], []).append(d)
    subs = {
        d["label"].removesuffix(" substrate"): d for d in docs if _kind(d["label"]) == "substrate"
    }
    out = {}
    for flow, rows in by_flow.items():
        found: list[tuple[str, Any, float]] = []  # label, Li position, energy
        dup_rows, steps_all, steps_saved, sub_steps_saved = [], 0, 0, 0
        for d in rows:  # completion order: the order a serial run finds minima in
            end = _li_end(d)
            pos, e = end.positions[-1], float(d["energy_ev"])
            steps_all += d["n_steps"]
            match = next(
                (
                    f
                    for f in found
                    if _same_place(pos, f[1], end.cell, tol_a) and abs(e - f[2]) < tol_ev
                ),
                None,
            )
            if match is None:
                found.append((d["label"], pos, e))
                continue
            first = _first_frame_near(d, match[1], end.cell, tol_a)
            saved = d["n_steps"] - first
            steps_saved += saved
            sub = subs.get(d["label"])
            sub_steps = sub["n_steps"] if sub else 0
            sub_steps_saved += sub_steps
            dup_rows.append(
                {
                    "label": d["label"].split("Li@")[-1],
                    "same_minimum_as": match[0].split("Li@")[-1],
                    "delta_e_mev": 1000 * (e - match[2]),
                    "n_steps": d["n_steps"],
                    "first_step_within_tol": first,
                    "steps_saved_by_early_stop": saved,
                    "substrate_relax_steps": sub_steps,
                }
            )
        sub_total = sum(s["n_steps"] for k, s in subs.items() if k.startswith(flow + " Li@"))
        out[flow] = {
            "n_li_relaxations": len(rows),
            "n_distinct_minima": len(found),
            "n_duplicates": len(dup_rows),
            "li_steps_total": steps_all,
            "li_steps_saved_by_early_stop": steps_saved,
            "substrate_steps_total": sub_total,
            "substrate_steps_saved_by_merge": sub_steps_saved,
            "duplicates": dup_rows,
        }
    return out


def _first_frame_near(doc: dict[str, Any], pos: np.ndarray, cell: Any, tol_a: float) -> int:
    """First trajectory step whose Li is within ``tol_a`` of ``pos`` (and stays there)."""
    traj = doc.get("trajectory")
    if not traj or "positions_a" not in traj:
        return doc["n_steps"]
    frames = [np.asarray(p)[-1] for p in traj["positions_a"]]
    first = len(frames) - 1
    for i in range(len(frames) - 1, -1, -1):
        if not _same_place(frames[i], pos, cell, tol_a):
            break
        first = i
    return first


def shared_slabs(data_dir: Path) -> dict[str, Any]:
    """Clean-slab relaxations of a quick campaign: per cache key, computed once and reused?"""
    docs = relax_docs(data_dir, with_trajectory=False)
    slabs = [d for d in docs if _kind(d["label"]) == "slab"]
    by_key: dict[str, list[dict[str, Any]]] = {}
    for d in slabs:
        by_key.setdefault(d["cache_key"], []).append(d)
    by_input: dict[tuple[str, str], set[str]] = {}
    for d in slabs:
        by_input.setdefault((d["input_structure_hash"], d["calculator_name"]), set()).add(
            d["cache_key"]
        )
    rows = [
        {
            "labels": sorted({d["label"] for d in group}),
            "n_documents": len(group),
            "n_computed": sum(d.get("reused_from_uuid") is None for d in group),
            "n_reused": sum(d.get("reused_from_uuid") is not None for d in group),
            "fmax_ev_per_a": group[0]["fmax_ev_per_a"],
        }
        for group in by_key.values()
    ]
    return {
        "data_dir": str(data_dir),
        "n_slab_relax_documents": len(slabs),
        "n_cache_keys": len(by_key),
        "n_computed": sum(r["n_computed"] for r in rows),
        "keys_computed_more_than_once": [r for r in rows if r["n_computed"] > 1],
        "same_input_different_settings": sum(len(k) > 1 for k in by_input.values()),
        "shared_keys": [r for r in rows if r["n_documents"] > 1],
        "all_relax_documents": len(docs),
        "all_relax_computed": sum(d.get("reused_from_uuid") is None for d in docs),
    }


# --------------------------------------------------------------------------- verdict numbers


def verdict_numbers(data_dir: Path) -> dict[str, Any]:
    """E_b of the strongest site per material (5c), E_b(n) of the layers (5d) and γ (5a)."""
    store = _store(data_dir)
    out: dict[str, Any] = {"binding": [], "layers": [], "gamma": []}
    for d in store.query({"output.doc_type": "li_binding"}, properties=["output"]):
        o = d["output"]
        out["binding"].append(
            {
                "material": o["material"],
                "termination": o.get("termination"),
                "binding_energy_bcc_ev": o["binding_energy_bcc_ev"],
                "lowest_final_site_kind": o["lowest_final_site_kind"],
                "n_valid": o["n_valid"],
            }
        )
    for d in store.query({"output.doc_type": "li_multilayer"}, properties=["output"]):
        o = d["output"]
        out["layers"].append(
            {
                "material": o["material"],
                "incremental_binding_energy_ev": o["incremental_binding_energy_ev"],
            }
        )
    for d in store.query({"output.doc_type": "surface_energy"}, properties=["output"]):
        o = d["output"]
        out["gamma"].append(
            {
                "material": o["material"],
                "miller": o["miller"],
                "termination": o["termination"],
                "gamma_relaxed_j_per_m2": o["gamma_relaxed_j_per_m2"],
                "relax_n_steps": o["relax_n_steps"],
            }
        )
    for rows in out.values():
        rows.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


# --------------------------------------------------------------------------- main


def _save(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    result["load_average_at_save"] = list(os.getloadavg())
    path.write_text(json.dumps(result, indent=1, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    result.update(
        {
            "benchmark": "optimiser levers (issue 21 item 3)",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "source": [str(p) for p in args.source],
        }
    )
    if args.merge:
        merge_runs(result, args.merge, args.optimizers)
        _save(result, args.out)
    docs = [d for src in args.source for d in relax_docs(src, with_trajectory=True)]
    needs_calc = {"optimizers", "start_height"} & set(args.parts)
    counter = None
    if needs_calc:
        from lithiophilic.potentials import CalculatorSpec, get_calculator

        counter = CountingCalc(get_calculator(CalculatorSpec("sevenn")))
    cases = pick_cases(docs, args.li_per_material)
    for item in args.extra_sites:
        material, kind = item.rsplit(":", 1)
        extra = extra_site_case(docs, material, kind)
        if extra is not None:
            cases.append(extra)
    if args.only:
        cases = [c for c in cases if any(o in c["doc"]["label"] for o in args.only)]
    if "optimizers" in args.parts:
        rows = []
        for case in cases:
            rows.append(run_case(case, counter, args.optimizers, args))
            result["optimizers"] = {
                "cases": rows,
                "totals": summarize_optimizers(rows, args.optimizers),
            }
            _save(result, args.out)
    if "start_height" in args.parts:
        ratio = contact_ratio_of_minima(docs)
        best = result.get("start_height_optimizer", "BFGS")
        rows = []
        for case in (c for c in cases if c["kind"] == "li"):
            rows.append(run_heights(case, counter, ratio["median_ratio"], best, args))
            result["start_height"] = {"contact_ratio_of_minima": ratio, "cases": rows}
            result["start_height"]["totals"] = _height_totals(rows)
            _save(result, args.out)
    if "li_paths" in args.parts and docs:
        result["li_paths"] = li_path_analysis(docs)
        _save(result, args.out)
    if "duplicates" in args.parts and docs:
        result["duplicates"] = {
            "tol_a": args.dup_tol_a,
            "tol_ev": args.dup_tol_ev,
            "flows": duplicate_minima(docs, args.dup_tol_a, args.dup_tol_ev),
            # near-duplicates: the same shallow basin left at the loose quick fmax
            "loose": {
                "tol_a": 0.5,
                "tol_ev": 0.015,
                "flows": duplicate_minima(docs, 0.5, 0.015),
            },
        }
        _save(result, args.out)
    if args.shared_db is not None:
        result["shared_slabs"] = shared_slabs(args.shared_db)
        _save(result, args.out)
    if args.verdict_dbs:
        result["verdicts"] = {
            label: verdict_numbers(Path(path))
            for label, path in (item.split("=", 1) for item in args.verdict_dbs)
        }
        _save(result, args.out)
    print(f"wrote {args.out}")
    return 0


def merge_runs(result: dict[str, Any], paths: list[Path], optimizers: list[str]) -> None:
    """Merge the optimizer and start-height cases of earlier runs into ``result``."""
    opt_cases, height_cases, ratios, merged = [], [], [], []
    for path in paths:
        run = json.loads(path.read_text())
        merged.append({"file": path.name, "command": run.get("command"), "date": run.get("date")})
        opt_cases += run.get("optimizers", {}).get("cases", [])
        if "start_height" in run:
            height_cases += run["start_height"]["cases"]
            ratios.append(run["start_height"]["contact_ratio_of_minima"])
    result["merged_runs"] = merged
    if opt_cases:
        result["optimizers"] = {
            "cases": opt_cases,
            "totals": summarize_optimizers(opt_cases, optimizers),
        }
    if height_cases:
        result["start_height"] = {
            "contact_ratio_of_minima": ratios,
            "cases": height_cases,
            "totals": _height_totals(height_cases),
        }


def _height_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    starts = [r["start"] for r in rows[0]["runs"]] if rows else []
    tot = {}
    for s in starts:
        runs = [r for c in rows for r in c["runs"] if r["start"] == s]
        tot[s] = {
            "n_steps": sum(r["n_steps"] for r in runs),
            "force_calls": sum(r["force_calls"] for r in runs),
            "wall_s": round(sum(r["wall_s"] for r in runs), 1),
            "max_abs_delta_e_vs_covalent_mev": max(abs(r["delta_e_vs_covalent_mev"]) for r in runs),
            "same_final_site_kind": sum(
                r["final_site_kind"] == c["runs"][0]["final_site_kind"]
                for c in rows
                for r in c["runs"]
                if r["start"] == s
            ),
        }
    base = tot.get("covalent_contact")
    for t in tot.values():
        if base and base["force_calls"]:
            t["force_calls_ratio_vs_covalent"] = round(t["force_calls"] / base["force_calls"], 3)
    return tot


if __name__ == "__main__":
    raise SystemExit(main())
