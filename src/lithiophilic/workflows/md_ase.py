"""ASE-engine Li-aggregation MD in restartable chunks, for the teacher and the distilled potential.

Issue 19 item 3: the same question (does Li aggregate faster on Cu(111) than on
Cu0.64Zn0.36(111)?) asked of SevenNet-0 itself, which LAMMPS cannot run, and of a distilled
potential in the same engine on the identical system and seeds, so the comparison is like for
like. The protocol is that of the LAMMPS path (:mod:`lithiophilic.workflows.md_engine`,
``li_start="held-apart"``, ``thermostat_li=False``):

1. minimisation (BFGS) with the Li held in-plane (they relax along z only) and the bottom
   planes fixed: the dispersed placement survives;
2. ``equilibration_steps`` of substrate-only Langevin thermalisation with the Li frozen
   (substrate velocities Maxwell–Boltzmann at ``temperature_k``);
3. Li velocities Maxwell–Boltzmann, step 0: the analysed run. The thermostat (Langevin, BAOAB
   splitting, friction 1/``damping_ps``) acts on the mobile substrate only; the Li are
   integrated NVE (velocity Verlet), so no friction acts on the kinetics being measured.

Restart: the run advances in chunks of ``chunk_steps``. After each chunk the state (step,
positions, velocities, the random generator's state) is written atomically to
``WORKDIR/state.npz`` together with that chunk's frames (``frames_NNNNN.extxyz``, Li only, with
``step`` and ``time_ps``); a rerun continues from the last stored chunk, so a run survives the
end of a session. The stored state is exact (float64, the generator's full state): two chunks
of N steps give the same trajectory as one run of 2N steps with the same seed. The start
protocol (steps 1–2, ~1100 force calls, half an hour with SevenNet-0 on 154 atoms) is stored in
pieces of ``chunk_steps`` optimiser or MD steps too (``WORKDIR/prep.npz``: positions, the BFGS
Hessian and last step, or the velocities and the generator's state), and removed once step 0
is stored.

Checks after every chunk (a failed run is reported with its reason and never analysed): the
mobile-atom temperature is finite and below ``max_temperature_factor`` × ``temperature_k``, no
Li is more than ``li_max_height_a`` above or ``li_max_depth_a`` below the clean top plane.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic import defaults
from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

    from lithiophilic.potentials import CalculatorSpec

__all__ = [
    "ASE_MD_PROTOCOL",
    "AseMdSettings",
    "aggregation_system",
    "analyze_ase_md",
    "ase_calculator_spec",
    "make_calculator",
    "run_ase_md",
    "trajectory_path",
]

logger = logging.getLogger(__name__)

STATE_NAME = "state.npz"
PREP_NAME = "prep.npz"
SETTINGS_NAME = "settings.json"
FRAMES_GLOB = "frames_*.extxyz"

ASE_MD_PROTOCOL = (
    "ASE engine: minimisation with the Li held in-plane (z free), substrate-only Langevin "
    "thermalisation with the Li frozen, then Li Maxwell-Boltzmann velocities at step 0; "
    "analysed run: Langevin (BAOAB) on the mobile substrate only, Li NVE (velocity Verlet)"
)


@dataclass(frozen=True)
class AseMdSettings:
    """Settings of one ASE aggregation run (JSON-serialisable; the state file is checked against them).

    Parameters
    ----------
    calculator
        Registry name of the calculator (``"sevenn"``) or ``"lammps:<potential>"``.
    temperature_k, timestep_fs, damping_ps
        Thermostat temperature (K), time step (fs), Langevin damping time (ps).
    n_steps
        Steps of the analysed run.
    chunk_steps
        Steps between stored states (and run-time checks).
    dump_every
        Steps between stored frames (a multiple divides ``chunk_steps``).
    seed
        Seed of the velocities and the Langevin noise.
    equilibration_steps
        Substrate-only thermalisation before step 0 (Li frozen).
    minimize_fmax_ev_per_a
        Force threshold of the start minimisation (0: no minimisation).
    max_temperature_factor, li_max_height_a, li_max_depth_a
        Run-time checks (see the module docstring).
    """

    calculator: str
    temperature_k: float = defaults.MD_TEMPERATURE_K
    timestep_fs: float = defaults.MD_TIMESTEP_FS
    n_steps: int = 5000
    chunk_steps: int = 200
    dump_every: int = 20
    seed: int = 1
    damping_ps: float = defaults.MD_DAMPING_PS
    equilibration_steps: int = 200
    minimize_fmax_ev_per_a: float = 0.05
    max_temperature_factor: float = defaults.MD_MAX_TEMPERATURE_FACTOR
    li_max_height_a: float = defaults.MD_LI_MAX_HEIGHT_A
    li_max_depth_a: float = defaults.MD_LI_MAX_DEPTH_A

    def __post_init__(self) -> None:
        checks = {
            "timestep_fs": 0 < self.timestep_fs <= 5.0,
            "n_steps": self.n_steps >= 1,
            "chunk_steps": self.chunk_steps >= 1,
            "dump_every": self.dump_every >= 1 and self.chunk_steps % self.dump_every == 0,
            "temperature_k": self.temperature_k > 0,
            "damping_ps": self.damping_ps > 0,
            "equilibration_steps": self.equilibration_steps >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                msg = (
                    f"{name}={getattr(self, name)!r} not allowed: timestep_fs in (0, 5], "
                    "n_steps/chunk_steps >= 1, dump_every >= 1 dividing chunk_steps, "
                    "temperature_k and damping_ps > 0, equilibration_steps >= 0"
                )
                raise ConfigurationError(msg)


def ase_calculator_spec(name: str) -> CalculatorSpec:
    """Return the spec of ``name`` (``"sevenn"``, another registry name, or ``"lammps:<pot>"``).

    Raises
    ------
    ConfigurationError
        If the name is not a registered calculator or ``lammps:`` names no registered potential.
    """
    from lithiophilic.potentials import CalculatorSpec

    if name.startswith("lammps:"):
        from lithiophilic.potentials.lammps import LAMMPS_POTENTIALS

        pot = name.split(":", 1)[1]
        if pot not in LAMMPS_POTENTIALS:
            msg = (
                f"calculator={name!r}: unknown LAMMPS potential {pot!r}; registered are "
                f"{sorted(LAMMPS_POTENTIALS)}"
            )
            raise ConfigurationError(msg)
        return CalculatorSpec("lammps", {"potential": pot})
    return CalculatorSpec(name)


def make_calculator(name: str) -> Calculator:
    """Return the calculator ``name`` (``"sevenn"``, another registry name, or ``"lammps:<pot>"``)."""
    from lithiophilic.potentials import get_calculator

    return get_calculator(ase_calculator_spec(name))


class _System:
    """Masks, masses and the Li checks of one run."""

    def __init__(self, atoms: Atoms, z_top_a: float | None = None) -> None:
        from ase.constraints import FixAtoms

        n = len(atoms)
        self.fixed = np.zeros(n, dtype=bool)
        for c in atoms.constraints:
            if isinstance(c, FixAtoms):
                self.fixed[c.index] = True
        self.li = np.array([s == "Li" for s in atoms.get_chemical_symbols()])
        self.bath = ~self.fixed & ~self.li
        self.mobile = ~self.fixed
        self.masses = atoms.get_masses()[:, None]
        sub = ~self.li
        z = atoms.positions[sub, 2]
        self.z_top_a = float(z_top_a if z_top_a is not None else z[z > z.max() - 0.7].mean())


def _temperature_k(v: np.ndarray, masses: np.ndarray, mask: np.ndarray) -> float:
    from ase import units

    if not mask.any():
        return 0.0
    ekin = 0.5 * float(np.sum(masses[mask] * v[mask] ** 2))
    return 2.0 * ekin / (3.0 * int(mask.sum()) * units.kB)


def _maxwell(
    rng: np.random.Generator, masses: np.ndarray, t_k: float, mask: np.ndarray
) -> np.ndarray:
    from ase import units

    v = rng.standard_normal((len(masses), 3)) * np.sqrt(units.kB * t_k / masses)
    v[~mask] = 0.0
    if mask.sum() > 1:
        v[mask] -= np.sum(masses[mask] * v[mask], axis=0) / masses[mask].sum()
    return v


def _baoab(
    atoms: Atoms,
    v: np.ndarray,
    f: np.ndarray,
    sysm: _System,
    s: AseMdSettings,
    rng: np.random.Generator,
    *,
    bath: np.ndarray,
    moving: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One step: B A O A B; O (Langevin) on ``bath`` only; atoms outside ``moving`` stay put."""
    from ase import units

    dt = s.timestep_fs * units.fs
    c1 = np.exp(-dt / (s.damping_ps * 1000.0 * units.fs))
    c2 = np.sqrt(1.0 - c1 * c1)
    m = sysm.masses
    v = v + 0.5 * dt * f / m
    v[~moving] = 0.0
    x = atoms.positions.copy()
    x[moving] += 0.5 * dt * v[moving]
    noise = rng.standard_normal(v.shape)
    v[bath] = c1 * v[bath] + c2 * np.sqrt(units.kB * s.temperature_k / m[bath]) * noise[bath]
    x[moving] += 0.5 * dt * v[moving]
    atoms.positions = x
    f = atoms.get_forces(apply_constraint=False)
    v = v + 0.5 * dt * f / m
    v[~moving] = 0.0
    return v, f


