"""Pure functions from results to numbers, tables and figures (no jobflow, no calculators)."""

from __future__ import annotations
