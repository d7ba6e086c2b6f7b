"""Provenance helpers: structure hashes and the package version recorded in every document."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np

from lithiophilic import __version__

if TYPE_CHECKING:
    from ase import Atoms

__all__ = ["LITHIOPHILIC_VERSION", "structure_hash"]

LITHIOPHILIC_VERSION = __version__

#: Positions and cell are rounded to this many decimals (Å) before hashing.
_HASH_DECIMALS = 4


def structure_hash(atoms: Atoms) -> str:
    """Return a 16-hex-digit hash of species, cell, pbc, positions and fixed atoms.

    Positions and cell are rounded to 1e-4 Å, so numerically identical structures built in
    different processes hash the same.
    """
    from ase.constraints import FixAtoms

    fixed: list[int] = []
    for c in atoms.constraints:
        if isinstance(c, FixAtoms):
            fixed.extend(int(i) for i in c.get_indices())
    payload = {
        "numbers": atoms.numbers.tolist(),
        "cell": np.round(atoms.cell.array, _HASH_DECIMALS).tolist(),
        "pbc": atoms.pbc.tolist(),
        "positions": np.round(atoms.positions, _HASH_DECIMALS).tolist(),
        "fixed": sorted(fixed),
    }
    blob = json.dumps(payload, sort_keys=True).replace("-0.0,", "0.0,")
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