MINIMIZE_MAX_STEPS = 300


def _bfgs(work: Atoms, piece: dict[str, Any]) -> Any:
    """Return a BFGS on ``work`` that continues the stored one (Hessian, last step, count)."""
    import tempfile

    from ase.io.jsonio import write_json
    from ase.optimize import BFGS

    if piece.get("bfgs_hessian") is None:
        return BFGS(work, logfile=None)
    with tempfile.TemporaryDirectory() as tmp:  # BFGS's own restart file, read once
        path = Path(tmp) / "bfgs.json"
        with path.open("w") as fd:
            write_json(
                fd,
                (
                    piece["bfgs_hessian"],
                    piece["bfgs_pos0"],
                    piece["bfgs_forces0"],
                    float(piece["bfgs_maxstep"]),
                ),
            )
        opt = BFGS(work, restart=str(path), logfile=None)
    opt.restart = None  # no per-step restart file: the piece is stored at its end
    opt.nsteps = int(piece["bfgs_nsteps"])
    return opt


def _minimize_piece(
    atoms: Atoms, calc: Calculator, s: AseMdSettings, sysm: _System, piece: dict[str, Any]
) -> None:
    """Up to ``chunk_steps`` BFGS steps with the Li held in-plane; update ``piece`` in place."""
    from ase.constraints import FixCartesian

    work = atoms.copy()
    li = np.flatnonzero(sysm.li).tolist()
    work.set_constraint([*atoms.constraints, FixCartesian(li, mask=(True, True, False))])
    work.calc = calc
    opt = _bfgs(work, piece)
    n = min(s.chunk_steps, MINIMIZE_MAX_STEPS - opt.nsteps)
    converged = bool(opt.run(fmax=s.minimize_fmax_ev_per_a, steps=n))
    atoms.positions = work.positions
    if opt.state is not None:
        piece.update(
            bfgs_hessian=opt.H.copy(),
            bfgs_pos0=np.asarray(opt.pos0).copy(),
            bfgs_forces0=np.asarray(opt.forces0).copy(),
            bfgs_maxstep=float(opt.maxstep),
            bfgs_nsteps=int(opt.nsteps),
        )
    if converged or opt.nsteps >= MINIMIZE_MAX_STEPS:
        piece["info"].update(minimization_converged=converged, minimization_steps=int(opt.nsteps))
        piece["phase"] = "thermalize"
        for k in ("bfgs_hessian", "bfgs_pos0", "bfgs_forces0", "bfgs_maxstep", "bfgs_nsteps"):
            piece.pop(k, None)


