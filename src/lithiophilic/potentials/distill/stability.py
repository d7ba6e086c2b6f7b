"""LAMMPS stability runs of a distilled potential: Li on (111) slabs, NVT then optional NVE.

Pure functions (no jobflow): :func:`run_stability` checks at every sampled frame that no
atom is lost, no Li sinks into the slab, no two atoms come too close and the temperature
stays bounded; :func:`measure_speed` measures atom-steps per CPU-second. Active learning
(:mod:`lithiophilic.potentials.distill.active_learning`) explores with these runs and
validation (:mod:`lithiophilic.potentials.distill.validation`) reports them.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import CalculationFailed
from lithiophilic.potentials.distill.frames import make_li_on_slab, make_slab_111
from lithiophilic.potentials.lammps import import_lammps

if TYPE_CHECKING:
    from ase import Atoms

    from lithiophilic.potentials.lammps import LammpsPotential

__all__ = ["make_stability_system", "measure_speed", "run_stability"]

logger = logging.getLogger(__name__)


def make_stability_system(
    substrate: str, *, size: tuple[int, int, int], n_li: int, seed: int
) -> Atoms:
    """Return a (111) slab (Cu or random Cu0.64Zn0.36) with ``n_li`` dispersed Li on top.

    Li starts 2.3–2.5 Å above the top plane at random lateral positions (≥ 3 Å apart): at or
    slightly above the on-top bond length, so no start is inside the repulsive wall.
    """
    rng = np.random.default_rng(seed)
    slab = make_slab_111(substrate, size=size, vacuum_a=10.0, rng=rng)  # type: ignore[arg-type]
    return make_li_on_slab(slab, n_li, rng, height_range_a=(2.3, 2.5), min_li_li_a=3.0)


def _lammps_md_setup(lmp: Any, atoms: Atoms, pot: LammpsPotential, workdir: Path) -> None:
    from ase.io import write

    data = workdir / "system.data"
    write(
        data,
        atoms,
        format="lammps-data",
        specorder=list(pot.elements),
        masses=True,
        atom_style="atomic",
    )
    for cmd in ["units metal", "atom_style atomic", "boundary p p f", f"read_data {data}"]:
        lmp.command(cmd)
    for cmd in pot.commands():
        lmp.command(cmd)
    lmp.command("neighbor 1.0 bin")


@dataclass
class _StabilityTrace:
    """What an NVT stability run has seen so far (sampled frames and the checks)."""

    frames: list[Atoms] = field(default_factory=list)
    temps: list[float] = field(default_factory=list)
    worst_sink: int = 0
    min_d: float = np.inf
    lost: int = 0
    failure: str = ""
    done: int = 0


def _start_nvt(
    lmp: Any, *, z_fix: float, temperature_k: float, timestep_fs: float, seed: int
) -> None:
    """Freeze the atoms below ``z_fix`` and start Langevin NVT of the others."""
    for cmd in (
        f"region bottom block INF INF INF INF INF {z_fix}",
        "group fixed region bottom",
        "group mobile subtract all fixed",
        "fix freeze fixed setforce 0.0 0.0 0.0",
        f"velocity mobile create {temperature_k} {seed} dist gaussian",
        "velocity fixed set 0.0 0.0 0.0",
        f"timestep {timestep_fs / 1000.0}",
        "fix nve mobile nve",
        f"fix lang mobile langevin {temperature_k} {temperature_k} 0.1 {seed}",
        "compute tmob mobile temp",
        "thermo_modify lost warn",
    ):
        lmp.command(cmd)


def _run_and_check(
    lmp: Any,
    trace: _StabilityTrace,
    *,
    n_steps: int,
    sample_every: int,
    symbols: np.ndarray,
    temperature_k: float,
    z_top0: float,
) -> None:
    """Run ``n_steps`` in chunks, sampling and checking a frame after each; stop at a failure."""
    n0 = int(lmp.get_natoms())
    while trace.done < n_steps:
        chunk = min(sample_every, n_steps - trace.done)
        try:
            lmp.command(f"run {chunk} pre no post no")
        except Exception as exc:
            trace.failure = f"LAMMPS stopped at step {trace.done}: {exc}"
            return
        trace.done += chunk
        frame = _snapshot(lmp, symbols)
        trace.lost = n0 - len(frame)
        if trace.lost:
            trace.failure = f"{trace.lost} atoms lost by step {trace.done}"
            return
        trace.temps.append(float(lmp.extract_compute("tmob", 0, 0)))
        li = frame.positions[frame.numbers == 3, 2]
        z_top = frame.positions[frame.numbers != 3, 2].max()
        trace.worst_sink = max(trace.worst_sink, int(np.sum(li < min(z_top, z_top0) - 0.5)))
        d = frame.get_all_distances(mic=True)
        np.fill_diagonal(d, np.inf)
        trace.min_d = min(trace.min_d, float(d.min()))
        frame.info.update({"step": trace.done, "temperature_k": trace.temps[-1]})
        trace.frames.append(frame)
        if not np.isfinite(trace.temps[-1]) or trace.temps[-1] > 3.0 * temperature_k:
            trace.failure = f"temperature {trace.temps[-1]:.0f} K at step {trace.done}"
            return


def run_stability(
    atoms: Atoms,
    pot: LammpsPotential,
    *,
    temperature_k: float,
    time_ps: float,
    timestep_fs: float = 2.0,
    n_fixed_layers: int = 2,
    sample_every: int = 250,
    seed: int = 1,
    nve_ps: float = 0.0,
) -> dict[str, Any]:
    """Run Langevin NVT of Li on a slab in LAMMPS and check it stays physical.

    The bottom ``n_fixed_layers`` are frozen.  Checks at every sampled frame: atoms lost
    (LAMMPS drops atoms leaving the non-periodic z box), Li below the top substrate layer
    ("sinking"), the minimum interatomic distance, and the temperature.  An optional NVE
    continuation measures the energy drift.

    Returns
    -------
    dict
        ``stable`` (bool), ``lost_atoms``, ``li_below_top_layer_max``, ``min_distance_a``,
        temperature mean/std (K) over the second half, NVE drift (meV/atom/ps), the sampled
        frames (``frames``: list of Atoms, kept in memory for active learning), wall time.
    """
    lammps = import_lammps()
    n_steps = round(time_ps * 1000.0 / timestep_fs)
    n_li = sum(1 for s in atoms.get_chemical_symbols() if s == "Li")
    sub = np.array([s != "Li" for s in atoms.get_chemical_symbols()])
    layers = np.unique(np.round(atoms.positions[sub, 2], 1))
    trace = _StabilityTrace()
    with tempfile.TemporaryDirectory(prefix="stab-") as tmp:
        lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
        try:
            _lammps_md_setup(lmp, atoms, pot, Path(tmp))
            _start_nvt(
                lmp,
                z_fix=layers[n_fixed_layers - 1] + 0.1,
                temperature_k=temperature_k,
                timestep_fs=timestep_fs,
                seed=seed,
            )
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            _run_and_check(
                lmp,
                trace,
                n_steps=n_steps,
                sample_every=sample_every,
                symbols=np.array(list(pot.elements)),
                temperature_k=temperature_k,
                z_top0=layers[-1],
            )
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            drift = None
            if not trace.failure and nve_ps > 0:
                drift = _nve_drift(lmp, nve_ps, timestep_fs, len(atoms))
        finally:
            lmp.close()
    half = trace.temps[len(trace.temps) // 2 :] or [np.nan]
    stable = not trace.failure and trace.worst_sink == 0 and trace.min_d > 1.5
    return {
        "n_atoms": len(atoms),
        "n_li": n_li,
        "temperature_k": temperature_k,
        "time_ps": time_ps,
        "timestep_fs": timestep_fs,
        "steps_done": trace.done,
        "stable": bool(stable),
        "failure": trace.failure,
        "lost_atoms": int(trace.lost),
        "li_below_top_layer_max": trace.worst_sink,
        "min_distance_a": float(trace.min_d),
        "temperature_mean_k": float(np.mean(half)),
        "temperature_std_k": float(np.std(half)),
        "nve_drift_mev_per_atom_per_ps": drift,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "atom_steps_per_cpu_s": float(len(atoms) * trace.done / cpu) if cpu > 0 else None,
        "frames": trace.frames,
    }


def _snapshot(lmp: Any, symbols: np.ndarray) -> Atoms:
    from ase import Atoms

    n = int(lmp.extract_global("nlocal"))  # one MPI rank: local atoms are all atoms
    x = np.array(lmp.numpy.extract_atom("x")[:n], dtype=float)
    t = np.array(lmp.numpy.extract_atom("type")[:n], dtype=int)
    # LAMMPS (restricted triclinic) frame -> back to the input frame via the data-file rotation
    boxlo, boxhi, xy, yz, xz, _, _ = lmp.extract_box()
    cell = np.array(
        [[boxhi[0] - boxlo[0], 0, 0], [xy, boxhi[1] - boxlo[1], 0], [xz, yz, boxhi[2] - boxlo[2]]]
    )
    a = Atoms(symbols[t - 1], positions=x - np.array(boxlo), cell=cell, pbc=[True, True, False])
    a.wrap()
    a.positions[:, 2] += boxlo[2]
    return a


def _nve_drift(lmp: Any, nve_ps: float, timestep_fs: float, n_atoms: int) -> float:
    """Run NVE (thermostat off) and return the linear drift of the total energy, meV/atom/ps."""
    lmp.command("unfix lang")
    lmp.command("thermo_style custom step temp pe ke etotal")
    lmp.command("thermo_modify lost warn")  # thermo_style resets thermo_modify
    n = round(nve_ps * 1000.0 / timestep_fs)
    chunk = max(1, n // 20)
    es, ts = [], []
    for i in range(20):
        # the first run after changing fixes needs LAMMPS's setup ("pre yes")
        lmp.command(f"run {chunk} pre {'yes' if i == 0 else 'no'} post no")
        es.append(float(lmp.get_thermo("etotal")))
        ts.append((i + 1) * chunk * timestep_fs / 1000.0)
    if int(lmp.get_natoms()) != n_atoms:
        logger.warning("NVE run lost atoms; no drift reported")
        return float("nan")
    slope = np.polyfit(ts, es, 1)[0]
    return float(1000.0 * slope / n_atoms)


def measure_speed(
    pot: LammpsPotential,
    atoms: Atoms,
    *,
    n_steps: int = 200,
    timestep_fs: float = 2.0,
    temperature_k: float = 300.0,
) -> dict[str, Any]:
    """Return atom-steps per CPU-second (and per wall-second) of NVE MD with ``pot`` on ``atoms``.

    One MPI rank, one thread (``OMP_NUM_THREADS`` should be 1).  A 20-step warm-up is run first.
    """
    lammps = import_lammps()
    with tempfile.TemporaryDirectory(prefix="speed-") as tmp:
        lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
        try:
            _lammps_md_setup(lmp, atoms, pot, Path(tmp))
            lmp.command(f"velocity all create {temperature_k} 7 dist gaussian")
            lmp.command(f"timestep {timestep_fs / 1000.0}")
            lmp.command("fix nve all nve")
            lmp.command("run 20")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            lmp.command(f"run {n_steps}")
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        except Exception as exc:
            msg = f"speed run with {pot.name!r} failed: {exc}"
            raise CalculationFailed(msg) from exc
        finally:
            lmp.close()
    return {
        "n_atoms": len(atoms),
        "n_steps": n_steps,
        "cpu_s": cpu,
        "wall_s": wall,
        "atom_steps_per_cpu_s": len(atoms) * n_steps / cpu,
        "atom_steps_per_wall_s": len(atoms) * n_steps / wall,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
    }
