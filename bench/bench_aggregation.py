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
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = "meam-library-licu"
#: One frame: Li positions (Å), cell (Å) and periodicity.
Frame = tuple[np.ndarray, np.ndarray, np.ndarray]


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


def parse_args() -> argparse.Namespace:
    """Parse the command line (``--n-li``, ``--frames``, ``--repeat``, ``--cutoff``, ``--out``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-li", type=int, default=60)
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cutoff", type=float, default=3.3)
    parser.add_argument(
        "--out", default=str(ROOT / "bench" / "results" / "aggregation_analyzer.json")
    )
    return parser.parse_args()


def record_trajectory(args: argparse.Namespace) -> tuple[list[Frame], dict]:
    """Run the bench MD, load its Li frames and time the streaming analyzer on it.

    Returns the frames ``(Li positions, cell, pbc)`` and the trajectory's figures (size, MD
    wall time, streamed frame count and time).
    """
    from lithiophilic.analysis.aggregation import analyze_trajectory, iter_frames

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        traj = make_trajectory(Path(tmp) / "md", args.n_li, args.frames)
        md_s = time.perf_counter() - t0
        frames = [(f.select("Li"), f.cell, f.pbc) for f in iter_frames(traj)]
        t0 = time.perf_counter()
        streamed = analyze_trajectory(traj, cutoff_a=args.cutoff)
        stream_s = time.perf_counter() - t0
        size_mib = traj.stat().st_size / 2**20
    info = {
        "md_s": md_s,
        "size_mib": size_mib,
        "streamed_frames": streamed["n_frames"],
        "stream_s": stream_s,
    }
    return frames, info


def count_ours(frames: list[Frame], cutoff_a: float) -> list[int]:
    """Cluster counts per frame with :func:`lithiophilic.analysis.aggregation.cluster_frame`."""
    from lithiophilic.analysis.aggregation import cluster_frame

    return [cluster_frame(p, c, pbc, cutoff_a).n_clusters for p, c, pbc in frames]


def count_freud(frames: list[Frame], cutoff_a: float) -> list[int]:
    """Cluster counts per frame with freud ``Cluster`` + ``AABBQuery`` (the same metrics as ours)."""
    import freud

    counts = []
    for p, c, _ in frames:
        box = freud.box.Box.from_matrix(c.T)
        pts = box.wrap(p - c.sum(axis=0) / 2)
        cl = freud.cluster.Cluster()
        cl.compute((box, pts), neighbors={"r_max": cutoff_a})
        sizes = np.bincount(cl.cluster_idx)
        nl = (
            freud.locality.AABBQuery(box, pts)
            .query(pts, {"r_max": cutoff_a, "exclude_ii": True})
            .toNeighborList()
        )
        coord = np.bincount(nl.query_point_indices, minlength=len(pts))
        _ = (sizes.max(), np.count_nonzero(coord == 0), coord.mean())
        counts.append(int(cl.num_clusters))
    return counts


def count_freud_cluster_only(frames: list[Frame], cutoff_a: float) -> list[int]:
    """Cluster counts per frame with freud ``Cluster`` alone."""
    import freud

    counts = []
    for p, c, _ in frames:
        box = freud.box.Box.from_matrix(c.T)
        cl = freud.cluster.Cluster()
        cl.compute((box, box.wrap(p - c.sum(axis=0) / 2)), neighbors={"r_max": cutoff_a})
        counts.append(int(cl.num_clusters))
    return counts


def best_cpu_time(fn: Callable[[], list[int]], repeat: int) -> tuple[float, list[int]]:
    """Best CPU time of ``repeat`` calls of ``fn`` and its last output.

    CPU time of this process (both codes single-threaded): robust on a shared machine.
    """
    times, out = [], []
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return min(times), out


def measure(frames: list[Frame], args: argparse.Namespace) -> dict:
    """Time ours, freud and freud's cluster step alone on ``frames``; return times and counts."""
    t_ours, n_ours = best_cpu_time(lambda: count_ours(frames, args.cutoff), args.repeat)
    t_freud, n_freud = best_cpu_time(lambda: count_freud(frames, args.cutoff), args.repeat)
    t_freud_cl, _ = best_cpu_time(
        lambda: count_freud_cluster_only(frames, args.cutoff), args.repeat
    )
    return {
        "t_ours": t_ours,
        "t_freud": t_freud,
        "t_freud_cl": t_freud_cl,
        "counts_agree": n_ours == n_freud,
    }


def result_document(
    args: argparse.Namespace, frames: list[Frame], trajectory: dict, timing: dict
) -> dict:
    """The JSON document written to ``--out``."""
    import freud

    n = len(frames)
    t_ours, t_freud, t_freud_cl = timing["t_ours"], timing["t_freud"], timing["t_freud_cl"]
    return {
        "benchmark": "Li-Li cluster analyzer vs freud.cluster (same trajectory, same cutoff)",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "trajectory": {
            "source": f"LAMMPS NVT 300 K, Li on hexagonal Cu(111) 15x15x3, potential {POTENTIAL} "
            "(MEAM plumbing potential; the bench does not depend on the production potential)",
            "n_frames": n,
            "n_li": len(frames[0][0]),
            "gzip_mib": round(trajectory["size_mib"], 3),
            "md_wall_s": round(trajectory["md_s"], 1),
        },
        "cutoff_a": args.cutoff,
        "repeat": args.repeat,
        "freud_version": freud.__version__,
        "freud_threads": 1,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cluster_counts_agree": timing["counts_agree"],
        "ours_frames_per_s": round(n / t_ours, 1),
        "freud_frames_per_s": round(n / t_freud, 1),
        "freud_cluster_only_frames_per_s": round(n / t_freud_cl, 1),
        "ratio_ours_over_freud": round(t_freud / t_ours, 3),
        "ratio_ours_over_freud_cluster_only": round(t_freud_cl / t_ours, 3),
        "ours_streaming_read_and_cluster_frames_per_s": round(
            trajectory["streamed_frames"] / trajectory["stream_s"], 1
        ),
        "note": "ours = cluster_frame (clusters, largest, mean size, isolated fraction, "
        "coordination); freud = Cluster + AABBQuery coordination (same metrics); "
        "freud_cluster_only = Cluster alone. Frames in memory; best of `repeat` runs, CPU time "
        "(time.process_time; both single-threaded) because the machine is shared. "
        "Streaming = iter_frames (gzip dump parse) + cluster_frame.",
    }


def main() -> None:
    args = parse_args()
    import freud

    freud.parallel.set_num_threads(1)  # the analyzer is single-threaded; compare like with like
    frames, trajectory = record_trajectory(args)
    timing = measure(frames, args)
    doc = result_document(args, frames, trajectory, timing)
    print(json.dumps(doc, indent=1))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