def _thermalize_piece(
    atoms: Atoms, calc: Calculator, s: AseMdSettings, sysm: _System, piece: dict[str, Any]
) -> None:
    """Up to ``chunk_steps`` substrate-only Langevin steps (Li frozen); update ``piece``."""
    atoms.calc = calc
    if "rng" not in piece:  # the thermalisation starts: substrate velocities
        piece["rng"] = np.random.default_rng(s.seed)
        piece["v"] = _maxwell(piece["rng"], sysm.masses, s.temperature_k, sysm.bath)
        piece["eq_steps"] = 0
    v, rng = piece["v"], piece["rng"]
    f = atoms.get_forces(apply_constraint=False)
    n = min(s.chunk_steps, s.equilibration_steps - piece["eq_steps"])
    for _ in range(n):
        v, f = _baoab(atoms, v, f, sysm, s, rng, bath=sysm.bath, moving=sysm.bath)
    piece["v"], piece["eq_steps"] = v, piece["eq_steps"] + n
    if piece["eq_steps"] >= s.equilibration_steps:
        t_k = _temperature_k(v, sysm.masses, sysm.bath)
        piece["info"]["substrate_temperature_after_equilibration_k"] = t_k
        piece["phase"] = "done"


def _save_prep(workdir: Path, atoms: Atoms, piece: dict[str, Any]) -> None:
    """Store the start protocol's progress atomically (exact: float64, the generator's state)."""
    arrays: dict[str, Any] = {k: v for k, v in piece.items() if isinstance(v, np.ndarray)}
    meta = {k: v for k, v in piece.items() if k not in arrays and k != "rng"}
    if "rng" in piece:
        meta["rng_state"] = piece["rng"].bit_generator.state
    tmp = workdir / f".{PREP_NAME}.tmp.npz"
    arrays["positions"] = atoms.positions
    np.savez(tmp, meta=np.array(json.dumps(meta, default=int)), **arrays)
    os.replace(tmp, workdir / PREP_NAME)


