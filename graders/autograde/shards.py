"""Shards: the grading processes of a batch, forked from the process that planned it, each
grading its share of the students with its own pool, and their outcomes relayed back."""

from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import asdict
from queue import Empty

from ..engine import nbgrader_caching
from .converter import NOTEBOOKS_PER_SHARD, BatchAutograde
from .outcome import Outcome
from .outcome import short as _short


def forked(function, *args):
    """``function(*args)`` in a forked process: ("ok", its result) or ("error", what went
    wrong)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def target() -> None:
        try:
            queue.put(("ok", function(*args)))
        except BaseException as err:  # noqa: BLE001 - reported to the caller
            queue.put(("error", str(err) if isinstance(err, SystemExit) else _short(err)))

    proc = ctx.Process(target=target)
    proc.start()
    try:
        while True:
            try:
                return queue.get(timeout=1.0)
            except Empty:
                if proc.exitcode is not None:
                    return "error", f"the helper process exited ({proc.exitcode})"
    finally:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()



def notebooks_per_shard(shards: int) -> int:
    """Notebooks each of ``shards`` grading processes keeps running (each with its re-run): as
    many as keep the cores busy, no more (each sealed child is ~200 MiB of the tree's RSS). On
    2 cores, 2 grading processes with 1 notebook each (4 sealed children at once, was 8)
    measured a peak tree RSS of 1.37 GiB against 1.40-1.64 GiB, and the tree had fewer than 2
    runnable processes no more often (15-17 % of samples, against 22-26 %)."""
    return max(1, min(NOTEBOOKS_PER_SHARD, (os.cpu_count() or 1) // max(1, shards)))


def _shard(index: int, batch: BatchAutograde, students, queue, notebooks: int) -> None:
    """One grading process: the whole pipeline, with the batch's template, for its share.
    ``batch`` is the planner it was forked from: config, converter and stages are ready."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for engine in nbgrader_caching.engines():  # never share a connection across a fork
            engine.dispose(close=False)
        pool = batch.make_pool(notebooks)  # its sandbox uids: this process's own range
        batch.grade(students, lambda outcome: queue.put(("outcome", index, asdict(outcome))),
                    pool=pool)
        stats = pool.stats()  # a DaskPool's, for the summary (a local pool has none)
        pool.close()
        queue.put(("exit", index, stats))
    except BaseException as err:  # noqa: BLE001 - tell the coordinator, whatever happened
        queue.put(("crash", index, _short(err)))


def run_shards(planner: BatchAutograde, shares, report, on_exit=None) -> None:
    """Run one process per share of students, relaying each outcome to ``report`` (and what
    a shard reports when it ends to ``on_exit``).

    The shards are forked from this process, which has imported nbgrader, read the config and
    built ``planner``'s stages already, so they start at once and share that work. Nothing here
    has started a thread yet, and the gradebook's connections are closed (``Gradebook.close``
    disposes them), so the fork is clean; each shard opens its own connections and attaches to
    the batch's one template (:func:`graders.engine.template_control.start_shared`). Each
    shard leads its own process group, so a signal a submission sends to its group reaches
    nothing here (and the sandbox keeps it from signalling anything else)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    notebooks = notebooks_per_shard(len(shares))
    procs = [ctx.Process(target=_shard, args=(i, planner, share, queue, notebooks))
             for i, share in enumerate(shares)]
    for proc in procs:
        proc.start()
    try:
        _relay(procs, shares, queue, report, on_exit)
    finally:  # Ctrl-C, SIGTERM or an error here: stop the shards; finished students stay recorded
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()


def _relay(procs, shares, queue, report, on_exit=None) -> None:
    pending = {student: i for i, share in enumerate(shares) for student in share}
    running = set(range(len(procs)))
    while running:
        try:
            kind, index, payload = queue.get(timeout=1.0)
        except Empty:
            for i in [i for i in running if procs[i].exitcode is not None]:
                running.discard(i)  # died without a word (the OOM killer, say)
                _give_up(pending, i, f"grading process exited ({procs[i].exitcode})", report)
            continue
        if kind == "outcome":
            pending.pop(payload["student"], None)
            report(Outcome(**payload))
        else:
            running.discard(index)
            if kind == "exit" and payload is not None and on_exit is not None:
                on_exit(payload)
            _give_up(pending, index, f"grading process failed: {payload}", report)


def _give_up(pending: dict[str, int], shard: int, reason: str, report) -> None:
    for student in [s for s, i in pending.items() if i == shard]:
        del pending[student]
        report(Outcome(student, "failed", notes=[reason]))

