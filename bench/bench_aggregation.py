"""Benchmark the Li-cluster analyzer against freud's cluster module on the same trajectory.

Runs a short LAMMPS MD (MEAM Li/Cu plumbing potential ``meam-library-licu``: the bench does not
depend on the production potential) of Li on a hexagonal Cu(111) cell, then clusters the Li of
every frame with :func:`lithiophilic.analysis.aggregation.cluster_frame` and with
``freud.cluster.Cluster`` (+ ``freud.locality.AABBQuery`` for the coordination, so both compute
the same metrics), checks that the cluster counts agree frame by frame, and writes frames/s and
the ratio to ``bench/results/aggregation_analyzer.json``.

    .venv/bin/python bench/bench_aggregation.py [--n-li 60] [--frames 400] [--repeat 5]

freud is a benchmark-only dependency (``pip install freud-analysis``, extra ``bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = "meam-library-licu"


def make_trajectory(workdir: Path, n_li: int, n_frames: int) -> Path:
    from lithiophilic.structures.md_slab import add_dispersed_li, make_md_bulk, make_md_slab
    from lithiophilic.workflows.md_engine import MdSettings, run_md

    slab = make_md_slab(make_md_bulk("Cu", a_a=3.62), lateral_size=(15, 15), n_layers=3)
    atoms = add_dispersed_li(slab, n_li, min_spacing_a=3.5, seed=7)
    settings = MdSettings(
        potential=POTENTIAL,
        n_steps=20 * (n_frames - 1),
        dump_every=20,
        check_every=1000,
        thermo_every=1000,
        seed=7,
    )
    result = run_md(atoms, settings, workdir)
    if result["status"] != "completed":
        msg = f"bench MD failed: {result['failure_reason']}"
        raise RuntimeError(msg)
    return Path(result["trajectory"])


def main() -> None:
    import freud

    from lithiophilic.analysis.aggregation import analyze_trajectory, cluster_frame, iter_frames

    parser = argparse.ArgumentParser()
    parser.add_argument("--n-li", type=int, default=60)
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cutoff", type=float, default=3.3)
    parser.add_argument(
        "--out", default=str(ROOT / "bench" / "results" / "aggregation_analyzer.json")
    )
    args = parser.parse_args()
    freud.parallel.set_num_threads(1)  # the analyzer is single-threaded; compare like with like

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        traj = make_trajectory(Path(tmp) / "md", args.n_li, args.frames)
        md_s = time.perf_counter() - t0
        frames = [(f.select("Li"), f.cell, f.pbc) for f in iter_frames(traj)]
        t0 = time.perf_counter()
        streamed = analyze_trajectory(traj, cutoff_a=args.cutoff)
        stream_s = time.perf_counter() - t0
        size_mib = traj.stat().st_size / 2**20

    def ours() -> list[int]:
        return [cluster_frame(p, c, pbc, args.cutoff).n_clusters for p, c, pbc in frames]

    def with_freud() -> list[int]:
        counts = []
        for p, c, _ in frames:
            box = freud.box.Box.from_matrix(c.T)
            pts = box.wrap(p - c.sum(axis=0) / 2)
            cl = freud.cluster.Cluster()
            cl.compute((box, pts), neighbors={"r_max": args.cutoff})
            sizes = np.bincount(cl.cluster_idx)
            nl = (
                freud.locality.AABBQuery(box, pts)
                .query(pts, {"r_max": args.cutoff, "exclude_ii": True})
                .toNeighborList()
            )
            coord = np.bincount(nl.query_point_indices, minlength=len(pts))
            _ = (sizes.max(), np.count_nonzero(coord == 0), coord.mean())
            counts.append(int(cl.num_clusters))
        return counts

    def with_freud_cluster_only() -> list[int]:
        counts = []
        for p, c, _ in frames:
            box = freud.box.Box.from_matrix(c.T)
            cl = freud.cluster.Cluster()
            cl.compute((box, box.wrap(p - c.sum(axis=0) / 2)), neighbors={"r_max": args.cutoff})
            counts.append(int(cl.num_clusters))
        return counts

    def best(fn) -> tuple[float, list[int]]:
        # CPU time of this process (both codes single-threaded): robust on a shared machine
        times, out = [], []
        for _ in range(args.repeat):
            t0 = time.process_time()
            out = fn()
            times.append(time.process_time() - t0)
        return min(times), out

    t_ours, n_ours = best(ours)
    t_freud, n_freud = best(with_freud)
    t_freud_cl, _ = best(with_freud_cluster_only)
    n = len(frames)
    doc = {
        "benchmark": "Li-Li cluster analyzer vs freud.cluster (same trajectory, same cutoff)",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "trajectory": {
            "source": f"LAMMPS NVT 300 K, Li on hexagonal Cu(111) 15x15x3, potential {POTENTIAL} "
            "(MEAM plumbing potential; the bench does not depend on the production potential)",
            "n_frames": n,
            "n_li": len(frames[0][0]),
            "gzip_mib": round(size_mib, 3),
            "md_wall_s": round(md_s, 1),
        },
        "cutoff_a": args.cutoff,
        "repeat": args.repeat,
        "freud_version": freud.__version__,
        "freud_threads": 1,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cluster_counts_agree": n_ours == n_freud,
        "ours_frames_per_s": round(n / t_ours, 1),
        "freud_frames_per_s": round(n / t_freud, 1),
        "freud_cluster_only_frames_per_s": round(n / t_freud_cl, 1),
        "ratio_ours_over_freud": round(t_freud / t_ours, 3),
        "ratio_ours_over_freud_cluster_only": round(t_freud_cl / t_ours, 3),
        "ours_streaming_read_and_cluster_frames_per_s": round(streamed["n_frames"] / stream_s, 1),
        "note": "ours = cluster_frame (clusters, largest, mean size, isolated fraction, "
        "coordination); freud = Cluster + AABBQuery coordination (same metrics); "
        "freud_cluster_only = Cluster alone. Frames in memory; best of `repeat` runs, CPU time "
        "(time.process_time; both single-threaded) because the machine is shared. "
        "Streaming = iter_frames (gzip dump parse) + cluster_frame.",
    }
    print(json.dumps(doc, indent=1))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
