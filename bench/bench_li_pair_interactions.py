"""Site-resolved Li–Li pair and trimer interactions: SevenNet-0 (teacher) vs a distilled potential.

Definition (one function, ``lithiophilic.analysis.pair_interaction``):
E_int(ij) = E(ij) - E(i) - E(j) + E(0), every configuration relaxed with each calculator, on
5x5x3 (111) slabs of Cu and of a Cu0.64Zn0.36 SQS (placements: three nearest-neighbour fcc
hollow pairs, two second-neighbour pairs, a far pair, a compact trimer; see
``lithiophilic.workflows.li_pair_validation``). Writes ``bench/results/li_pair_interactions.json``
and, with ``--install``, the same document next to the shipped potential's provenance
(``src/lithiophilic/potentials/data/<name>/li_pair_interactions.json``).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_li_pair_interactions.py \
        [--potential licuzn-eam] [--substrate Cu --substrate CuZn] [--reuse-teacher | --teacher-from F.json ...] [--install]

``--reuse-teacher`` keeps the teacher's relaxations from the existing JSON (they do not depend on
the distilled potential; ~15-30 min per surface on a loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "li_pair_interactions.json"


def main() -> None:
    from lithiophilic import __version__
    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.potentials.distill.shipped import SHIPPED_POTENTIALS, shipped_potential_dir
    from lithiophilic.workflows.li_pair_validation import compare_pair_interactions

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--potential", default="licuzn-eam")
    parser.add_argument("--substrate", action="append", choices=["Cu", "CuZn"])
    parser.add_argument("--reuse-teacher", action="store_true")
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--teacher-from", type=Path, action="append", help="Reuse the teacher from these JSONs."
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    substrates = args.substrate or ["Cu", "CuZn"]
    sources = args.teacher_from or ([args.out] if args.reuse_teacher and args.out.is_file() else [])
    stored: dict = {}
    for path in sources:
        for s, r in json.loads(path.read_text()).get("substrates", {}).items():
            stored[s] = r["teacher"]
    teacher = {s: stored[s] for s in substrates} if sources else None
    if teacher is None:
        teacher = get_calculator(CalculatorSpec("sevenn"))
    model = get_calculator(CalculatorSpec("lammps", {"potential": args.potential}))
    t0 = time.perf_counter()
    doc = compare_pair_interactions(model, teacher, substrates=substrates)
    doc = {
        "potential": args.potential,
        "teacher": "sevenn (SevenNet-0)",
        "lithiophilic_version": __version__,
        "command": "bench/bench_li_pair_interactions.py "
        + " ".join(f"--substrate {s}" for s in substrates),
        **doc,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    for s, r in doc["substrates"].items():
        print(f"{s}: max |error| {r['max_abs_error_ev']:.3f} eV")
        for name, row in r["teacher"]["placements"].items():
            m = r["model"]["placements"][name]
            print(
                f"  {name:11s} d={row['li_li_distance_a']:.2f} Å teacher {row['e_int_ev']} "
                f"model {m['e_int_ev']} 3-body t/m {row.get('three_body_ev')} "
                f"{m.get('three_body_ev')}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    if args.install:
        if args.potential not in SHIPPED_POTENTIALS:
            msg = f"--install: {args.potential} is not a shipped potential"
            raise SystemExit(msg)
        target = shipped_potential_dir(args.potential) / "li_pair_interactions.json"
        target.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
