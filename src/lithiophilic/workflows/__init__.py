"""jobflow Makers and flows, one module per job family."""

from __future__ import annotations
