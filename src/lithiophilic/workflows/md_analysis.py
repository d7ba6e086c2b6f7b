"""What the Li-aggregation jobs compute from LAMMPS (no job here: :mod:`.md` wires these in).

* :func:`fit_lattice_constant_a` — the substrate's lattice constant for the MD potential
  (energy–volume scan, quadratic fit around the minimum);
* :func:`trajectory_snapshots` — Li positions and cluster labels at a few times (Fig. 5g);
* :func:`common_cutoff_frames` — one Li–Li cutoff for all replicas of a surface and their
  per-frame cluster metrics with it;
* :func:`rate_summary` — the fields of
  :class:`~lithiophilic.workflows.md.AggregationRateDoc`: the relaxation kinetics
  (k, φ∞, t½, r0) over the completed replicas with Student-t intervals at every analysis
  cutoff and window, the window checks, and the Li lateral diffusion coefficient
  (definitions in :data:`lithiophilic.analysis.aggregation_kinetics.KINETICS_DEFINITION`);
* :func:`describe_start`, :func:`first_frame_min_distance_a` — what ran before the first
  analysed frame, and that frame's smallest Li–Li distance.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import math
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lithiophilic.analysis.aggregation import (
    analyze_trajectory,
    cluster_frame,
    iter_frames,
    li_li_cutoff_a,
    li_pairs,
    sample_frames,
)
from lithiophilic.analysis.aggregation_kinetics import (
    KINETICS_DEFINITION,
    lateral_diffusion_a2_per_ps,
    surface_kinetics,
    t_interval,
    window_check,
)
from lithiophilic.errors import AnalysisError, CalculationFailed
from lithiophilic.structures import to_builtin
from lithiophilic.structures.md_slab import scale_lattice

__all__ = [
    "common_cutoff_frames",
    "cutoff_kinetics",
    "describe_start",
    "first_frame_min_distance_a",
    "fit_lattice_constant_a",
    "md_substrate_cache_key",
    "rate_summary",
    "trajectory_snapshots",
]

#: Relative lattice-constant range of the energy–volume scan.
_SCAN = np.linspace(0.96, 1.04, 9)


def md_substrate_cache_key(
    bulk: Any, potential: str, calculator: str | None, slab: Mapping[str, Any]
) -> str:
    """Cache key of an MD substrate: the bulk, the E(V) scan and the slab settings.

    The bulk's structure hash and starting lattice constant, the scan's calculator key (name,
    version, model or potential files: ``calculator`` or else the LAMMPS ``potential``) and
    points, and ``slab`` (label, Miller index, sizes, vacuum, a given lattice constant). A
    stored substrate with this key is reused whole: built again elsewhere, a float32 MLIP's
    E(V) energies and the slab's site order (sorted by height, so float noise reorders atoms
    of one plane) may differ in the last bits, which changes the slab's hash and every MD
    cache key built on it.
    """
    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.provenance import structure_hash
    from lithiophilic.workflows.base import calc_cache_key

    if calculator is not None:
        from lithiophilic.workflows.md_ase import ase_calculator_spec

        spec = ase_calculator_spec(calculator)
    else:
        spec = CalculatorSpec("lammps", {"potential": potential})
    settings = {"a0_a": float(bulk.info["a_a"]), "scan": _SCAN.tolist(), **slab}
    return calc_cache_key(structure_hash(bulk), spec, "md-substrate", settings)


def fit_lattice_constant_a(
    bulk: Any, potential: str, calculator: str | None = None
) -> tuple[float, dict[str, list[float]]]:
    """Return the lattice constant minimising the potential energy of ``bulk`` (scaled uniformly).

    Nine energies between 0.96 and 1.04 × ``bulk.info["a_a"]``, quadratic fit around the
    lowest point, with the LAMMPS ``potential`` or, if given, the ASE-engine ``calculator``
    (``"sevenn"``, another registry name or ``"lammps:<potential>"``).

    Raises
    ------
    CalculationFailed
        If the minimum lies at the edge of the scan.
    """
    from lithiophilic.potentials import CalculatorSpec, get_calculator

    if calculator is not None:
        from lithiophilic.workflows.md_ase import make_calculator

        calc, scanned_with = make_calculator(calculator), calculator
    else:
        calc = get_calculator(CalculatorSpec("lammps", {"potential": potential}))
        scanned_with = potential
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
            f"lattice constant: the energy minimum of {scanned_with!r} lies outside "
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


def describe_start(settings: Any) -> str:
    """Return, in words, what ran before the first analysed frame (``MdSettings``)."""
    s = settings
    if s.li_start == "minimized-free":
        start = (
            "conjugate-gradient minimisation of all mobile atoms (Li free), " if s.minimize else ""
        ) + "velocities at the target temperature, analysed run from step 0"
    else:
        start = (
            (
                "conjugate-gradient minimisation with the Li held at their dispersed in-plane "
                "placement (Li relax along z only); "
                if s.minimize
                else ""
            )
            + f"{s.equilibration_steps} steps ({s.equilibration_steps * s.timestep_fs / 1000:g} "
            f"ps) of substrate-only Langevin thermalisation at {s.temperature_k:g} K with the Li "
            "frozen; Li given Maxwell-Boltzmann velocities; analysed run from step 0 (first frame "
            "= the dispersed placement)"
        )
    bath = "every mobile atom, Li included" if s.thermostat_li else "the mobile substrate only"
    return f"{start}. Thermostat ({s.thermostat}, {s.damping_ps:g} ps) on {bath}" + (
        "" if s.thermostat_li else "; Li integrated NVE"
    )


def first_frame_min_distance_a(traj: Path, element: str = "Li") -> float | None:
    """Return the smallest ``element``–``element`` distance in the first frame, Å (None: < 2 Li)."""
    frame = next(iter_frames(traj), None)
    if frame is None:
        return None
    pos = frame.select(element)
    if len(pos) < 2:
        return None
    span = float(np.linalg.norm(frame.cell[:2], axis=1).max())
    _, _, d = li_pairs(pos, frame.cell, frame.pbc, span)
    return float(d.min()) if len(d) else None


@contextlib.contextmanager
def _trajectories(done: Sequence[Mapping[str, Any]]) -> Iterator[list[Path]]:
    """Write the replicas' stored (base64 gzip) trajectories to temporary files (dump or extxyz)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for d in done:
            fmt = d["trajectory"].get("format", "lammps-dump")
            suffix = "extxyz.gz" if fmt == "extxyz" else "lammpstrj.gz"
            path = Path(tmp) / f"r{d['replica']}.{suffix}"
            path.write_bytes(base64.b64decode(d["trajectory"]["content"]))
            paths.append(path)
        yield paths


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
    with _trajectories(done) as paths:
        cutoff, source = li_li_cutoff_a(itertools.chain(*(sample_frames(p) for p in paths)))
        frames = [
            analyze_trajectory(p, cutoff_a=cutoff, timestep_fs=d["timestep_fs"])["frames"]
            for p, d in zip(paths, done, strict=True)
        ]
    return cutoff, f"{source}, pooled over {len(done)} replicas", frames


