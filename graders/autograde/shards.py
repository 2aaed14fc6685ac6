"""Shards: the grading processes of a batch, forked from the process that planned it, each
with its own pool, taking the next student from one queue as it has room, and their outcomes
relayed back.

One queue, not fixed shares: the shards finish together (a share could leave one core idle at
the end while the other still had several students), the students running at the same moment
are always neighbours in the batch's order, whatever the class size (so the heavy ones, a
student importing matplotlib, say, meet at 5,000 as rarely as at 100, and the tree's peak
memory does not grow with the class), and a grading process that dies takes only the students
it had started with it. The queue is a pipe of fixed-size tickets (an index into the batch's
list of students, which every shard has from the fork): reads of a few bytes from a pipe are
atomic, and a shard that dies holds no lock the others would wait on. Written by hand:
``multiprocessing.Queue`` would need the coordinator's feeder thread and a lock a dying shard
can leave taken. The outcomes come back the same way, each shard on a pipe of its own whose
only write end it holds, sent from its own thread (``Connection.send``): a
``multiprocessing.Queue`` shared by the shards has one write lock for all of them, and a shard
killed while its feeder thread held it left the other shard unable to send or to exit, and the
batch waiting for it forever. A shard killed in the middle of a message ends its own pipe only.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import multiprocessing.connection
import os
import signal
import struct
import time
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


TICKET = struct.Struct("<I")  # a student's index in the batch's list
#: Room for the tickets in the pipe before the shards start (Linux's pipe-max-size default, 1
#: MiB: 262,144 students); a larger batch's tickets are written as the shards read them.
TICKET_PIPE_BYTES = 2**20


class Tickets:
    """The batch's queue of students: a pipe of :data:`TICKET` s, written by the coordinator,
    read by the shards (a read of one ticket is atomic, so each student is taken once)."""

    def __init__(self, students: list[str]) -> None:
        self.students = students
        self.read_fd, self.write_fd = os.pipe()
        try:
            fcntl.fcntl(self.write_fd, fcntl.F_SETPIPE_SZ, TICKET_PIPE_BYTES)
        except OSError:
            pass  # over the system's pipe-max-size: the default 64 KiB, topped up as read
        os.set_blocking(self.write_fd, False)
        self.written = 0
        self.top_up()

    def top_up(self) -> None:
        """Write what fits of the tickets not written yet; close the pipe after the last one
        (the shards then read its end)."""
        while self.write_fd >= 0 and self.written < len(self.students):
            end = min(len(self.students), self.written + 4096)
            data = b"".join(TICKET.pack(i) for i in range(self.written, end))
            try:
                sent = os.write(self.write_fd, data)
            except BlockingIOError:
                return
            self.written += sent // TICKET.size  # whole tickets: the pipe takes 4-byte writes whole
            if sent % TICKET.size:  # never on Linux (writes of whole pages); refuse to guess
                raise RuntimeError("a ticket was split in the batch's queue")
        self.close_write()

    def close_write(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def take(self, shard: int, send):
        """A shard's students, one at a time as its pool has room (each announced to the
        coordinator before it is graded, so a shard that dies fails only the students it had
        taken)."""
        while True:
            data = os.read(self.read_fd, TICKET.size)
            if len(data) < TICKET.size:  # the end: every ticket taken
                return
            student = self.students[TICKET.unpack(data)[0]]
            send(("took", shard, student))
            yield student


def _shard(index: int, batch: BatchAutograde, tickets: Tickets, send, notebooks: int) -> None:
    """One grading process: the whole pipeline, with the batch's template, for the students it
    takes from ``tickets``. ``batch`` is the planner it was forked from: config, converter and
    stages are ready."""
    tickets.close_write()  # the coordinator's copy alone: the end of the pipe is read when it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for engine in nbgrader_caching.engines():  # never share a connection across a fork
            engine.dispose(close=False)
        pool = batch.make_pool(notebooks)  # its sandbox uids: this process's own range
        batch.grade(tickets.take(index, send),
                    lambda outcome: send(("outcome", index, asdict(outcome))), pool=pool)
        stats = pool.stats()  # a DaskPool's, for the summary (a local pool has none)
        pool.close()
        send(("exit", index, stats))
    except BaseException as err:  # noqa: BLE001 - tell the coordinator, whatever happened
        send(("crash", index, _short(err)))


def run_shards(planner: BatchAutograde, students: list[str], shards: int, report,
               on_exit=None) -> None:
    """Grade ``students`` in ``shards`` processes taking them from one queue in this order,
    relaying each outcome to ``report`` (and what a shard reports when it ends to
    ``on_exit``).

    The shards are forked from this process, which has imported nbgrader, read the config and
    built ``planner``'s stages already, so they start at once and share that work. Nothing here
    has started a thread yet, and the gradebook's connections are closed (``Gradebook.close``
    disposes them), so the fork is clean; each shard opens its own connections and attaches to
    the batch's one template (:func:`graders.engine.template_control.start_shared`). Each
    shard leads its own process group, so a signal a submission sends to its group reaches
    nothing here (and the sandbox keeps it from signalling anything else)."""
    ctx = multiprocessing.get_context("fork")
    tickets = Tickets(list(students))
    notebooks = notebooks_per_shard(shards)
    procs, readers = [], []
    try:
        for i in range(shards):
            reader, writer = ctx.Pipe(duplex=False)
            readers.append(reader)
            procs.append(ctx.Process(target=_shard,
                                     args=(i, planner, tickets, writer.send, notebooks)))
            try:
                procs[-1].start()
            finally:
                writer.close()  # the shard's copy only (the next shards are forked without it)
        _relay(procs, tickets, readers, report, on_exit)
    finally:  # Ctrl-C, SIGTERM or an error here: stop the shards; finished students stay recorded
        tickets.close_write()
        os.close(tickets.read_fd)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        for reader in readers:
            reader.close()


def _received(readers: list, shards: set, timeout: float, ended: set) -> list[tuple]:
    """The messages ``shards`` have sent, in order per shard, waiting up to ``timeout`` seconds
    for the first. A shard whose pipe ended (it exited, or died, perhaps in the middle of a
    message) goes into ``ended`` and is not waited for again."""
    got = []
    waiting = [readers[i] for i in shards if i not in ended]
    ready = multiprocessing.connection.wait(waiting, timeout) if waiting else []
    for i in [i for i in shards if i not in ended and readers[i] in ready]:
        try:
            while readers[i].poll():
                got.append(readers[i].recv())
        except (EOFError, OSError):
            ended.add(i)
    return got


def _relay(procs, tickets: Tickets, readers: list, report, on_exit=None) -> None:
    """Relay the shards' outcomes; a student a shard took and never reported (the shard died:
    the OOM killer, say) fails with the reason. Each student is announced before a shard grades
    it, so what a shard that died had taken is known; whoever has no outcome when every shard
    has ended fails with the reason the shards ended."""
    taken: dict[str, int] = {}  # student -> the shard grading it
    reported: set[str] = set()
    ended: list[str] = []  # why shards ended early
    running = set(range(len(procs)))
    silent: set[int] = set()  # shards whose pipe has ended

    def relay(kind: str, index: int, payload) -> None:
        if kind == "took":
            taken[payload] = index
        elif kind == "outcome":
            taken.pop(payload["student"], None)
            reported.add(payload["student"])
            report(Outcome(**payload))
        else:
            running.discard(index)
            if kind == "exit" and payload is not None and on_exit is not None:
                on_exit(payload)
            if kind == "crash":
                ended.append(f"grading process failed: {payload}")
            _give_up(taken, index, f"grading process failed: {payload}", report, reported)

    while running:
        tickets.top_up()
        messages = _received(readers, running, 1.0, silent)
        for message in messages:
            relay(*message)
        if messages:
            continue
        if running <= silent:  # every pipe has ended: only the exit codes are left to read
            time.sleep(0.05)
        for i in [i for i in running if procs[i].exitcode is not None]:
            for message in _received(readers, {i}, 0, silent):  # what it sent before it ended
                relay(*message)
            if i in running:  # died without a word (the OOM killer, say)
                running.discard(i)
                ended.append(f"grading process exited ({procs[i].exitcode})")
                _give_up(taken, i, ended[-1], report, reported)
    reason = "; ".join(dict.fromkeys(ended)) or "no grading process took it"
    for student in [s for s in tickets.students if s not in reported]:
        report(Outcome(student, "failed", notes=[reason]))


def _give_up(taken: dict[str, int], shard: int, reason: str, report, reported: set) -> None:
    for student in [s for s, i in taken.items() if i == shard]:
        del taken[student]
        reported.add(student)
        report(Outcome(student, "failed", notes=[reason]))