def _load_prep(workdir: Path, atoms: Atoms) -> dict[str, Any]:
    with np.load(workdir / PREP_NAME) as d:
        atoms.positions = d["positions"].copy()
        piece = json.loads(str(d["meta"]))
        piece.update({k: d[k].copy() for k in d.files if k not in ("positions", "meta")})
    if "rng_state" in piece:
        piece["rng"] = np.random.default_rng()
        piece["rng"].bit_generator.state = piece.pop("rng_state")
    return piece


def _prepare(
    atoms: Atoms,
    calc: Calculator,
    s: AseMdSettings,
    sysm: _System,
    workdir: Path,
    max_pieces: int | None,
) -> tuple[dict[str, Any] | None, int]:
    """Run the start protocol in stored pieces; return (its end state or ``None``, pieces run).

    Minimise (Li held in-plane, ≤ ``MINIMIZE_MAX_STEPS`` BFGS steps), thermalise the substrate
    (Li frozen), give the Li velocities. Each piece (``chunk_steps`` optimiser or MD steps) is
    stored in ``WORKDIR/prep.npz`` with the optimiser's Hessian or the velocities and the
    generator's state, so a start cut by the end of a session continues with the same bits.
    ``None``: ``max_pieces`` ran out before the protocol ended.
    """
    if (workdir / PREP_NAME).is_file():
        piece = _load_prep(workdir, atoms)
    else:
        first = "minimize" if s.minimize_fmax_ev_per_a > 0 else "thermalize"
        piece = {"phase": first, "info": {"protocol": ASE_MD_PROTOCOL}, "start_wall_s": 0.0}
    runs = {"minimize": _minimize_piece, "thermalize": _thermalize_piece}
    n = 0
    while piece["phase"] != "done":
        if max_pieces is not None and n >= max_pieces:
            return None, n
        t0 = time.perf_counter()
        runs[piece["phase"]](atoms, calc, s, sysm, piece)
        piece["start_wall_s"] += time.perf_counter() - t0
        _save_prep(workdir, atoms, piece)
        n += 1
        logger.info("ASE MD %s: start protocol, %s", workdir, piece["phase"])
    v = piece["v"] + _maxwell(piece["rng"], sysm.masses, s.temperature_k, sysm.li)
    info = {**piece["info"], "start_wall_s": round(piece["start_wall_s"], 1)}
    return {"v": v, "rng": piece["rng"], "info": info}, n


def _check(atoms: Atoms, v: np.ndarray, sysm: _System, s: AseMdSettings) -> str | None:
    t = _temperature_k(v, sysm.masses, sysm.mobile)
    if not np.isfinite(t) or t > s.max_temperature_factor * s.temperature_k:
        return f"mobile-atom temperature {t:.0f} K exceeds {s.max_temperature_factor} x target"
    dz = atoms.positions[sysm.li, 2] - sysm.z_top_a
    if dz.size and dz.max() > s.li_max_height_a:
        return f"a Li is {dz.max():.1f} Å above the top plane (desorbed)"
    if dz.size and dz.min() < -s.li_max_depth_a:
        return f"a Li is {-dz.min():.1f} Å below the top plane (sunk into the slab)"
    return None


def _save_state(
    workdir: Path, step: int, atoms: Atoms, v: np.ndarray, rng: np.random.Generator, extra: dict
) -> None:
    tmp = workdir / f".{STATE_NAME}.tmp.npz"
    np.savez(
        tmp,
        step=step,
        positions=atoms.positions,
        velocities=v,
        rng_state=json.dumps(rng.bit_generator.state, default=int),
        extra=json.dumps(extra, default=float),
    )
    os.replace(tmp, workdir / STATE_NAME)