def cutoff_kinetics(
    replica_frames: Sequence[Sequence[Mapping[str, Any]]], cutoff_a: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the kinetics rows (one per window) and window checks of one surface at one cutoff.

    Window checks compare the first half with the whole run for r0 (the verdict quantity),
    k and φ∞; a first half with fewer than three frames has no row and fails its checks.

    Raises
    ------
    AnalysisError
        If the whole run has fewer than three frames.
    """
    rows = {"whole": {"cutoff_a": cutoff_a, **surface_kinetics(replica_frames, window="whole")}}
    quantities = ("r0_per_ps", "k_per_ps", "phi_inf")
    try:
        half = surface_kinetics(replica_frames, window="first-half")
    except AnalysisError as exc:
        checks = [
            {"cutoff_a": cutoff_a, "quantity": q, "stable": False, "overlap": None,
             "relative_difference": None, "reason": f"window-dependent: no first-half fit ({exc})"}
            for q in quantities
        ]  # fmt: skip
        return list(rows.values()), checks
    rows["first-half"] = {"cutoff_a": cutoff_a, **half}
    checks = [
        {"cutoff_a": cutoff_a, **window_check(rows["whole"], rows["first-half"], q)}
        for q in quantities
    ]
    return list(rows.values()), checks


def _diffusion(done: Sequence[Mapping[str, Any]], paths: Sequence[Path]) -> dict[str, Any]:
    """Return the Li lateral diffusion coefficient per replica and over replicas, Å²/ps.

    Too short a run for the MSD fit gives ``None`` and the reason in ``diffusion_note``.
    """
    per_replica, lags = [], None
    for d, path in zip(done, paths, strict=True):
        frames = list(iter_frames(path, timestep_fs=d["timestep_fs"]))
        xy = np.array([f.select("Li")[:, :2] for f in frames])
        try:
            res = lateral_diffusion_a2_per_ps(
                [f.time_ps for f in frames], xy, np.asarray(frames[0].cell)[:2, :2]
            )
        except AnalysisError as exc:
            return {"li_diffusion_a2_per_ps": None, "diffusion_note": str(exc)}
        per_replica.append(res["d_a2_per_ps"])
        lags = res["fit_lags_ps"]
    stats = t_interval(per_replica)
    ci = None if stats["ci_low"] is None else [stats["ci_low"], stats["ci_high"]]
    return {
        "li_diffusion_a2_per_ps": stats["mean"],
        "li_diffusion_ci_a2_per_ps": ci,
        "li_diffusion_replicas_a2_per_ps": per_replica,
        "diffusion_fit_lags_ps": lags,
        "diffusion_note": f"D = MSD slope/4 over lags {lags} ps (origin-averaged, unwrapped)",
    }


def _all_cutoffs(done: Sequence[Mapping[str, Any]], cutoffs_a: Sequence[float]) -> dict[str, Any]:
    """Return kinetics and window checks at every analysis cutoff, and the Li diffusion."""
    kinetics: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    with _trajectories(done) as paths:
        for cutoff in sorted(cutoffs_a):
            frames = [
                analyze_trajectory(p, cutoff_a=cutoff, timestep_fs=d["timestep_fs"])["frames"]
                for p, d in zip(paths, done, strict=True)
            ]
            rows, chk = cutoff_kinetics(frames, float(cutoff))
            kinetics += rows
            checks += chk
        diffusion = _diffusion(done, paths)
    return {"kinetics": kinetics, "window_checks": checks, **diffusion}


def _engine_and_potential(md: Mapping[str, Any]) -> dict[str, str]:
    """Return the engine and the potential name of a replica document.

    LAMMPS runs: the potential's name, as always. ASE-engine runs: ``"ase:<calculator>"``
    (``"ase:sevenn"``, ``"ase:lammps:licuzn-eam"``), so they are never taken for LAMMPS runs.
    """
    settings = md.get("settings") or {}
    if settings.get("engine", "lammps") == "ase":
        return {"engine": "ase", "potential": f"ase:{settings['calculator']}"}
    return {"engine": "lammps", "potential": str(md["calculator_model"])}


def rate_summary(
    material: str,
    docs: Sequence[Mapping[str, Any]],
    uuids: Sequence[str] | None = None,
    cutoff_a: float | None = None,
    analysis_cutoffs_a: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Return the fields of an ``AggregationRateDoc`` for the replica documents ``docs``.

    At the common cutoff (see :func:`common_cutoff_frames`): the relaxation fit (k, φ∞,
    t½, r0; :func:`~lithiophilic.analysis.aggregation_kinetics.surface_kinetics`) over the
    whole run, mean and t-interval over the completed replicas. At every cutoff of
    ``analysis_cutoffs_a`` (default ``defaults.MD_ANALYSIS_CUTOFFS_A``) and both windows:
    the same, with the window checks; the Li lateral diffusion coefficient. With no
    completed replica the status is ``failed`` and no rate is given.
    """
    from lithiophilic import defaults

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
        **_engine_and_potential(first),
        "validated_for_science": first["validated_for_science"],
        "warnings": sorted({w for d in docs for w in d.get("warnings", [])}),
        "replica_uuids": list(uuids or []),
        "start_protocol": first.get("start_protocol"),
        "definition": KINETICS_DEFINITION,
    }
    if not done:
        return {"status": "failed", **common}
    cutoffs = list(
        defaults.MD_ANALYSIS_CUTOFFS_A if analysis_cutoffs_a is None else analysis_cutoffs_a
    )
    cutoff, source, replica_frames = common_cutoff_frames(done, cutoff_a)
    stats = surface_kinetics(replica_frames, window="whole")
    growth = [
        float(np.polyfit([f["time_ps"] for f in fr], [f["mean_cluster_size"] for f in fr], 1)[0])
        for fr in replica_frames
    ]
    stats["cluster_growth_per_ps"] = t_interval(growth)
    ci = stats["k_per_ps_ci"] or [None, None]
    return {
        "status": "completed",
        "k_per_ps": stats["k_per_ps"],
        "k_ci_low_per_ps": ci[0],
        "k_ci_high_per_ps": ci[1],
        "k_per_ps_replicas": stats["k_per_ps_replicas"],
        "cluster_growth_per_ps": stats["cluster_growth_per_ps"]["mean"],
        "statistics": to_builtin(stats),
        "cutoff_a": cutoff,
        "cutoff_source": source,
        "cutoffs_a": [float(d["cutoff_a"]) for d in done],
        "replica_frames": replica_frames,
        "analysis_cutoffs_a": [float(c) for c in sorted(cutoffs)],
        **to_builtin(_all_cutoffs(done, cutoffs)),
        **common,
    }
