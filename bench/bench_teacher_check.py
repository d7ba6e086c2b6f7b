"""Run (or continue) the paper's MD teacher check alone and set candidate potentials against it.

Issue 19 items 3 and 5. The check is the one ``paper --stage md --md-teacher sevenn`` runs
(:mod:`lithiophilic.studies.aggregation_teacher`: both surfaces, 5x5x6 slab, 3 replicas x
5 ps at 2 fs, the teacher's own lattice), without the production LAMMPS replicas: only the
check's flows run, one replica per worker process. The teacher's runs do not depend on the
potential checked, so each further ``--potential`` runs only its own (cheap) side against the
stored teacher runs. The runs advance in restartable chunks stored in the data directory: a
run stopped by the end of a session continues where it stopped.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_teacher_check.py --data-dir DIR --run \
        --potential licuzn-eam --potential licuzn-eam-li3b --potential licuzn-pod
    .venv/bin/python bench/bench_teacher_check.py --data-dir DIR --potential ...   # measure only

``--side potential`` runs only the candidates' replicas (LAMMPS calculators, minutes), e.g.
beside another long job, before the teacher's have run.

The teacher's completed replicas (about 105 CPU-min each) are archived in
``bench/results/teacher_check_runs.json`` (``--archive``: a ``lithiophilic db export --archive``
of their documents) and loaded into the data directory before the check (``db import``): a run
whose inputs match (same key) reuses them, so the check carries over to a new machine or
database without rerunning the teacher.

Writes ``bench/results/teacher_check.json``: per potential the check's rows (k, phi_inf and
their intervals per surface and cutoff), match and reason, both sides' verdict tables and the
potential's rate summaries; the teacher's rate summaries once (``teacher_summaries``: the same
for every potential checked); the measured cost of every stored run (s per MD step, from the
replica documents). Per-frame series (``replica_frames``) stay in the database.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "teacher_check.json"
RUNS = ROOT / "bench" / "results" / "teacher_check_runs.json"


def check_options(potential: str, teacher: str) -> Any:
    """The full campaign's MD-stage options with the teacher check, for ``potential``."""
    from lithiophilic.studies.paper import PaperOptions, stage_options

    (md,) = stage_options(PaperOptions(stages=["md"], md_teacher=teacher))["md"]
    return md.updated(potential=potential)


def check_flows(options: Any, side: str = "both") -> dict[str, Any]:
    """The teacher check's flows of ``options`` (``side``: both, teacher or potential)."""
    from lithiophilic.studies import aggregation
    from lithiophilic.studies.aggregation_teacher import teacher_flows

    sides = ("teacher", "potential") if side == "both" else (side,)
    return teacher_flows(options, aggregation.build_flows, sides)


def run_check(options: Any, data_dir: Path, side: str = "both") -> dict[str, Any]:
    """Run (or continue) the check's flows of ``options``; return wall time and failures."""
    from lithiophilic.studies import aggregation

    t0 = time.perf_counter()
    flows = check_flows(options, side)
    result = aggregation.run(options, data_dir=data_dir, flows=flows)
    return {"wall_s": time.perf_counter() - t0, "side": side, "failed": dict(result.failed)}


def computed_replicas_query() -> dict[str, Any]:
    """The stored ASE-engine replicas that were computed, not reused.

    A later run's document that reused a replica (``reused_from_uuid``) is a copy of it: it
    is neither a cost nor a run to archive.
    """
    return {
        "output.doc_type": "md_aggregation",
        "output.settings.engine": "ase",
        "output.reused_from_uuid": None,
    }


def replica_costs(data_dir: Path) -> list[dict[str, Any]]:
    """Every computed ASE-engine replica: calculator, material, steps, MD wall, s per step."""
    from lithiophilic.db import get_store

    store = get_store(data_dir=data_dir)
    store.connect()
    rows = []
    query = computed_replicas_query()
    props = ["output.settings", "output.material", "output.replica", "output.status"]
    props += ["output.n_steps_done", "output.md_wall_time_s", "output.n_atoms"]
    for d in store.query(query, properties=props):
        o = d["output"]
        steps = int(o.get("n_steps_done") or 0)
        wall = float(o.get("md_wall_time_s") or 0.0)
        rows.append(
            {
                "calculator": o["settings"].get("calculator"),
                "material": o.get("material"),
                "replica": o.get("replica"),
                "status": o.get("status"),
                "n_atoms": o.get("n_atoms"),
                "n_steps": steps,
                "md_wall_s": wall,
                "s_per_step": wall / steps if steps else None,
            }
        )
    store.close()
    return sorted(rows, key=lambda r: (str(r["calculator"]), str(r["material"]), r["replica"]))


