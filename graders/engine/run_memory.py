"""Run memory: what a run's processes hold together, where no memory cgroup counts it.

A grader that is not root (the usual course server: cgroup v1, or v2 without a delegated memory
controller) makes no memory cgroup for a run, and ``RLIMIT_AS``, the cap left, is a limit per
process: six forked children held 5.1 GiB at once under a 4.6 GiB cap (attack 85), and with the
64 processes a run may have, one submission could ask the machine for 64 times the cap and let
the kernel's OOM killer choose among the grader's and the other students' processes. The pool
(:mod:`graders.engine.pool`) looks, every :data:`CHECK_EVERY` seconds, at what the run's process
group holds and stops the run past the cap. A run cannot leave its group (seccomp refuses
``setsid`` and ``setpgid``), so the group is the run.

Written by hand: no library sums a process group's memory. Each process counts its
proportional set (``Pss`` in ``/proc/<pid>/smaps_rollup``: pages it shares with the template
and its siblings split among them, so a run's forked workers are not charged for torch many
times over); one whose ``smaps_rollup`` cannot be read (a student's ``PR_SET_DUMPABLE`` 0)
counts its resident anonymous and shared-memory pages in full (``/proc/<pid>/status``, readable
by everyone). A run of one process is left alone: its own ``RLIMIT_AS`` caps it.

Under stock ``nbgrader autograde`` the notebook's sealed kernel is watched the same way by a
:class:`Watch` thread in the grading process (``SealedExecute``), which stops the kernel's
children past the cap and leaves the kernel (capped by its own ``RLIMIT_AS``) running, so the
notebook goes on rather than failing as a whole.
"""

from __future__ import annotations

import os
import signal
import threading

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


def _held(pid: int) -> int:
    """Bytes ``pid`` holds: its proportional set, or where that is unreadable its resident
    anonymous and shared-memory pages."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    total = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith((b"RssAnon:", b"RssShmem:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        pass
    return total


def held(pgid: int) -> int:
    """Bytes the processes of group ``pgid`` hold together (0 for a group of one process)."""
    members = group_members(pgid)
    if len(members) < 2:
        return 0
    return sum(_held(pid) for pid in members)


def over_memory(pgid: int, cap: int) -> str:
    """Why the run led by ``pgid`` must stop (its processes hold more than ``cap`` bytes
    together; "" if not)."""
    used = held(pgid)
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
        while not self._end.wait(CHECK_EVERY):
            problem = over_memory(self.pgid, self.cap)
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
