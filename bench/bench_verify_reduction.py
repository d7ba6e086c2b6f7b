"""What the default verify's reductions change, measured with the MLIP (issue 18 item 5).

The default GPAW verify (``verify.Options()``) computes single points on the MLIP geometries
and, for E_b, on reduced slabs. This bench measures with SevenNet-0 (the MLIP whose verdicts
are verified), on the very slabs and Li sites the verify takes:

E_b (vs bcc Li), per verified site (top adsorbed + strongest incorporated, (111)):
  ``full``            the stored MLIP E_b (full slab, relaxed);
  ``reduced_sp``      single points on the relaxed slab+Li and clean slab cut to the substrate
                      within ``depth`` of its top (what the verify computes with DFT);
  ``reduced_relaxed`` the same reduced pair relaxed with the MLIP (bottom plane fixed):
                      what a relaxation on the reduced slab would add to the single point.
γ, per material and facet (lowest-γ slab at the Cu-rich edge; the verify keeps the full slab):
  ``relaxation``      γ(unrelaxed cut) − γ(relaxed), the MLIP's whole relaxation energy: an
                      upper bound of what a DFT relaxation from the MLIP geometry can add.

Writes ``bench/results/verify_reduction.json``; the MLIP studies are stored in ``--data-dir``
(kept, so the verify chunks can run on them)::

    OMP_NUM_THREADS=1 python bench/bench_verify_reduction.py --data-dir /tmp/verify-mlip
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "verify_reduction.json"
DEPTHS_A = (2.5, 4.5)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def mlip_options(materials: list[str], max_sites: int) -> dict[str, Any]:
    """Return the surface (full, quick) and Li-site options the bench runs and verifies."""
    from lithiophilic.studies import li_sites, surface

    millers = [[1, 1, 1], [1, 0, 0]]
    return {
        "surface_full": surface.Options.full(materials=materials, millers=millers, sqs_samples=1),
        "sites": li_sites.Options(materials=materials, max_sites=max_sites, sqs_samples=1),
    }


def paper_quick_options() -> dict[str, Any]:
    """Return the surface and Li-site options of ``paper --quick`` (its stored results)."""
    from lithiophilic.studies.paper import PaperOptions, stage_options

    st = stage_options(PaperOptions.quick())
    return {"surface_full": st["surface"][0], "sites": st["binding"][0]}


def run_mlip(data: Path, options: dict[str, Any]) -> dict[str, float]:
    """Run (or reuse) the MLIP studies; return their wall times."""
    from lithiophilic.studies import li_sites, surface

    walls = {}
    for name, opts in options.items():
        t0 = time.perf_counter()
        (li_sites if name == "sites" else surface).run(opts, data_dir=data)
        walls[name] = round(time.perf_counter() - t0, 1)
        print(name, walls[name], "s", flush=True)
    return walls


def _energy(atoms: Any, calc: Any) -> float:
    atoms = atoms.copy()
    atoms.calc = calc
    return float(atoms.get_potential_energy())


def _relaxed_energy(atoms: Any, calc: Any, fmax: float = 0.05) -> tuple[float, bool]:
    """Relax ``atoms`` (bottom substrate plane fixed) with ``calc``; return (energy, converged)."""
    import numpy as np
    from ase.constraints import FixAtoms
    from ase.optimize import BFGS

    atoms = atoms.copy()
    z = atoms.positions[:, 2]
    sub = np.array([s != "Li" for s in atoms.get_chemical_symbols()])
    atoms.set_constraint(FixAtoms(mask=sub & (z < z[sub].min() + 0.5)))
    atoms.calc = calc
    opt = BFGS(atoms, logfile=None)
    ok = bool(opt.run(fmax=fmax, steps=300))
    return float(atoms.get_potential_energy()), ok


def binding_reductions(
    data: Path, options: dict[str, Any], on_row: Any = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return, per verified Li site, E_b full / reduced single point / reduced relaxed.

    ``on_row(row)`` is called after each site (the JSON is written as the bench goes).
    """
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.db import get_store
    from lithiophilic.errors import CalculationFailed
    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.studies import verify
    from lithiophilic.workflows.verify import reduce_slab_pair

    store = get_store(data_dir=data)
    store.connect()
    vopts = verify.Options(
        materials=options["sites"].materials,
        sites_study=options["sites"],
        gamma_millers=[],
        top_k=1,
    )
    _, sites, missing = verify.select_targets(store, vopts)
    calc = get_calculator(CalculatorSpec("sevenn"))
    out = []
    for t in sites:
        target, with_li, clean = verify._binding_inputs(store, t)
        mu = target["mlip_mu_li_ev"]
        ad = AseAtomsAdaptor.get_atoms
        e_full = -(_energy(ad(with_li), calc) - _energy(ad(clean), calc) - mu)
        row: dict[str, Any] = {
            "material": t["material"],
            "site_label": t["site_label"],
            "outcome": t["outcome"],
            "selected_as": t["selected_as"],
            "n_atoms_full": len(with_li),
            "mlip_binding_stored_ev": t["binding_energy_bcc_ev"],
            "mlip_binding_full_sp_ev": e_full,
            "reduced": {},
        }
        for depth in DEPTHS_A:
            try:  # the cut the default verify makes (same substrate atoms in both)
                w, c = (ad(s) for s in reduce_slab_pair(with_li, clean, depth))
            except CalculationFailed as exc:
                row["reduced"][str(depth)] = {"error": str(exc)}
                continue
            sp = -(_energy(w, calc) - _energy(c, calc) - mu)
            t0 = time.perf_counter()
            (ew, okw), (ec, okc) = _relaxed_energy(w, calc), _relaxed_energy(c, calc)
            rel = -(ew - ec - mu)
            row["reduced"][str(depth)] = {
                "n_atoms": len(w),
                "binding_sp_ev": sp,
                "binding_relaxed_ev": rel,
                "relax_converged": okw and okc,
                "change_reduction_sp_ev": sp - e_full,
                "change_relaxation_on_reduced_ev": rel - sp,
                "relax_wall_s": round(time.perf_counter() - t0, 1),
            }
        print(json.dumps(row), flush=True)
        out.append(row)
        if on_row is not None:
            on_row(row)
    return out, missing