def _load_state(workdir: Path) -> dict[str, Any]:
    with np.load(workdir / STATE_NAME) as d:
        rng = np.random.default_rng()
        rng.bit_generator.state = json.loads(str(d["rng_state"]))
        return {
            "step": int(d["step"]),
            "positions": d["positions"].copy(),
            "velocities": d["velocities"].copy(),
            "rng": rng,
            "extra": json.loads(str(d["extra"])),
        }


def _write_frames(path: Path, frames: list[Atoms]) -> None:
    from ase.io import write

    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp, frames, format="extxyz")
    os.replace(tmp, path)


def _li_frame(atoms: Atoms, sysm: _System, step: int, s: AseMdSettings) -> Atoms:
    frame = atoms[sysm.li]
    frame.info = {"step": step, "time_ps": step * s.timestep_fs / 1000.0}
    return frame


def _start(
    atoms: Atoms, s: AseMdSettings, workdir: Path, calc: Calculator, max_pieces: int | None
) -> tuple[dict[str, Any] | None, int]:
    """Return (the state to continue from or ``None`` if the start is unfinished, pieces run).

    The stored state, or the start protocol continued or begun (its end stored at once).
    """
    stored_settings = workdir / SETTINGS_NAME
    if stored_settings.is_file():
        old = json.loads(stored_settings.read_text())
        if old != asdict(s):
            msg = (
                f"workdir {workdir}: holds a run with other settings ({old}); use a new "
                "directory or the same settings"
            )
            raise ConfigurationError(msg)
    if (workdir / STATE_NAME).is_file():
        state = _load_state(workdir)
        for p in workdir.glob(FRAMES_GLOB):  # frames written after the stored chunk
            if int(p.stem.split("_")[1]) > state["step"]:
                p.unlink()
        return state, 0
    sysm = _System(atoms)
    stored_settings.write_text(json.dumps(asdict(s), indent=1))
    prep, n = _prepare(atoms, calc, s, sysm, workdir, max_pieces)
    if prep is None:
        return None, n
    from ase.io import write

    write(workdir / "start.extxyz", atoms, format="extxyz")
    _write_frames(workdir / "frames_00000.extxyz", [_li_frame(atoms, sysm, 0, s)])
    extra = {**prep["info"], "z_top_a": sysm.z_top_a, "md_wall_s": 0.0, "status": "running"}
    _save_state(workdir, 0, atoms, prep["v"], prep["rng"], extra)
    (workdir / PREP_NAME).unlink(missing_ok=True)
    return _load_state(workdir), n


def run_ase_md(
    atoms: Atoms,
    settings: AseMdSettings,
    workdir: str | Path,
    *,
    max_chunks: int | None = None,
    calc: Calculator | None = None,
) -> dict[str, Any]:
    """Run (or continue) one aggregation run in chunks; return its status.

    Parameters
    ----------
    atoms
        Slab (bottom planes fixed with ``FixAtoms``) with the dispersed Li on top; used only
        when ``workdir`` holds no state (a fresh run).
    settings
        The run's settings (a rerun must use the same).
    workdir
        Run directory: state, frames, settings.
    max_chunks
        Stop after this many stored pieces in this call, start-protocol pieces included
        (``None``: until done); a later call continues.
    calc
        Calculator (default: :func:`make_calculator` of ``settings.calculator``).

    Returns
    -------
    dict
        ``status`` ("starting": the start protocol is unfinished, "running", "completed" or
        "failed"), ``step``, ``failure``,
        ``s_per_step`` (wall time per MD step in this call), the start-protocol info.

    Raises
    ------
    ConfigurationError
        If ``workdir`` holds a run with other settings.
    """
    s = settings
    out = Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    calc = calc or make_calculator(s.calculator)
    t0 = time.perf_counter()
    state, done_chunks = _start(atoms.copy(), s, out, calc, max_chunks)
    if state is None:
        return {"status": "starting", "step": 0, "wall_s_this_call": time.perf_counter() - t0}
    extra = state["extra"]
    if extra["status"] != "running":
        return {**extra, "step": state["step"]}
    work = atoms.copy()
    work.positions = state["positions"]
    work.calc = calc
    sysm = _System(work, extra["z_top_a"])
    v, rng, step = state["velocities"], state["rng"], state["step"]
    f = work.get_forces(apply_constraint=False)
    md_steps, t_md = 0, 0.0
    while step < s.n_steps and (max_chunks is None or done_chunks < max_chunks):
        n = min(s.chunk_steps, s.n_steps - step)
        frames = []
        t1 = time.perf_counter()
        for _ in range(n):
            v, f = _baoab(work, v, f, sysm, s, rng, bath=sysm.bath, moving=sysm.mobile)
            step += 1
            if step % s.dump_every == 0:
                frames.append(_li_frame(work, sysm, step, s))
        t_md += time.perf_counter() - t1
        md_steps += n
        failure = _check(work, v, sysm, s)
        _write_frames(out / f"frames_{step:05d}.extxyz", frames)
        extra["md_wall_s"] = extra.get("md_wall_s", 0.0) + time.perf_counter() - t1
        if failure:
            extra.update(status="failed", failure=failure)
        elif step >= s.n_steps:
            extra["status"] = "completed"
        _save_state(out, step, work, v, rng, extra)
        done_chunks += 1
        logger.info("ASE MD %s: step %d/%d (%s)", out, step, s.n_steps, extra["status"])
        if failure:
            break
    return {
        **extra,
        "step": step,
        "s_per_step": t_md / md_steps if md_steps else None,
        "wall_s_this_call": round(time.perf_counter() - t0, 1),
    }


