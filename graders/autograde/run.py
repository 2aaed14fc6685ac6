"""Run: the whole batch, ``graders autograde`` (:func:`autograde`): plan, check the sandbox, grade
in grading processes (or on a Dask cluster), and stop cleanly on Ctrl-C or SIGTERM.

Leans on traitlets (the course's configuration) and, through :mod:`.converter`, on nbgrader.
Written by hand: the plan, the signal handling and the clean stop, which nbgrader's one-process
loop does not need.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from traitlets.config import Config

from ..engine import template_control
from ..engine.progress import Progress
from .converter import BatchAutograde
from .on_dask import autograde_on_dask
from .outcome import Outcome, RunReport
from .sandbox_gate import check_sandbox
from .shards import run_shards


def interrupt(signum=None, frame=None):
    """The command's SIGTERM handler: a clean stop, as on Ctrl-C (raises KeyboardInterrupt)."""
    raise KeyboardInterrupt


class _StopOnSignal:
    """SIGINT's handler during a batch (and SIGTERM's, when the command made it :func:`interrupt`):
    raises KeyboardInterrupt and remembers it, so that one swallowed where it landed (in a
    finaliser, "Exception ignored in ...") still stops the batch when the next student is
    recorded. While the planner writes a student's grades (``planner.recording``) it only
    remembers: the batch stops once that student is recorded."""

    def __init__(self, planner=None) -> None:
        self.seen = False
        self.previous: dict = {}
        self.planner = planner

    def __call__(self, signum, frame):
        self.seen = True
        if not getattr(self.planner, "recording", 0):  # else: when the student is recorded
            raise KeyboardInterrupt

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            self.previous[signal.SIGINT] = signal.signal(signal.SIGINT, self)
            if signal.getsignal(signal.SIGTERM) is interrupt:
                self.previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def autograde(root: Path, assignment: str, students: list[str] | None = None,
              force: bool = False, workers: int | None = None,
              memory_cap_gib: float | None = None, sandbox: bool | None = None,
              require_sandbox: bool | None = None,
              progress: Progress | None = None, scheduler=None,
              config: Config | None = None) -> RunReport:
    """Grade a batch with ``workers`` grading processes; with ``scheduler`` (or
    ``c.GradingEngine.scheduler``: a Dask scheduler's address, or from Python a
    ``distributed.Client`` or cluster object) their runs go to Dask. ``config``: settings laid
    over the course's nbgrader_config.py (the ``graders`` command line's)."""
    start = time.monotonic()
    progress = progress or Progress(0)
    planner = BatchAutograde(root, assignment, students=students, force=force, sandbox=sandbox,
                             memory_cap_gib=memory_cap_gib, scheduler=scheduler, config=config)
    todo = planner.plan()
    shards = max(1, min(workers or planner.settings.workers or os.cpu_count() or 1, len(todo)))
    if planner.scheduler is not None:
        return autograde_on_dask(planner, todo, require_sandbox, progress, start, shards)
    if not todo:  # nothing to run: a template started ahead (graders autograde) is not needed
        template_control.stop_shared(kill=True)
    elif not template_control.shared_started():
        # One template for every grading process (they attach to it), started before the
        # sandbox check so that it warms up meanwhile; stopped when the batch ends.
        template_control.start_shared()
        try:
            return _grade(planner, todo, shards, require_sandbox, progress, start)
        finally:
            template_control.stop_shared()
    return _grade(planner, todo, shards, require_sandbox, progress, start)


def _grade(planner: BatchAutograde, todo: list[str], shards: int, require_sandbox,
           progress: Progress, start: float) -> RunReport:
    missing = check_sandbox(planner, require_sandbox)
    outcomes = dict(planner.outcomes)
    progress.start(len(todo))

    stop = _StopOnSignal(planner)

    def report(outcome: Outcome) -> None:
        outcomes[outcome.student] = outcome
        progress.advance(outcome.student)
        if stop.seen:
            raise KeyboardInterrupt

    with stop:
        if todo and shards == 1:
            planner.grade(todo, report)
        elif todo:
            run_shards(planner, todo, shards, report)
    return RunReport(outcomes, time.monotonic() - start, missing, planner.gradebook_repaired)

