"""``python -m lithiophilic``: the command-line interface."""

from __future__ import annotations

from lithiophilic.cli import main

main()
