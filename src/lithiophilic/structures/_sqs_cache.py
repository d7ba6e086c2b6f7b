"""Content-addressed file cache of SQS annealing results (so a re-run does no SQS search).

The SQS annealing is deterministic for a given cluster space, candidate cells, composition,
seed, step count and icet version; its result (the decorated cell) is stored as a small JSON
file named by the hash of exactly those inputs. The cache is off unless a directory is given
in ``$LITHIOPHILIC_SQS_CACHE`` (the command-line interface sets it to ``DATA_DIR/sqs-cache``);
no database is involved, so structure code stays free of jobflow.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ase import Atoms
    from icet import ClusterSpace

__all__ = ["SQS_CACHE_ENV", "cached_annealing", "sqs_cache_dir", "sqs_cache_key"]

logger = logging.getLogger(__name__)

#: Environment variable naming the cache directory (unset or empty: no cache).
SQS_CACHE_ENV = "LITHIOPHILIC_SQS_CACHE"
_FORMAT = 1


def sqs_cache_dir() -> Path | None:
    """Return the SQS cache directory from ``$LITHIOPHILIC_SQS_CACHE``, or None (cache off)."""
    value = os.environ.get(SQS_CACHE_ENV, "").strip()
    if not value or value.lower() in ("0", "off", "none", "false"):
        return None
    return Path(value).expanduser()


def _atoms_key(atoms: Atoms) -> list[Any]:
    return [
        np.round(np.asarray(atoms.cell), 10).tolist(),
        np.round(atoms.get_scaled_positions(wrap=True), 8).tolist(),
        atoms.get_atomic_numbers().tolist(),
    ]


def sqs_cache_key(
    cs: ClusterSpace,
    supercells: list[Atoms],
    comp: Mapping[str, float],
    *,
    seed: int,
    n_steps: int,
) -> str:
    """Return the hash of everything that determines an SQS annealing result."""
    import icet

    blob = json.dumps(
        {
            "format": _FORMAT,
            "icet": icet.__version__,
            "primitive": _atoms_key(cs.primitive_structure),
            "cutoffs": [round(float(c), 10) for c in cs.cutoffs],
            "species": [list(s) for s in cs.chemical_symbols],
            "supercells": [_atoms_key(s) for s in supercells],
            "composition": {k: round(float(v), 12) for k, v in sorted(comp.items())},
            "seed": int(seed),
            "n_steps": int(n_steps),
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _read(path: Path) -> Atoms | None:
    from ase import Atoms

    try:
        data = json.loads(path.read_text())
        return Atoms(
            numbers=data["numbers"], positions=data["positions"], cell=data["cell"], pbc=True
        )
    except (OSError, ValueError, KeyError) as exc:  # unreadable entry: recompute
        logger.warning("SQS cache entry %s unreadable (%s); recomputing", path, exc)
        return None


def _write(path: Path, atoms: Atoms, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "key": key,
        "numbers": atoms.get_atomic_numbers().tolist(),
        "positions": atoms.positions.tolist(),
        "cell": np.asarray(atoms.cell).tolist(),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(payload, fh)
    os.replace(tmp, path)  # atomic: concurrent writers of the same key write the same content


def cached_annealing(key: str, compute: Callable[[], Atoms]) -> Atoms:
    """Return the cached result for ``key``, else ``compute()`` and cache it (if the cache is on)."""
    root = sqs_cache_dir()
    if root is None:
        return compute()
    path = root / f"{key}.json"
    if path.is_file():
        found = _read(path)
        if found is not None:
            logger.info("SQS annealing: reused cached result %s", path.name)
            return found
    atoms = compute()
    try:
        _write(path, atoms, key)
    except OSError as exc:  # a read-only cache must not stop a campaign
        logger.warning("SQS cache %s not writable (%s)", root, exc)
    return atoms
