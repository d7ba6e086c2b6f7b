"""What the Li-aggregation jobs compute from LAMMPS (no job here: :mod:`.md` wires these in).

* :func:`fit_lattice_constant_a` — the substrate's lattice constant for the MD potential
  (energy–volume scan, quadratic fit around the minimum);
* :func:`trajectory_snapshots` — Li positions and cluster labels at a few times (Fig. 5g);
* :func:`common_cutoff_frames` — one Li–Li cutoff for all replicas of a surface and their
  per-frame cluster metrics with it;
* :func:`rate_summary` — the fields of
  :class:`~lithiophilic.workflows.md.AggregationRateDoc`: the aggregation rate over the
  completed replicas with a Student-t interval (definition in
  :data:`lithiophilic.analysis.aggregation.RATE_DEFINITION`).
"""

from __future__ import annotations

import base64
import itertools
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lithiophilic.analysis.aggregation import (
    analyze_trajectory,
    cluster_frame,
    iter_frames,
    li_li_cutoff_a,
    rate_over_replicas,
    sample_frames,
)
from lithiophilic.errors import CalculationFailed
from lithiophilic.structures import to_builtin
from lithiophilic.structures.md_slab import scale_lattice

__all__ = [
    "common_cutoff_frames",
    "fit_lattice_constant_a",
    "rate_summary",
    "trajectory_snapshots",
]

#: Relative lattice-constant range of the energy–volume scan.
_SCAN = np.linspace(0.96, 1.04, 9)


def fit_lattice_constant_a(bulk: Any, potential: str) -> tuple[float, dict[str, list[float]]]:
    """Return the lattice constant minimising the potential energy of ``bulk`` (scaled uniformly).

    Nine energies between 0.96 and 1.04 × ``bulk.info["a_a"]``, quadratic fit around the
    lowest point.

    Raises
    ------
    CalculationFailed
        If the minimum lies at the edge of the scan.
    """
    from lithiophilic.potentials import CalculatorSpec, get_calculator

    calc = get_calculator(CalculatorSpec("lammps", {"potential": potential}))
    a0 = float(bulk.info["a_a"])
    cell = bulk.copy()
    widths = abs(np.linalg.det(cell.cell)) / np.linalg.norm(
        np.cross(cell.cell[[1, 2, 0]], cell.cell[[2, 0, 1]]), axis=1
    )
    cell = cell.repeat(tuple(math.ceil(9.0 / w) for w in widths))
    a_values = a0 * _SCAN
    energies = []
    for a in a_values:
        atoms = scale_lattice(cell, float(a))
        atoms.calc = calc
        energies.append(atoms.get_potential_energy() / len(atoms))
    e = np.asarray(energies)
    i = int(np.argmin(e))
    if i in (0, len(e) - 1):
        msg = (
            f"lattice constant: the energy minimum of {potential!r} lies outside "
            f"{a_values[0]:.3f}-{a_values[-1]:.3f} Å; give lattice_constant_a"
        )
        raise CalculationFailed(msg)
    c2, c1, _ = np.polyfit(a_values[i - 1 : i + 2], e[i - 1 : i + 2], 2)
    return float(-c1 / (2 * c2)), {"a_a": a_values.tolist(), "energy_per_atom_ev": e.tolist()}


def trajectory_snapshots(
    traj: Path, slab: Any, cutoff_a: float, timestep_fs: float, n_frames: int, n_shots: int = 4
) -> dict[str, Any]:
    """Return Li xy and cluster labels at ``n_shots`` evenly spaced frames, plus the top plane.

    Parameters
    ----------
    traj
        LAMMPS dump of the run.
    slab
        The clean slab (ASE ``Atoms`` with ``info["z_top_a"]``).
    cutoff_a
        Li–Li cluster cutoff, Å.
    timestep_fs
        MD time step, fs.
    n_frames
        Frames in the trajectory.
    n_shots
        Snapshots to take.
    """
    wanted = set(np.linspace(0, n_frames - 1, n_shots).round().astype(int).tolist())
    shots = []
    for frame in iter_frames(traj, timestep_fs=timestep_fs):
        if frame.index in wanted:
            li = frame.select("Li")
            res = cluster_frame(li, frame.cell, frame.pbc, cutoff_a, index=frame.index)
            shots.append(
                {
                    "frame": frame.index,
                    "time_ps": frame.time_ps,
                    "li_xy": li[:, :2].round(3).tolist(),
                    "labels": res.labels.tolist(),
                }
            )
    z = slab.positions[:, 2]
    top = z > float(slab.info["z_top_a"]) - 1.0
    return {
        "cell2d": np.asarray(slab.cell)[:2, :2].tolist(),
        "substrate_xy": slab.positions[top, :2].round(3).tolist(),
        "substrate_symbols": np.asarray(slab.get_chemical_symbols())[top].tolist(),
        "frames": shots,
    }


