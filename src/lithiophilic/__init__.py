"""lithiophilic: how lithiophilic is this surface? Surface energies, Li binding, PDOS and Li MD."""

from __future__ import annotations

__version__ = "0.1.0"
