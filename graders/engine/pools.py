"""Pools: the one interface the grading side runs jobs through, whichever pool runs them.

:class:`graders.engine.pool.KernelPool` (sealed children on this machine) and
:class:`graders.engine.dask_pool.DaskPool` (the same, on a Dask cluster's workers) both are a
:class:`Pool`; :func:`graders.engine.runs.make_pool` makes the one the course asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from .jobs import Job, JobResult


@runtime_checkable
class Pool(Protocol):
    #: Longest wait, in seconds, before an open feed of jobs with nothing ready is asked again.
    idle_wait: float

    def warm_up(self) -> None:
        """Get ready to run (start the template, connect to the cluster) ahead of the jobs."""

    def run(self, jobs: Iterable[Job | None]) -> Iterator[JobResult]:
        """Run ``jobs``, yielding each result as its job ends; ``jobs`` may be an open feed,
        ``None`` from it meaning "nothing yet, ask again later"."""

    def sandbox_check(self) -> list[str]:
        """What the sandbox lacks where the jobs run (one line each; empty: nothing)."""

    def stats(self) -> dict | None:
        """What the run's summary says of where the runs went (None: nothing to say)."""

    def close(self) -> None:
        """Stop what :meth:`warm_up` started."""
