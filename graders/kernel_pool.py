"""Kernel pool: run many submissions' cells at once, each in a child forked from a warm template.

The template is the standard library's forkserver (``multiprocessing``'s "forkserver" start
method) preloading :mod:`graders.kernel_template`: it imports torch, numpy and IPython and makes
the shell once, and every submission then
runs in a fresh process forked from it (PrairieLearn's Python grader works the same way). A child
shares nothing with another student's, costs milliseconds to start, and runs its cells with
:func:`graders.cell_runner.run`. Torch starts its thread pools lazily, so the template, which
never runs a tensor operation, forks safely.

Written by hand, because no library does it, is the fault handling around the children:

* at most ``workers`` children at a time (default: one per core), results yielded as each ends;
* a cell that ignores the soft timeout is killed ``grace`` seconds after it;
* a child that dies (``os._exit``, a segfault, the kill above) keeps every cell it finished; the
  cell it died in gets a ``KernelDied`` error output saying why, and the rest of the notebook
  runs in a new child that first replays the finished cells to rebuild the state. The cell that
  died is replayed as a stand-in that raises at once, so the hidden tests, which re-run the
  student's cells, fail with that reason instead of dying again; after ``max_restarts`` deaths
  the remaining cells are marked as not run;
* everything a child sends is JSON and is checked; a child that sends anything else (student code
  writing to the channel) is killed and the submission marked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing import connection, forkserver

from . import cell_runner

PRELOAD = ["graders.kernel_template"]
START_TIMEOUT = 60.0  # seconds for a child to be ready for its first cell


@dataclass
class Job:
    """One notebook to run: its code cells as (index in the notebook, source)."""

    key: str
    cells: list[tuple[int, str]]
    cwd: str


@dataclass
class JobResult:
    key: str
    outputs: dict[int, list[dict]] = field(default_factory=dict)
    execution_counts: dict[int, int] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)


@dataclass
class _Running:
    job: Job
    result: JobResult
    process: multiprocessing.Process
    conn: connection.Connection
    deadline: float
    known: set[int] = field(default_factory=set)  # the job's cell indices a message may name
    current: int | None = None
    done: bool = False
    timed_out: bool = False
    protocol_error: str = ""
    killers: set[int] = field(default_factory=set)
    deaths: int = 0


def _error(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [f"{ename}: {evalue}"]}


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is None:
        return "it stopped responding"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"the process exited with code {exitcode}"


class KernelPool:
    """Runs :class:`Job` s in forked children, ``workers`` at a time."""

    def __init__(self, workers: int | None = None, timeout: float = 30.0,
                 memory_cap: int = 4 * 2**30, grace: float = 5.0, max_restarts: int = 3,
                 traceback_mode: str = "Plain", preload: list[str] | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout, self.memory_cap = timeout, memory_cap
        self.grace, self.max_restarts = grace, max_restarts
        self.traceback_mode = traceback_mode
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD if preload is None else preload)

    def warm_up(self) -> None:
        """Start the template now, so it imports torch while the caller does other work."""
        forkserver.ensure_running()

    # ------------------------------------------------------------------ scheduling
    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        pending = iter(jobs)
        active: dict[connection.Connection, _Running] = {}
        exhausted = False
        while active or not exhausted:
            while not exhausted and len(active) < self.workers:
                job = next(pending, None)
                if job is None:
                    exhausted = True
                    break
                run = self._spawn(job, JobResult(job.key), job.cells, replay=[])
                active[run.conn] = run
            if not active:
                break
            for run in self._wait(list(active.values())):
                del active[run.conn]
                restarted = self._after_exit(run)
                if restarted is None:
                    yield run.result
                else:
                    active[restarted.conn] = restarted

    def _spawn(self, job: Job, result: JobResult, cells, replay, deaths=0, killers=None):
        reader, writer = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=cell_runner.run,
            args=(writer, cells, replay, job.cwd, self.timeout, self.memory_cap,
                  self.traceback_mode),
            daemon=True,
        )
        process.start()
        writer.close()
        return _Running(job, result, process, reader, time.monotonic() + START_TIMEOUT,
                        known={index for index, _ in job.cells},
                        killers=set(killers or ()), deaths=deaths)

    def _wait(self, runs: list[_Running]) -> list[_Running]:
        """Block until some children have exited; handle their messages meanwhile."""
        while True:
            now = time.monotonic()
            for run in runs:  # kill what overran its cell's timeout by more than the grace
                if now > run.deadline and run.process.exitcode is None:
                    run.timed_out = True
                    run.process.kill()
            wait_for = min(run.deadline for run in runs) - now
            objects = [r.conn for r in runs if not r.conn.closed]
            objects += [r.process.sentinel for r in runs]
            ready = set(connection.wait(objects, timeout=max(0.0, min(wait_for, 1.0))))
            exited = []
            for run in runs:
                if not run.conn.closed and run.conn in ready:
                    self._drain(run)
                if run.process.sentinel in ready:
                    run.process.join()
                    self._drain(run)
                    exited.append(run)
            if exited:
                return exited

    def _drain(self, run: _Running) -> None:
        while not run.conn.closed and run.conn.poll():
            try:
                raw = run.conn.recv_bytes(16 * 2**20)
            except (EOFError, OSError):
                run.conn.close()
                return
            try:
                self._handle(run, json.loads(raw))
            except (ValueError, TypeError, KeyError) as err:
                run.protocol_error = f"unexpected data on the grader's channel ({err})"
                run.process.kill()
                run.conn.close()
                return

    def _handle(self, run: _Running, message: dict) -> None:
        known = run.known
        if "start" in message:
            index = int(message["start"])
            if index not in known:
                raise ValueError(f"cell {index}")
            run.current = index
            run.deadline = time.monotonic() + (self.timeout or 1e9) + self.grace
        elif "cell" in message:
            index = int(message["cell"])
            outputs = message["outputs"]
            if index not in known or not isinstance(outputs, list):
                raise ValueError(f"cell {index}")
            run.result.outputs[index] = outputs
            run.result.execution_counts[index] = int(message["execution_count"])
            run.current = None
            run.deadline = time.monotonic() + (self.timeout or 1e9) + self.grace
        elif message.get("done") is True:
            run.done = True
        else:
            raise ValueError("unknown message")

    # ------------------------------------------------------------------ faults
    def _after_exit(self, run: _Running) -> _Running | None:
        """None when the job is over; otherwise the child that carries on after a death."""
        run.conn.close()
        if run.done and not run.protocol_error:
            return None
        order = [index for index, _ in run.job.cells]
        unfinished = [i for i in order if i not in run.result.outputs]
        if not unfinished:
            return None
        died_in = run.current if run.current is not None else unfinished[0]
        if run.protocol_error:
            reason = run.protocol_error
        elif run.timed_out:
            reason = (f"the cell did not stop {self.grace:g} s after its {self.timeout:g} s "
                      f"timeout and was killed")
        else:
            reason = _exit_reason(run.process.exitcode)
        run.result.outputs[died_in] = [_error(
            "KernelDied",
            f"the kernel died while running this cell ({reason}). Cells after it ran in a "
            f"fresh kernel, which first re-ran the cells before this one.",
        )]
        run.result.faults.append(f"cell {died_in}: kernel died ({reason})")
        killers = run.killers | {died_in}
        rest = [(i, src) for i, src in run.job.cells if i not in run.result.outputs]
        if not rest:
            return None
        if run.deaths + 1 > self.max_restarts:
            for index, _ in rest:
                run.result.outputs[index] = [_error(
                    "KernelDied", f"not run: the kernel died {run.deaths + 1} times in this "
                                  f"notebook, so the grader stopped restarting it.")]
            run.result.faults.append(f"gave up after {run.deaths + 1} kernel deaths")
            return None
        first_rest = rest[0][0]
        replay = [(i, _stand_in(i, reason) if i in killers else src)
                  for i, src in run.job.cells if i < first_rest]
        return self._spawn(run.job, run.result, replay + rest, [i for i, _ in replay],
                           deaths=run.deaths + 1, killers=killers)


def _stand_in(index: int, reason: str) -> str:
    """What a cell that killed the kernel becomes in the fresh kernel's history: code that fails
    at once, so a hidden test that re-runs the student's cells reports it instead of dying too."""
    message = f"this cell stopped the kernel when it ran ({reason}), so it was not run again"
    return f"raise RuntimeError({message!r})"