def gamma_reductions(data: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Return, per material and facet, the lowest-γ slab's MLIP γ relaxed and unrelaxed.

    The default verify computes γ on the full slabs (no reduction); what a single point on
    the MLIP geometry instead of a DFT relaxation can miss is bounded by the MLIP's whole
    relaxation energy, γ(unrelaxed cut) − γ(relaxed).
    """
    from lithiophilic.analysis.surface import facet_label, row_gamma_edges_j_per_m2
    from lithiophilic.db import get_store
    from lithiophilic.studies import surface, verify

    store = get_store(data_dir=data)
    store.connect()
    out = []
    rows = surface.collect(store, options["surface_full"]).rows
    for r in verify._lowest_rows(rows, 1):
        g = r.get("gamma_relaxed_j_per_m2")
        u = r.get("gamma_unrelaxed_j_per_m2")
        out.append(
            {
                "material": r["material"],
                "facet": facet_label(r["miller"]),
                "termination": r.get("termination"),
                "n_layers": r.get("n_layers"),
                "n_atoms": r.get("n_atoms"),
                "gamma_cu_rich_edge_j_per_m2": row_gamma_edges_j_per_m2(r)[0],
                "gamma_relaxed_j_per_m2": g,
                "gamma_unrelaxed_j_per_m2": u,
                "mlip_relaxation_j_per_m2": None if u is None or g is None else u - g,
            }
        )
    return out


def main() -> None:
    """Run the MLIP studies, measure the reductions, write the JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/verify-mlip"))
    p.add_argument("--materials", nargs="+", default=["Cu", "Cu5Zn8", "Cu0.64Zn0.36"])
    p.add_argument("--max-sites", type=int, default=4)
    p.add_argument(
        "--paper-quick",
        action="store_true",
        help="measure on the stored results of 'paper --quick' in --data-dir (run nothing)",
    )
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--from-log", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    up = _uptime()
    if args.paper_quick:
        options, walls = paper_quick_options(), {}
    else:
        options = mlip_options(args.materials, args.max_sites)
        walls = run_mlip(args.data_dir, options)
    doc = {
        "benchmark": "verify reductions measured with the MLIP (full vs reduced, same sites)",
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "calculator": "sevenn (SevenNet-0)",
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "uptime_before": up,
        "command": " ".join(["python", *sys.argv]),
        "mlip_studies_wall_s": walls,
        "mlip_options": {k: v.model_dump(mode="json") for k, v in options.items()},
        "depths_a": list(DEPTHS_A),
        "gamma": gamma_reductions(args.data_dir, options),
        "binding": [],
        "complete": False,
    }

    def write(row: dict[str, Any] | None = None) -> None:
        if row is not None:
            doc["binding"].append(row)
        doc["uptime_after"] = _uptime()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1, default=str))

    if args.from_log is not None:  # rows printed by a run that was cut short
        for line in args.from_log.read_text().splitlines():
            if line.startswith('{"material"'):
                doc["binding"].append(json.loads(line))
        doc["note"] = f"binding rows read from the log of a run cut short ({args.from_log})"
        write()
        return
    _, doc["missing"] = binding_reductions(args.data_dir, options, on_row=write)
    doc["complete"] = True
    write()
    print(json.dumps({k: doc[k] for k in ("gamma", "complete")}, indent=1))


if __name__ == "__main__":
    main()
