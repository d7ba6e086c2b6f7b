"""Trivial jobflow jobs for the packed-Slurm tests (importable by the Slurm workers)."""

from __future__ import annotations

import time

from jobflow import job


@job
def tick(value: int, seconds: float = 1.0) -> int:
    """Sleep ``seconds`` and return ``value + 1``."""
    time.sleep(seconds)
    return value + 1


@job
def boom(message: str) -> int:
    """Fail with ``message``."""
    raise RuntimeError(message)


@job
def total(values: list[int], seconds: float = 1.0) -> int:
    """Sleep ``seconds`` and return the sum of ``values``."""
    time.sleep(seconds)
    return sum(values)
