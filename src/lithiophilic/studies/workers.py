"""How many worker processes a study's jobs run in, and on how many threads each.

A study runs its jobs side by side in worker processes (:mod:`lithiophilic.studies.parallel`)
unless they use several cores each (DFT over MPI, MD on several MPI ranks): :func:`serial_only`
says why not, :func:`effective_workers` how many, :func:`one_thread` pins a serial MLIP run to
one thread so it rounds as a worker does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from jobflow import JobStore

__all__ = [
    "SERIAL_STUDIES",
    "WORKERS_ENV",
    "WORKER_MEMORY_GIB",
    "effective_workers",
    "one_thread",
    "serial_only",
    "usable_cores",
]

#: Studies whose jobs run one after another (``workers`` must be 1), and why.
SERIAL_STUDIES: dict[str, str] = {
    "pdos": "the PDOS runs DFT, which uses every core through MPI",
    "verify": "the verification runs GPAW (DFT), which uses every core through MPI",
}
#: Fields naming a calculator whose kind decides whether jobs may run side by side.
_CALCULATOR_FIELDS = ("calculator", "refine_calculator", "ase_calculator", "lattice_calculator")


def serial_only(options: BaseModel) -> str:
    """Return why ``options`` cannot run jobs in parallel ('' if they can).

    A study of :data:`SERIAL_STUDIES`, a DFT calculator in a field of
    :data:`_CALCULATOR_FIELDS`, or MD over several MPI ranks (``n_mpi`` > 1), nested study
    options too: two such jobs side by side oversubscribe the cores. LAMMPS MD on one rank and
    ASE MD with an MLIP or LAMMPS run on one thread each, so their replicas may.
    """
    from lithiophilic.potentials import REGISTRY

    study = getattr(type(options), "study", "")
    if study in SERIAL_STUDIES:
        return SERIAL_STUDIES[study]
    for name in type(options).model_fields:
        value = getattr(options, name)
        if isinstance(value, BaseModel):
            nested = serial_only(value)
            if nested:
                return nested
        elif name == "n_mpi" and isinstance(value, int) and value > 1:
            return f"n_mpi={value}: each MD run uses {value} cores through MPI"
        elif name in _CALCULATOR_FIELDS and isinstance(value, str):
            backend = REGISTRY.get(value)
            if backend is not None and backend.kind == "dft":
                return f"{name} {value!r} is DFT, which uses every core through MPI"
    return ""


def usable_cores() -> int:
    """Return the cores this process may run on (its CPU affinity: a Slurm allocation's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


#: Memory one MLIP worker process is allowed for when ``workers`` is chosen automatically,
#: GiB: a SevenNet-0 worker held 0.9-1.1 GiB on the full surface stage, 2.2 GiB on its largest
#: job, Cu5Zn8(111) with 5 Li layers (2026-12-05, ``top``), plus a margin.
WORKER_MEMORY_GIB = 2.5

#: Environment variable that replaces the automatic choice of ``workers`` (an explicit
#: ``workers`` still wins): e.g. 1 where something else already runs one process per core
#: (the test suite's pytest-xdist workers, a packed Slurm job).
WORKERS_ENV = "LITHIOPHILIC_WORKERS"


def effective_workers(options: Any, store: JobStore) -> int:
    """Return the worker processes ``options`` run with on ``store``.

    An explicit ``workers`` wins. ``None`` (the default) means 1 when the study cannot run
    jobs in parallel (:func:`serial_only` says why) or worker processes cannot reach
    ``store`` (a maggma ``MemoryStore``); else ``$LITHIOPHILIC_WORKERS`` if set, else one per
    usable core, never more than the available memory holds at :data:`WORKER_MEMORY_GIB`
    per worker (at least 1).

    Raises
    ------
    ConfigurationError
        If ``$LITHIOPHILIC_WORKERS`` is not a whole number from 1 to the number of cores.
    """
    import psutil

    from lithiophilic.studies.parallel import shared_store

    asked = getattr(options, "workers", 1)
    if asked is not None:
        return int(asked)
    if serial_only(options) or not shared_store(store):
        return 1
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env:
        cores = os.cpu_count() or 1
        if not env.isdigit() or not 1 <= int(env) <= cores:
            msg = f"{WORKERS_ENV}={env!r}: give a whole number of workers from 1 to {cores}"
            raise ConfigurationError(msg)
        return int(env)
    by_memory = int(psutil.virtual_memory().available / (WORKER_MEMORY_GIB * 2**30))
    return max(1, min(usable_cores(), by_memory))


@contextmanager
def one_thread(*, enabled: bool = True) -> Iterator[None]:
    """Evaluate on one thread in this process (torch intra-op and BLAS) while inside.

    A serial MLIP run then rounds exactly as a worker process does (those run on one thread):
    the same inputs give the same bits with any ``workers`` or ``OMP_NUM_THREADS``. torch is
    imported here if it is installed (the MLIP job would import it anyway) so its thread
    count is set before the model loads; the previous counts come back on exit.
    """
    if not enabled:
        yield
        return
    from threadpoolctl import threadpool_limits

    try:
        import torch
    except ImportError:  # a classical-only install
        torch = None  # type: ignore[assignment]
    before = torch.get_num_threads() if torch is not None else 0
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)
