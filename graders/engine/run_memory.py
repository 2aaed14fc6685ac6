"""Run memory: what a run's processes hold together, where no memory cgroup counts it.

A grader that is not root (the usual course server: cgroup v1, or v2 without a delegated memory
controller) makes no memory cgroup for a run, and ``RLIMIT_AS``, the cap left, is a limit per
process: six forked children held 5.1 GiB at once under a 4.6 GiB cap (attack 85), and with the
64 processes a run may have, one submission could ask the machine for 64 times the cap and let
the kernel's OOM killer choose among the grader's and the other students' processes. The pool
(:mod:`graders.engine.pool`) looks, every :data:`CHECK_EVERY` seconds, at what the run's process
group holds and stops the run past the cap. A run cannot leave its group (seccomp refuses
``setsid`` and ``setpgid``), so the group is the run.

Written by hand: no library sums a process group's memory. What counts is anonymous and
shared memory (file pages are the page cache's). First the group's resident anonymous and
shared pages (``/proc/<pid>/status``: cheap, readable by everyone); only when they add up to
more than the cap, each process's proportional share of them (``Pss_Anon`` and ``Pss_Shmem`` in
``/proc/<pid>/smaps_rollup``: pages shared with the template and its siblings split among them,
so a run's forked workers are not charged for torch many times over), which costs a walk of
the process's mappings (17 ms for 60,000 of them): a look that took long is followed by a
longer pause, so a run cannot keep the grader busy looking. A process whose ``smaps_rollup``
cannot be read (a student's ``PR_SET_DUMPABLE`` 0) counts its resident pages in full. A run
of one process is left alone: its own ``RLIMIT_AS`` caps it.

Under stock ``nbgrader autograde`` the notebook's sealed kernel is watched the same way by a
:class:`Watch` thread in the grading process (``SealedExecute``), which stops the kernel's
children past the cap and leaves the kernel (capped by its own ``RLIMIT_AS``) running, so the
notebook goes on rather than failing as a whole.
"""

from __future__ import annotations

import os
import signal
import threading
import time

CHECK_EVERY = 0.25  # seconds between looks at a run's processes


def group_members(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (from ``/proc/<pid>/stat``)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != b"Z":  # a zombie holds no memory
            members.append(int(entry))
    return members


def _read(path: str, keys: tuple[bytes, ...]) -> int | None:
    """The sum of the ``keys`` lines (kB) of a ``/proc`` file, in bytes; None if unreadable."""
    total = 0
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.startswith(keys):
                    total += int(line.split()[1]) * 1024
    except OSError:
        return None
    return total


def held(pgid: int, cap: int) -> int:
    """Bytes of anonymous and shared memory the processes of group ``pgid`` hold together, as
    resident pages while those are within ``cap``, else as proportional shares (0 for a group
    of one process)."""
    members = group_members(pgid)
    if len(members) < 2:
        return 0
    resident = {pid: _read(f"/proc/{pid}/status", (b"RssAnon:", b"RssShmem:")) or 0
                for pid in members}
    if sum(resident.values()) <= cap:
        return sum(resident.values())
    total = 0
    for pid, pages in resident.items():
        share = _read(f"/proc/{pid}/smaps_rollup", (b"Pss_Anon:", b"Pss_Shmem:"))
        total += pages if share is None else share
    return total


def next_pause(looked: float) -> float:
    """Seconds until the next look, after one that took ``looked`` seconds: at most a tenth
    of the time goes to looking."""
    return max(CHECK_EVERY, 10 * looked)


def over_memory(pgid: int, cap: int) -> str:
    """Why the run led by ``pgid`` must stop (its processes hold more than ``cap`` bytes
    together; "" if not)."""
    used = held(pgid, cap)
    if used <= cap:
        return ""
    return (f"its processes together held {used / 2**30:.2f} GiB, more than the "
            f"{cap / 2**30:g} GiB of memory a submission may, so the grader stopped it")


class Watch(threading.Thread):
    """Looks every :data:`CHECK_EVERY` seconds at what process group ``pgid`` holds and, past
    ``cap`` bytes, SIGKILLs every process of the group but its leader; ``stopped`` lists what
    each such stop said. :meth:`stop` ends the watch."""

    def __init__(self, pgid: int, cap: int) -> None:
        super().__init__(name=f"graders-memory-watch-{pgid}", daemon=True)
        self.pgid, self.cap = pgid, cap
        self.stopped: list[str] = []
        self._end = threading.Event()

    def run(self) -> None:
        pause = CHECK_EVERY
        while not self._end.wait(pause):
            start = time.monotonic()
            problem = over_memory(self.pgid, self.cap)
            pause = next_pause(time.monotonic() - start)
            if not problem:
                continue
            self.stopped.append(problem)
            for pid in group_members(self.pgid):
                if pid != self.pgid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass

    def stop(self) -> None:
        self._end.set()
        self.join(timeout=2 * CHECK_EVERY + 1)