def common_cutoff_frames(
    done: Sequence[Mapping[str, Any]], cutoff_a: float | None
) -> tuple[float, str, list[list[dict[str, Any]]]]:
    """Return one cutoff for all replicas (pooled Li-Li distribution unless given) and their metrics.

    Parameters
    ----------
    done
        Completed replica documents (``frames``, ``replica``, ``timestep_fs`` and the
        loaded ``trajectory``).
    cutoff_a
        Li–Li cutoff, Å; ``None``: first minimum of the Li–Li distribution pooled over the
        replicas' trajectories.
    """
    if cutoff_a is not None:
        return cutoff_a, "given", [list(d["frames"]) for d in done]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for d in done:
            path = Path(tmp) / f"r{d['replica']}.lammpstrj.gz"
            path.write_bytes(base64.b64decode(d["trajectory"]["content"]))
            paths.append(path)
        cutoff, source = li_li_cutoff_a(itertools.chain(*(sample_frames(p) for p in paths)))
        frames = [
            analyze_trajectory(p, cutoff_a=cutoff, timestep_fs=d["timestep_fs"])["frames"]
            for p, d in zip(paths, done, strict=True)
        ]
    return cutoff, f"{source}, pooled over {len(done)} replicas", frames


def rate_summary(
    material: str,
    docs: Sequence[Mapping[str, Any]],
    uuids: Sequence[str] | None = None,
    cutoff_a: float | None = None,
) -> dict[str, Any]:
    """Return the fields of an ``AggregationRateDoc`` for the replica documents ``docs``.

    Fits the aggregation rate of each completed replica; mean and t-interval over replicas.
    All replicas use one Li-Li cutoff (see :func:`common_cutoff_frames`). With no completed
    replica the status is ``failed`` and no rate is given.
    """
    done = [d for d in docs if d["status"] == "completed"]
    failed = {
        str(d["replica"]): str(d["failure_reason"]) for d in docs if d["status"] != "completed"
    }
    first = docs[0]
    common = {
        "material": material,
        "n_replicas": len(docs),
        "n_completed": len(done),
        "failed_replicas": failed,
        "potential": first["calculator_model"],
        "validated_for_science": first["validated_for_science"],
        "warnings": sorted({w for d in docs for w in d.get("warnings", [])}),
        "replica_uuids": list(uuids or []),
    }
    if not done:
        return {"status": "failed", **common}
    cutoff, source, replica_frames = common_cutoff_frames(done, cutoff_a)
    replicas = [
        {
            key: [f[key] for f in frames]
            for key in ("time_ps", "isolated_fraction", "mean_cluster_size")
        }
        for frames in replica_frames
    ]
    stats = rate_over_replicas(replicas)
    k = stats["k_per_ps"]
    return {
        "status": "completed",
        "k_per_ps": k["mean"],
        "k_ci_low_per_ps": k["ci_low"],
        "k_ci_high_per_ps": k["ci_high"],
        "k_per_ps_replicas": stats["k_per_ps_replicas"],
        "cluster_growth_per_ps": stats["cluster_growth_per_ps"]["mean"],
        "statistics": to_builtin(stats),
        "cutoff_a": cutoff,
        "cutoff_source": source,
        "cutoffs_a": [float(d["cutoff_a"]) for d in done],
        "replica_frames": replica_frames,
        **common,
    }
