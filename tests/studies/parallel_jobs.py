"""Tiny jobflow jobs for tests/studies/test_parallel_runner.py (importable by spawned workers).

Each job returns what it computed and when and where it ran (``start``/``end`` wall-clock
seconds, ``pid``), so a test can check the order and the overlap of jobs.
"""

from __future__ import annotations

import os
import signal
import time

from jobflow import Flow, Response, job


def _stamp(value: float, start: float) -> dict[str, float]:
    return {"value": value, "start": start, "end": time.time(), "pid": os.getpid()}


@job
def add(a: float, b: float, seconds: float = 0.0) -> dict[str, float]:
    """Return ``a + b`` (after ``seconds``), stamped."""
    start = time.time()
    time.sleep(seconds)
    return _stamp(a + b, start)


@job
def add_values(items: list[dict[str, float]], seconds: float = 0.0) -> dict[str, float]:
    """Return the sum of the ``value`` of ``items``, stamped."""
    start = time.time()
    time.sleep(seconds)
    return _stamp(sum(i["value"] for i in items), start)


@job
def fan_out(n: int, value: float, seconds: float = 0.0) -> Response:
    """Replace this job by ``n`` jobs adding ``0..n-1`` to ``value`` and their sum (dynamic)."""
    parts = [add(value, i, seconds) for i in range(n)]
    for i, p in enumerate(parts):
        p.name = f"part {i}"
    total = add_values([p.output for p in parts])
    return Response(replace=Flow([*parts, total], output=total.output))


@job
def with_addition(value: float, seconds: float = 0.0) -> Response:
    """Return ``value`` and add a job adding 100 to it (an addition)."""
    start = time.time()
    extra = add(value, 100, seconds)
    extra.name = "addition"
    return Response(output=_stamp(value, start), addition=Flow([extra]))


@job
def stop_here(value: float) -> Response:
    """Return ``value`` and stop this job's children."""
    return Response(output=_stamp(value, time.time()), stop_children=True)


@job
def boom(message: str) -> float:
    """Fail with ``message``."""
    raise RuntimeError(message)


@job
def die() -> float:
    """Kill the process running this job (a worker dying, e.g. out of memory)."""
    os.kill(os.getpid(), signal.SIGKILL)
    return 0.0


@job
def shout(message: str) -> dict[str, float]:
    """Log ``message`` as a warning of logger ``lithiophilic.tests``; return 1, stamped."""
    import logging

    start = time.time()
    logging.getLogger("lithiophilic.tests").warning("%s from %d", message, os.getpid())
    return _stamp(1.0, start)