def aggregation_system(
    material: str,
    *,
    lateral_size: tuple[int, int] = (5, 5),
    n_layers: int = 3,
    n_fixed_layers: int = 1,
    coverage: float = defaults.MD_COVERAGE,
    min_spacing_a: float = defaults.MD_LI_MIN_SPACING_A,
    seed: int = 0,
) -> Atoms:
    """Return the slab + dispersed Li of a run, built as the LAMMPS path builds it.

    Same builders (:func:`~lithiophilic.structures.md_slab.make_md_bulk`, ``make_md_slab``,
    ``coverage_to_n_li``, ``add_dispersed_li``) and the same seed, so the teacher and the
    distilled potential start from the identical system. Lattice constants: the builders'
    (no per-calculator scan, so both calculators see the same geometry).
    """
    from lithiophilic.structures.md_slab import (
        add_dispersed_li,
        coverage_to_n_li,
        make_md_bulk,
        make_md_slab,
    )

    bulk = make_md_bulk(material, n_layers=n_layers, sqs_tile=lateral_size, seed=seed)
    slab = make_md_slab(
        bulk,
        lateral_size=lateral_size,
        n_layers=n_layers,
        n_fixed_layers=n_fixed_layers,
        vacuum_a=16.0,
    )
    n_li = max(2, coverage_to_n_li(slab, coverage))
    return add_dispersed_li(
        slab, n_li, min_spacing_a=min_spacing_a, height_a=defaults.MD_LI_HEIGHT_A, seed=seed
    )


def trajectory_path(workdir: str | Path) -> Path:
    """Concatenate the stored chunks' Li frames into ``WORKDIR/li_traj.extxyz`` (step order)."""
    from ase.io import read, write

    out = Path(workdir)
    files = sorted(out.glob(FRAMES_GLOB), key=lambda p: int(p.stem.split("_")[1]))
    frames = [a for p in files for a in read(p, index=":")]
    path = out / "li_traj.extxyz"
    write(path, frames, format="extxyz")
    return path


def analyze_ase_md(workdir: str | Path, cutoff_a: float) -> dict[str, Any]:
    """Per-frame Li clusters and the plateau fit (k, φ∞, t½) of a completed ASE run.

    Uses :func:`lithiophilic.analysis.aggregation.analyze_trajectory` and
    :func:`lithiophilic.analysis.aggregation_kinetics.replica_kinetics`, as the LAMMPS path.

    Raises
    ------
    ConfigurationError
        If the run is not completed (a failed or unfinished run is never analysed).
    """
    from lithiophilic.analysis.aggregation import analyze_trajectory
    from lithiophilic.analysis.aggregation_kinetics import replica_kinetics

    state = _load_state(Path(workdir))
    if state["extra"].get("status") != "completed":
        msg = f"workdir {workdir}: run is {state['extra'].get('status')}, not completed"
        raise ConfigurationError(msg)
    clusters = analyze_trajectory(str(trajectory_path(workdir)), cutoff_a=cutoff_a)
    return {"clusters": clusters, "kinetics": replica_kinetics(clusters["frames"])}
