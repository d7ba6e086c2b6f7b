"""A rich progress bar over a study's jobs (and over steps inside long jobs, e.g. MD chunks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from lithiophilic.cli.app import console

if TYPE_CHECKING:
    from collections.abc import Callable

    from lithiophilic.studies.base import JobEvent


class JobProgress:
    """Turn :class:`~lithiophilic.studies.base.JobEvent` calls into a progress display.

    Jobs: done/total (the total grows when a job fans out at run time), the running job's
    name, elapsed time and ETA. Steps inside a job (MD chunks) get a second bar. Failed flows
    are remembered with the uuid of their failed job.
    """

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.jobs = progress.add_task("jobs", total=None) if progress else None
        self.steps = None
        self.seen: set[str] = set()
        self.done = 0
        self.total = 0
        self.failed: list[tuple[str, str]] = []

    def __call__(self, event: JobEvent) -> None:
        """Take one event."""
        if event.kind == "failed":
            self.failed.append((event.name, event.uuid))
        if self.progress is None or self.jobs is None:
            return
        if event.kind == "planned":
            self.total += event.total
        elif event.kind == "started":
            if event.uuid not in self.seen:
                self.seen.add(event.uuid)
                self.total = max(self.total, len(self.seen))
            self.progress.update(self.jobs, description=escape(event.name[:60]))
        elif event.kind == "finished":
            self.done += 1
            self.total = max(self.total, self.done)
        elif event.kind == "step":
            if self.steps is None:
                self.steps = self.progress.add_task(escape(event.name[:60]), total=event.total)
            self.progress.update(
                self.steps,
                completed=event.done,
                total=event.total,
                description=escape(event.name[:60]),
            )
            return
        self.progress.update(self.jobs, completed=self.done, total=self.total or None)


@contextmanager
def job_progress(*, quiet: bool) -> Iterator[Callable[[JobEvent], None]]:
    """Yield an ``on_job`` callback that draws a progress bar (nothing with ``quiet``)."""
    if quiet or not console.is_terminal:
        yield JobProgress(None)
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        yield JobProgress(bar)