def _without_frames(summaries: dict[str, Any]) -> dict[str, Any]:
    """Material -> rate summary without its per-frame series (they stay in the database)."""
    return {m: {k: v for k, v in s.items() if k != "replica_frames"} for m, s in summaries.items()}


def measure(options: Any, data_dir: Path) -> dict[str, Any]:
    """The stored check of ``options``: rows, match, reason, verdict tables, what is missing."""
    from lithiophilic.db import get_store
    from lithiophilic.studies.aggregation_teacher import collect_teacher

    store = get_store(data_dir=data_dir)
    store.connect()
    try:
        check = collect_teacher(store, options)
    finally:
        store.close()
    return json.loads(json.dumps(check, default=str))


def teacher_runs_query(teacher: str) -> dict[str, Any]:
    """The stored documents of the teacher's completed, computed check replicas."""
    return {
        **computed_replicas_query(),
        "output.settings.calculator": teacher,
        "output.status": "completed",
    }


def teacher_archive_query(teacher: str) -> dict[str, Any]:
    """The teacher's completed replicas and the check's slabs they ran on.

    The slabs (``md_substrate`` documents with the teacher's E(V) scan) come along so that the
    substrate jobs reuse them on another machine: rebuilt there, their site order and lattice
    constant may differ in the last bits, and with them every replica's cache key.
    """
    substrates = {
        "output.doc_type": "md_substrate",
        "output.lattice_constant_source": f"E(V) scan with {teacher}",
        "output.cache_key": {"$ne": None},
        "output.reused_from_uuid": None,
    }
    return {"$or": [teacher_runs_query(teacher), substrates]}


def archive_teacher_runs(data_dir: Path, teacher: str, path: Path) -> int:
    """Archive the teacher's replicas and slabs of ``data_dir`` into ``path``; return how many."""
    from lithiophilic.db import get_store
    from lithiophilic.db.archive import export_archive

    store = get_store(data_dir=data_dir)
    try:
        return export_archive(store, path, criteria=teacher_archive_query(teacher))
    finally:
        store.close()


def import_teacher_runs(data_dir: Path, path: Path) -> dict[str, int]:
    """Load archived teacher replicas into ``data_dir`` (those present are skipped)."""
    from lithiophilic.db import get_store
    from lithiophilic.db.archive import import_archive

    store = get_store(data_dir=data_dir)
    try:
        return import_archive(store, path)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--run", action="store_true", help="run or continue the check first")
    parser.add_argument("--teacher", default="sevenn")
    parser.add_argument("--potential", action="append", help="LAMMPS potential (repeatable)")
    parser.add_argument(
        "--side",
        choices=["both", "teacher", "potential"],
        default="both",
        help="with --run: run only this side's replicas (the candidates' are cheap)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--runs",
        type=Path,
        default=RUNS,
        help="archive of the teacher's completed replicas: imported first if it exists",
    )
    parser.add_argument(
        "--archive", action="store_true", help="write the teacher's completed replicas to --runs"
    )
    args = parser.parse_args()
    if args.runs.is_file():
        print("teacher runs imported:", import_teacher_runs(args.data_dir, args.runs), flush=True)
    from lithiophilic import defaults

    potentials = args.potential or [defaults.MD_POTENTIAL]
    out: dict[str, Any] = {
        "benchmark": "teacher_check",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "teacher": args.teacher,
        "uptime": Path("/proc/loadavg").read_text().strip(),
        "potentials": {},
    }
    if args.out.is_file():
        out["potentials"] = json.loads(args.out.read_text()).get("potentials", {})
    for potential in potentials:
        options = check_options(potential, args.teacher)
        entry: dict[str, Any] = {"settings": options.teacher.model_dump(mode="json")}
        if args.run:
            entry["run"] = run_check(options, args.data_dir, args.side)
        entry["check"] = check = measure(options, args.data_dir)
        sides = check.pop("summaries")
        check["potential_summaries"] = _without_frames(sides["potential"])
        out["teacher_summaries"] = _without_frames(sides["teacher"])  # one teacher for all
        out["potentials"][potential] = entry
        print(potential, entry["check"]["match"], entry["check"]["reason"], flush=True)
    out["replicas"] = replica_costs(args.data_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=str))
    print(f"wrote {args.out}")
    if args.archive:
        n = archive_teacher_runs(args.data_dir, args.teacher, args.runs)
        print(f"archived {n} teacher replicas to {args.runs}")


if __name__ == "__main__":
    main()
