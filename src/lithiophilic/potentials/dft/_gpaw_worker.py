"""MPI worker of the GPAW backend: ``mpiexec -n N gpaw python _gpaw_worker.py RUN_DIR``.

Reads ``atoms.json`` and ``input.json`` (task, settings, options) from RUN_DIR, runs the task
on all ranks, and rank 0 writes ``result.json`` (``status`` ok / not_converged / failed) and
``arrays.npz``.  Launched by :func:`lithiophilic.potentials.dft.gpaw_mpi.run_mpi`.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any


def main(run_dir: str) -> int:
    """Run the task described in ``run_dir``; return the exit status."""
    import numpy as np
    from ase.io import read
    from gpaw.mpi import world

    from lithiophilic.errors import NotConvergedError
    from lithiophilic.potentials.dft.gpaw import run_worker_task

    path = Path(run_dir).resolve()  # messages name the logs by absolute path
    spec = json.loads((path / "input.json").read_text())
    atoms = read(path / "atoms.json", index=-1)
    assert not isinstance(atoms, list)
    status, message = "ok", ""
    results: dict[str, Any] = {}
    arrays: dict[str, Any] = {}
    try:
        results, arrays = run_worker_task(
            spec["task"], atoms, spec["settings"], spec["options"], path
        )
    except NotConvergedError as exc:
        status, message = "not_converged", str(exc)
    except Exception as exc:  # reported to the parent process, which raises
        status, message = "failed", f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    if world.rank == 0:
        payload = {"status": status, "message": message, "nprocs": world.size, "results": results}
        (path / "result.json").write_text(json.dumps(payload, default=float))
        if arrays:
            np.savez(path / "arrays.npz", **arrays)  # type: ignore[arg-type]
    return 0 if status == "ok" else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
