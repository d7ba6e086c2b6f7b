"""lithiophilic: how lithiophilic is this surface?"""

from __future__ import annotations

__version__ = "0.1.0"
