"""The LAMMPS MD engine of the aggregation workflow (no jobflow; runs in-process or under mpirun).

:func:`write_md_input` turns a slab (ASE ``Atoms`` with Li on top and fixed bottom atoms) and
:class:`MdSettings` into a LAMMPS data file and an input script; :func:`run_md` runs that input
through the ``lammps`` Python module in chunks of ``check_every`` steps and checks between
chunks for lost atoms, Li leaving the surface region (desorbing or sinking into the slab), and
temperature runaway.  A failed check stops the run, closes the (gzip) trajectory so the partial
trajectory stays readable, and returns ``status="failed"`` with the reason.

With ``n_mpi > 1`` the same driver runs under the virtual environment's MPICH launcher
(``python -m lithiophilic.workflows.md_engine SPEC.json``); rank 0 writes the result file.

Progress: after the chunks that cross each 5 % of the run, the driver logs
``logger.info(..., extra={"progress": (steps_done, n_steps)})`` (at most ~20 records per run;
an MPI run's rank 0 prints them and the launching process logs them), which
:func:`lithiophilic.studies.base.run_flows_locally` turns into a progress bar.

LAMMPS ``metal`` units (eV, Å, ps, K) are converted here only: ``timestep_fs`` → ps.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic import defaults
from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials.lammps import get_lammps_potential, import_lammps

if TYPE_CHECKING:
    from collections.abc import Callable

    from ase import Atoms

    from lithiophilic.potentials.lammps import LammpsPotential

__all__ = [
    "LEGACY_PROTOCOL",
    "MAX_TIMESTEP_FS",
    "MdSettings",
    "legacy_settings_key",
    "md_cache_key",
    "md_cache_keys",
    "mpirun_path",
    "run_md",
    "run_md_mpi",
    "write_md_input",
]

logger = logging.getLogger(__name__)

#: Largest accepted MD time step, fs (Li is light: 1 fs is the usual choice).
MAX_TIMESTEP_FS = 5.0
TRAJECTORY_NAME = "traj.lammpstrj.gz"
LOG_NAME = "log.lammps"
DATA_NAME = "data.lmp"
INPUT_NAME = "in.lammps"

Thermostat = Literal["langevin", "nose-hoover"]
LiStart = Literal["held-apart", "minimized-free"]

#: MdSettings fields added by issue 19 and their values in the protocol before it: a run with
#: these values is the old protocol and keeps its old cache key (see :func:`legacy_settings_key`).
LEGACY_PROTOCOL: dict[str, Any] = {
    "li_start": "minimized-free",
    "thermostat_li": True,
    "equilibration_steps": 0,
}

#: Progress records per run: one each time the run crosses another 1/PROGRESS_STEPS of its steps.
PROGRESS_STEPS = 20
#: Line prefix an MPI run's rank 0 prints for each progress record (read by :func:`run_md_mpi`).
_PROGRESS_PREFIX = "lithiophilic-md-progress"


@dataclass(frozen=True)
class MdSettings:
    """Settings of one NVT run (all JSON-serialisable).

    Parameters
    ----------
    potential
        Registered LAMMPS potential name.
    temperature_k
        Thermostat temperature, K.
    timestep_fs
        Time step, fs (≤ 5).
    n_steps
        MD steps after the (optional) minimisation.
    dump_every
        Steps between trajectory frames.
    check_every
        Steps between run-time checks (LAMMPS runs in chunks of this length).
    thermo_every
        Steps between thermo lines in the log.
    seed
        Seed of the initial velocities and of the Langevin noise.
    thermostat
        "langevin" (``fix nve`` + ``fix langevin``) or "nose-hoover" (``fix nvt``), acting on
        the mobile atoms only.
    damping_ps
        Thermostat damping time, ps.
    max_temperature_factor
        Stop if the mobile-atom temperature exceeds this factor × ``temperature_k`` (or is NaN).
    li_max_height_a
        Stop if a Li atom is more than this far above the clean slab's top plane, Å (desorbed).
    li_max_depth_a
        Stop if a Li atom is more than this far below the top plane, Å (sunk into the slab).
    minimize
        Relax the positions (conjugate gradient, mobile atoms) before the MD.
    dump_all
        Dump every atom each frame (``False``: Li only; the substrate is in the initial
        structure).
    li_start
        "held-apart" (default): the minimisation moves the Li along z only (their in-plane
        positions, the dispersed placement, are kept), then the substrate alone is
        thermalised for ``equilibration_steps`` with the Li frozen, then the Li get Maxwell-
        Boltzmann velocities and the analysed run starts (its first frame is the placement:
        every Li isolated at any cutoff below the placement's minimum spacing).
        "minimized-free": the protocol before issue 19 (Li relax freely with the substrate and
        the MD starts right after; Li may pair before the first frame).
    thermostat_li
        Whether the thermostat acts on the Li too (``False``, default: substrate only, Li
        integrated NVE, so Langevin friction does not slow the Li kinetics being measured;
        ``True``: the protocol before issue 19).
    equilibration_steps
        Steps of substrate-only thermalisation before the analysed run ("held-apart"; 0: none).
    """

    potential: str
    temperature_k: float = defaults.MD_TEMPERATURE_K
    timestep_fs: float = defaults.MD_TIMESTEP_FS
    n_steps: int = 100_000
    dump_every: int = defaults.MD_DUMP_EVERY
    check_every: int = defaults.MD_CHECK_EVERY
    thermo_every: int = defaults.MD_THERMO_EVERY
    seed: int = 1
    thermostat: Thermostat = defaults.MD_THERMOSTAT  # type: ignore[assignment]
    damping_ps: float = defaults.MD_DAMPING_PS
    max_temperature_factor: float = defaults.MD_MAX_TEMPERATURE_FACTOR
    li_max_height_a: float = defaults.MD_LI_MAX_HEIGHT_A
    li_max_depth_a: float = defaults.MD_LI_MAX_DEPTH_A
    minimize: bool = True
    dump_all: bool = False
    li_start: LiStart = "held-apart"
    thermostat_li: bool = False
    equilibration_steps: int = defaults.MD_EQUILIBRATION_STEPS

    def __post_init__(self) -> None:
        if not 0 < self.timestep_fs <= MAX_TIMESTEP_FS:
            msg = f"timestep_fs={self.timestep_fs} must be in (0, {MAX_TIMESTEP_FS}] fs"
            raise ConfigurationError(msg)
        if not self.temperature_k > 0:
            msg = f"temperature_k={self.temperature_k} must be > 0 K"
            raise ConfigurationError(msg)
        for name in ("n_steps", "dump_every", "check_every", "thermo_every"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                msg = f"{name}={value!r} must be a positive integer (steps)"
                raise ConfigurationError(msg)
        if self.thermostat not in ("langevin", "nose-hoover"):
            msg = f"thermostat={self.thermostat!r}; allowed: 'langevin', 'nose-hoover'"
            raise ConfigurationError(msg)
        if not self.damping_ps > 0 or not self.max_temperature_factor > 1:
            msg = "damping_ps must be > 0 ps and max_temperature_factor > 1"
            raise ConfigurationError(msg)
        if self.li_start not in ("held-apart", "minimized-free"):
            msg = f"li_start={self.li_start!r}; allowed: 'held-apart', 'minimized-free'"
            raise ConfigurationError(msg)
        if (
            not isinstance(self.equilibration_steps, int | np.integer)
            or self.equilibration_steps < 0
        ):
            msg = f"equilibration_steps={self.equilibration_steps!r} must be an integer ≥ 0"
            raise ConfigurationError(msg)
        if not 1 <= self.seed < 900_000_000:
            msg = f"seed={self.seed} must be in [1, 900000000) (LAMMPS seeds are positive)"
            raise ConfigurationError(msg)


def _id_ranges(ids: np.ndarray) -> str:
    """Compress sorted atom IDs into LAMMPS ``lo:hi`` ranges."""
    ids = np.sort(np.asarray(ids, dtype=int))
    breaks = np.flatnonzero(np.diff(ids) != 1)
    starts = np.concatenate([[ids[0]], ids[breaks + 1]])
    ends = np.concatenate([ids[breaks], [ids[-1]]])
    return " ".join(f"{a}:{b}" if b > a else f"{a}" for a, b in zip(starts, ends, strict=True))


def write_md_input(atoms: Atoms, settings: MdSettings, workdir: str | Path) -> dict[str, Any]:
    """Write ``data.lmp`` and ``in.lammps`` for ``atoms`` (the whole run as one ``run``).

    ``atoms`` must have ``a`` along x, ``b`` in the xy plane and ``c`` along z (the slab
    builders guarantee it); ``FixAtoms`` atoms are frozen; ``atoms.info["z_top_a"]`` is the
    height of the clean slab's top plane (Å), the reference of the Li height checks.

    Returns
    -------
    dict
        ``setup`` (commands before the run), ``run_steps``, ``z_top_a``, ``n_atoms``, paths.

    Raises
    ------
    ConfigurationError
        If an element is not covered by the potential or the cell is not LAMMPS-oriented.
    """
    from ase.constraints import FixAtoms
    from ase.io import write

    pot = get_lammps_potential(settings.potential)
    pot.check_elements(set(atoms.get_chemical_symbols()))
    cell = np.asarray(atoms.cell)
    if abs(cell[0, 1]) + abs(cell[0, 2]) + abs(cell[1, 2]) > 1e-8:
        msg = "structure: cell must have a along x and b in the xy plane (LAMMPS orientation)"
        raise ConfigurationError(msg)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    fixed = np.zeros(len(atoms), bool)
    for c in atoms.constraints:
        if isinstance(c, FixAtoms):
            fixed[c.get_indices()] = True
    plain = atoms.copy()
    plain.set_constraint()
    plain.pbc = (True, True, False)
    write(
        workdir / DATA_NAME,
        plain,
        format="lammps-data",
        specorder=list(pot.elements),
        atom_style="atomic",
        units="metal",
    )
    li_type = pot.elements.index("Li") + 1
    z_top = float(atoms.info["z_top_a"])
    s = settings
    dt_ps = s.timestep_fs / 1000.0
    dump_group = "all" if s.dump_all else "li"
    setup = [
        "units metal",
        "atom_style atomic",
        "boundary p p f",
        f"read_data {DATA_NAME}",
        *pot.mass_commands(),
        *pot.commands(),
        "neighbor 2.0 bin",
        "neigh_modify every 1 delay 0 check yes",
        f"group li type {li_type}",
        *([f"group fixed id {_id_ranges(np.flatnonzero(fixed) + 1)}"] if fixed.any() else []),
        "group mobile subtract all fixed" if fixed.any() else "group mobile union all",
        "compute tmob mobile temp",
        f"variable li_zmax equal bound(li,zmax)-{z_top:.6f}",
        f"variable li_zmin equal bound(li,zmin)-{z_top:.6f}",
        "variable n_li equal count(li)",
        "thermo_style custom step time temp pe ke etotal press v_li_zmax v_li_zmin",
        "thermo_modify temp tmob lost warn flush yes",
        f"thermo {s.thermo_every}",
        f"timestep {dt_ps:.6g}",
        *(["fix freeze fixed setforce 0.0 0.0 0.0"] if fixed.any() else []),
    ]
    setup += _start_commands(s)
    setup += [
        f"dump traj {dump_group} custom {s.dump_every} {TRAJECTORY_NAME} id type element x y z",
        f"dump_modify traj element {' '.join(pot.elements)} sort id",
    ]
    setup = [c for c in setup if c]
    script = "\n".join([*setup, f"run {s.n_steps}", ""])
    (workdir / INPUT_NAME).write_text(script)
    return {
        "setup": setup,
        "run_steps": s.n_steps,
        "z_top_a": z_top,
        "n_atoms": len(atoms),
        "n_li": int(np.count_nonzero(np.asarray(atoms.get_chemical_symbols()) == "Li")),
        "n_fixed": int(fixed.sum()),
        "workdir": str(workdir),
    }


def legacy_settings_key(settings: dict[str, Any]) -> dict[str, Any]:
    """Return ``settings`` without the issue-19 fields that hold their old-protocol values.

    A run of the protocol before issue 19 thus hashes to the cache key it had then.
    """
    return {k: v for k, v in settings.items() if LEGACY_PROTOCOL.get(k, object()) != v}


def _thermostat_commands(s: MdSettings, group: str) -> list[str]:
    """Integrate ``mobile`` and thermostat ``group`` (the substrate, or every mobile atom)."""
    if s.thermostat == "langevin":
        return [
            "fix integrate mobile nve",
            f"fix thermostat {group} langevin {s.temperature_k} {s.temperature_k} "
            f"{s.damping_ps} {s.seed + 1} zero yes",
        ]
    if group == "mobile":
        return [
            f"fix integrate mobile nvt temp {s.temperature_k} {s.temperature_k} {s.damping_ps}",
            "fix_modify integrate temp tmob",
        ]
    return [
        "fix integrate_li li nve",
        f"fix integrate {group} nvt temp {s.temperature_k} {s.temperature_k} {s.damping_ps}",
    ]


def _start_commands(s: MdSettings) -> list[str]:
    """Return the commands from the minimisation to the start of the analysed run.

    "held-apart": minimise with the Li held in-plane (``setforce 0 0 NULL``), thermalise the
    substrate with the Li frozen, give the Li velocities, reset the step to 0; the thermostat
    acts on ``thermo_group`` (the mobile substrate, or every mobile atom if ``thermostat_li``).
    "minimized-free": the commands before issue 19.
    """
    if s.li_start == "minimized-free":
        out = ["min_style cg", "minimize 1.0e-8 1.0e-4 500 5000", "reset_timestep 0"]
        out = out if s.minimize else []
        out.append(
            f"velocity mobile create {s.temperature_k} {s.seed} dist gaussian mom yes rot no"
        )
        if s.thermostat_li:
            return out + _thermostat_commands(s, "mobile")
        return ["group substrate subtract mobile li", *out, *_thermostat_commands(s, "substrate")]
    out = ["group substrate subtract mobile li"]
    if s.minimize:
        out += [
            "fix hold_li li setforce 0.0 0.0 NULL",
            "min_style cg",
            "minimize 1.0e-8 1.0e-4 500 5000",
            "unfix hold_li",
        ]
    group = "mobile" if s.thermostat_li else "substrate"
    out.append(f"velocity substrate create {s.temperature_k} {s.seed} dist gaussian mom yes rot no")
    if s.equilibration_steps > 0:
        out += [
            "fix freeze_li li setforce 0.0 0.0 0.0",
            "velocity li set 0.0 0.0 0.0",
            "fix equil_nve substrate nve",
            f"fix equil_bath substrate langevin {s.temperature_k} {s.temperature_k} "
            f"{s.damping_ps} {s.seed + 2} zero yes",
            f"run {s.equilibration_steps}",
            "unfix equil_bath",
            "unfix equil_nve",
            "unfix freeze_li",
        ]
    out += [
        # loop geom: per-atom seeds from positions, valid even if substrate atoms were lost
        f"velocity li create {s.temperature_k} {s.seed + 3} dist gaussian mom no rot no loop geom",
        "reset_timestep 0",
        *_thermostat_commands(s, group),
    ]
    return out


def md_cache_key(
    atoms: Any,
    pot: LammpsPotential,
    settings: dict[str, Any],
    time_ps: float,
    cutoff_a: float | None,
    *,
    portable: bool = True,
) -> str:
    """Return the key under which an MD replica's result is reused.

    Covers what determines the result: the starting structure (with its fixed atoms),
    the potential's commands and the contents of its files, the LAMMPS version, every MD
    setting (seed included), the length and the analysis cutoff.  The MPI rank count is
    left out: it changes round-off, not the statistics.  The start/thermostat fields of
    issue 19 enter only when they differ from the old protocol's values
    (:func:`~lithiophilic.workflows.md_engine.legacy_settings_key`): old runs keep their keys,
    runs of the new protocol get new ones.

    ``portable`` (the default) writes the potential's directory as ``{dir}`` in its commands,
    so the key does not depend on where the package is installed (its files enter by
    content).  ``portable=False`` gives the key replicas were stored under before: the
    commands with the directory's absolute path; it answers only at the same path
    (:func:`md_cache_keys`).
    """
    portable_key, legacy_key = md_cache_keys(atoms, pot, settings, time_ps, cutoff_a)
    return portable_key if portable else legacy_key


@functools.cache
def _lammps_version() -> int:
    """Return the version of the ``lammps`` module (an instance is started once per process)."""
    lmp = import_lammps().lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    try:
        return int(lmp.version())
    finally:
        lmp.close()


def md_cache_keys(
    atoms: Any,
    pot: LammpsPotential,
    settings: dict[str, Any],
    time_ps: float,
    cutoff_a: float | None,
) -> tuple[str, str]:
    """Return the replica's key and the key it had before keys became portable.

    A new result is stored under the first; a look-up tries both, so a database written by
    earlier versions (at the same install path) keeps answering. The structure, the
    potential's files and the settings are hashed once for both (see :func:`md_cache_key`).
    """
    import hashlib

    from lithiophilic.provenance import structure_hash

    files = {
        name: hashlib.sha256((pot.directory / name).read_bytes()).hexdigest()[:16]
        for name in pot.files
    }
    fixed = sorted(
        int(i) for c in atoms.constraints if hasattr(c, "get_indices") for i in c.get_indices()
    )
    absolute = pot.commands()
    portable = absolute
    if pot.directory is not None:
        portable = [c.replace(str(pot.directory), "{dir}") for c in absolute]
    rest = [
        files,
        _lammps_version(),
        {k: v for k, v in legacy_settings_key(settings).items() if k != "n_mpi"},
        time_ps,
        cutoff_a,
    ]
    head = [structure_hash(atoms), fixed]

    def key(commands: list[str]) -> str:
        blob = json.dumps([*head, commands, *rest], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    return key(portable), key(absolute)


def _check(lmp: Any, settings: MdSettings, n_atoms: int, n_li: int) -> str | None:
    """Return the reason to stop, or None."""
    natoms = int(lmp.get_natoms())
    if natoms != n_atoms:
        return f"lost atoms: {n_atoms - natoms} of {n_atoms} left the box"
    count = round(lmp.extract_variable("n_li"))
    if count != n_li:
        return f"lost atoms: {n_li - count} Li left the box"
    temp = float(lmp.extract_compute("tmob", 0, 0))
    if not math.isfinite(temp) or temp > settings.max_temperature_factor * settings.temperature_k:
        return (
            f"temperature runaway: {temp:.4g} K > {settings.max_temperature_factor} × "
            f"{settings.temperature_k} K"
        )
    zmax = float(lmp.extract_variable("li_zmax"))
    zmin = float(lmp.extract_variable("li_zmin"))
    if zmax > settings.li_max_height_a:
        return (
            f"Li left the surface region: a Li atom is {zmax:.2f} Å above the top plane "
            f"(limit {settings.li_max_height_a} Å; desorbed)"
        )
    if zmin < -settings.li_max_depth_a:
        return (
            f"Li left the surface region: a Li atom is {-zmin:.2f} Å below the top plane "
            f"(limit {settings.li_max_depth_a} Å; sank into the slab)"
        )
    return None


class _ProgressReport:
    """Report MD steps done, once per crossed 1/:data:`PROGRESS_STEPS` of the run."""

    def __init__(self, label: str, n_steps: int, emit: Callable[[str, int, int], None]) -> None:
        self.label = label
        self.n_steps = n_steps
        self.emit = emit
        self.bucket = -1

    def __call__(self, done: int) -> None:
        bucket = PROGRESS_STEPS * done // self.n_steps
        if bucket > self.bucket:
            self.bucket = bucket
            self.emit(self.label, done, self.n_steps)


def _log_progress(label: str, done: int, total: int) -> None:
    logger.info("MD %s: %d/%d steps", label, done, total, extra={"progress": (done, total)})


def _print_progress(label: str, done: int, total: int) -> None:
    sys.stdout.write(f"{_PROGRESS_PREFIX} {done} {total} {label}\n")
    sys.stdout.flush()


def run_md(atoms: Atoms, settings: MdSettings, workdir: str | Path) -> dict[str, Any]:
    """Run the MD of ``atoms`` with run-time checks (serial, in this process).

    Logs its progress (steps done of ``settings.n_steps``, see the module docstring).

    Returns
    -------
    dict
        ``status`` ("completed" or "failed"), ``failure_reason``, ``n_steps_done``,
        ``time_ps_done``, ``wall_time_s``, ``md_wall_time_s`` (LAMMPS ``run`` commands only),
        ``lammps_version``, ``n_mpi``, ``trajectory`` and ``log`` paths, ``input``.

    Raises
    ------
    ConfigurationError
        See :func:`write_md_input`.
    """
    info = write_md_input(atoms, settings, workdir)
    return _drive(info, settings, Path(workdir), emit=_log_progress)


def _drive(
    info: dict[str, Any],
    settings: MdSettings,
    workdir: Path,
    *,
    emit: Callable[[str, int, int], None],
) -> dict[str, Any]:
    """Run the setup, then the MD in chunks of ``check_every`` steps with checks in between.

    ``emit(label, done, total)`` reports progress (rank 0 only).
    """
    lammps = import_lammps()
    t0 = time.perf_counter()
    cwd = Path.cwd()
    os.chdir(workdir)
    lmp = lammps.lammps(cmdargs=["-log", LOG_NAME, "-screen", "none", "-nocite"])
    status, reason, done, md_wall = "completed", None, 0, 0.0
    try:
        version = int(lmp.version())
        n_mpi = int(lmp.extract_setting("world_size"))
        rank = int(lmp.extract_setting("world_rank"))
        try:
            lmp.commands_list(info["setup"])
        except Exception as exc:  # LAMMPS raises a bare Exception (e.g. minimisation blow-up)
            status, reason = "failed", f"LAMMPS error during set-up/minimisation: {exc}"
        chunk = settings.check_every
        report = _ProgressReport(workdir.name, settings.n_steps, emit if rank == 0 else _no_report)
        while status == "completed" and done < settings.n_steps:
            n = min(chunk, settings.n_steps - done)
            extra = "" if done == 0 else " pre no post no"
            t1 = time.perf_counter()
            try:
                lmp.command(f"run {n}{extra}")
            except Exception as exc:  # LAMMPS raises a bare Exception for any run-time error
                md_wall += time.perf_counter() - t1
                status, reason = "failed", f"LAMMPS error: {exc}"
                break
            md_wall += time.perf_counter() - t1
            done += n
            report(done)
            reason = _check(lmp, settings, info["n_atoms"], info["n_li"])
            if reason is not None:
                status = "failed"
                break
    finally:  # closing LAMMPS closes the gzip dump: a partial trajectory stays readable
        lmp.close()
        os.chdir(cwd)
    if status == "failed":
        logger.warning("MD stopped after %d steps: %s", done, reason)
    result = {
        "status": status,
        "failure_reason": reason,
        "n_steps_done": done,
        "time_ps_done": done * settings.timestep_fs / 1000.0,
        "wall_time_s": time.perf_counter() - t0,
        "md_wall_time_s": md_wall,
        "lammps_version": version,
        "n_mpi": n_mpi,
        "rank": rank,
        "trajectory": str(workdir / TRAJECTORY_NAME),
        "log": str(workdir / LOG_NAME),
        "input": str(workdir / INPUT_NAME),
        "settings": asdict(settings),
    }
    return result


def _no_report(label: str, done: int, total: int) -> None:
    """Ranks other than 0 report nothing."""


def mpirun_path() -> Path:
    """Return the MPICH launcher of this Python environment (the one ``lammps[mpi]`` links)."""
    return Path(sys.prefix) / "bin" / "mpirun"


def run_md_mpi(
    atoms: Atoms, settings: MdSettings, workdir: str | Path, *, n_mpi: int
) -> dict[str, Any]:
    """Run :func:`run_md` under ``mpirun -np n_mpi`` (the environment's MPICH launcher).

    Raises
    ------
    ConfigurationError
        If ``n_mpi`` < 1 or the launcher is missing.
    CalculationFailed
        If the MPI run crashed without writing a result.
    """
    if n_mpi < 1:
        msg = f"n_mpi={n_mpi} must be ≥ 1"
        raise ConfigurationError(msg)
    launcher = mpirun_path()
    if not launcher.is_file():
        msg = f"n_mpi: MPI launcher {launcher} not found (install 'lammps[mpi]' in this venv)"
        raise ConfigurationError(msg)
    workdir = Path(workdir)
    info = write_md_input(atoms, settings, workdir)
    spec = workdir / "md_spec.json"
    spec.write_text(json.dumps({"info": info, "settings": asdict(settings)}))
    result_file = workdir / "md_result.json"
    result_file.unlink(missing_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [str(launcher), "-np", str(n_mpi), sys.executable, "-m", __name__, str(spec)]
    errors = workdir / "mpirun.stderr"
    with errors.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        for line in proc.stdout or ():
            _relay_progress(line)
        returncode = proc.wait()
    if not result_file.is_file():
        msg = f"MPI MD run failed (exit {returncode}): {errors.read_text()[-2000:]}"
        raise CalculationFailed(msg)
    return json.loads(result_file.read_text())


def _relay_progress(line: str) -> None:
    """Log a progress line printed by the MPI run's rank 0 (other output goes to DEBUG)."""
    parts = line.split(maxsplit=3)
    if len(parts) == 4 and parts[0] == _PROGRESS_PREFIX:
        _log_progress(parts[3].strip(), int(parts[1]), int(parts[2]))
    elif line.strip():
        logger.debug("mpirun: %s", line.rstrip())


def _main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    settings = MdSettings(**spec["settings"])
    workdir = Path(spec_path).parent
    result = _drive(spec["info"], settings, workdir, emit=_print_progress)
    if result["rank"] == 0:
        (workdir / "md_result.json").write_text(json.dumps(result))


if __name__ == "__main__":  # pragma: no cover - exercised through run_md_mpi
    _main(sys.argv[1])
