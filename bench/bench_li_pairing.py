"""Li-Li pairing and island energies on Cu(111) and Cu0.64Zn0.36(111): teacher vs distilled potentials.

The driving force of Li aggregation on a surface is whether adsorbed Li atoms gain energy by
sitting next to each other.  For each substrate (5x5x4 (111) slab, bottom 2 planes fixed, the
same random alpha-brass decoration for every calculator) and each calculator (the teacher
SevenNet-0, ``licuzn-pod``, ``licuzn-eam``) this relaxes

* the clean slab, one Li in an fcc hollow,
* two Li in neighbouring fcc hollows ("pair") and two Li far apart ("apart"),
* three Li in a compact triangle of fcc hollows ("trimer"), and three Li far apart,

and reports ``E_pair = E(pair) - E(apart)`` and ``E_trimer = E(trimer) - E(3 apart)`` in eV
(negative: Li prefer to cluster on that surface).  Writes ``bench/results/li_pairing.json``.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_li_pairing.py [--reuse-teacher]

``--reuse-teacher`` keeps the teacher's numbers from the existing JSON (they do not depend on
the distilled potentials; the alloy relaxations take ~10 min) and recomputes the potentials.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
#: fcc-hollow offsets (in surface cells) of each configuration on the 5x5 cell.
CONFIGS = {
    "li1": [(0, 0)],
    "pair": [(0, 0), (1, 0)],
    "apart": [(0, 0), (2, 2)],
    "trimer": [(0, 0), (1, 0), (0, 1)],
    "apart3": [(0, 0), (2, 1), (1, 3)],
}


def build(substrate: str, config: str):
    from ase.build import add_adsorbate
    from ase.constraints import FixAtoms

    from lithiophilic.potentials.distill.frames import make_slab_111

    rng = np.random.default_rng(42)
    slab = make_slab_111(substrate, size=(5, 5, 4), vacuum_a=8.0, rng=rng)  # type: ignore[arg-type]
    slab.set_constraint(FixAtoms(indices=[a.index for a in slab if a.tag >= 3]))
    for off in CONFIGS.get(config, []):
        add_adsorbate(slab, "Li", 2.0, "fcc", offset=off)
    return slab


def relax_energy(atoms, calc, fmax: float = 0.03) -> tuple[float, int]:
    from ase.optimize import BFGS

    a = atoms.copy()
    a.calc = calc
    opt = BFGS(a, logfile=None)
    converged = opt.run(fmax=fmax, steps=400)
    if not converged:
        msg = "relaxation did not converge"
        raise RuntimeError(msg)
    return float(a.get_potential_energy()), opt.nsteps


def main() -> None:
    import argparse

    from lithiophilic.potentials import CalculatorSpec, get_calculator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse-teacher", action="store_true")
    args = parser.parse_args()
    path = RESULTS / "li_pairing.json"
    previous = json.loads(path.read_text()) if args.reuse_teacher and path.is_file() else {}

    calcs = {
        "sevennet0 (teacher)": CalculatorSpec("sevenn"),
        "licuzn-pod": CalculatorSpec("lammps", {"potential": "licuzn-pod"}),
        "licuzn-eam": CalculatorSpec("lammps", {"potential": "licuzn-eam"}),
    }
    out: dict = {"definition": __doc__.split("\n\n")[2], "results": {}}
    for key in ("earlier_eam_cu111",):
        if key in previous:
            out[key] = previous[key]
    for substrate in ("Cu", "CuZn"):
        for name, spec in calcs.items():
            old = previous.get("results", {}).get(substrate, {}).get(name)
            if name.endswith("(teacher)") and old is not None:
                out["results"].setdefault(substrate, {})[name] = {**old, "reused": True}
                continue
            calc = get_calculator(spec)
            t0 = time.perf_counter()
            e = {c: relax_energy(build(substrate, c), calc)[0] for c in ["clean", *CONFIGS]}
            r = {
                "E_ads_li1_vs_clean_ev": e["li1"] - e["clean"],
                "E_pair_ev": e["pair"] - e["apart"],
                "E_trimer_ev": e["trimer"] - e["apart3"],
                "wall_s": round(time.perf_counter() - t0, 1),
            }
            out["results"].setdefault(substrate, {})[name] = r
            print(substrate, name, {k: round(v, 4) for k, v in r.items()}, flush=True)
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
