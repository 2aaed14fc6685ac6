"""Cgroups: a memory and process cap the kernel enforces, one control group per sealed run.

``RLIMIT_AS`` counts mapped address space only: memory files (``memfd_create``), tmpfs and shared
memory escape it once unmapped. A memory cgroup counts every page its processes charge, whatever
holds it. So where the grader may create groups, each sealed run gets one, below the group the
grading process itself is in (read from ``/proc/self/cgroup``; no process is ever moved out of
the group it was started in: the run's child joins its new group itself, right after the fork):

* **cgroup v2** (one hierarchy, ``cgroup.controllers``): ``memory.max``, ``memory.swap.max``
  and ``pids.max``; possible when the grader's group already hands the ``memory`` controller to
  its children (a delegated systemd unit, a container's root), since v2 forbids enabling a
  controller below a group that holds processes;
* **cgroup v1** (hybrid hosts: ``/sys/fs/cgroup/memory`` and ``/sys/fs/cgroup/pids``):
  ``memory.limit_in_bytes``, ``memory.memsw.limit_in_bytes`` and ``pids.max``.

Neither (no write access, e.g. a grader that is not root and has no delegated group): the runs
keep ``RLIMIT_AS`` alone, with ``memfd_create`` refused by the child's seccomp filter (memory
files are the one way to hold pages outside it that Landlock and seccomp do not already close:
``/dev/shm`` is out of Landlock's reach, System V shared memory is refused, and the run's tmpfs
has its own ``size=``), and the summary says so. A run that goes over its group's cap is
stopped by the kernel (the cgroup's OOM killer); the pool reads the group's ``oom_kill`` count
to say so in the cell that was running.

Standard library only: cgroups are files. Written by hand, since no library in this stack makes or
reads control groups.
"""

from __future__ import annotations

import os
import time

ROOT = "/sys/fs/cgroup"


def _own_groups() -> dict[str, str]:
    """controller (or "" for v2) -> this process's group path, from /proc/self/cgroup."""
    out = {}
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(",") if controllers else [""]:
                    out[name] = path
    except OSError:
        pass
    return out


class RunGroups:
    """Creates, reads and removes the per-run groups; ``kind`` is "v2", "v1" or "" (none),
    ``why`` says why none."""

    def __init__(self) -> None:
        self.kind, self.why = "", ""
        self.memory = self.pids = ""  # parent folders of the runs' groups
        self.pending: list[str] = []  # groups to remove once their last process is gone
        own = _own_groups()
        unified = os.path.exists(os.path.join(ROOT, "cgroup.controllers"))
        if unified and "" in own:
            base = os.path.normpath(ROOT + own[""])
            try:
                with open(os.path.join(base, "cgroup.subtree_control")) as fh:
                    enabled = fh.read().split()
            except OSError as err:
                enabled, self.why = [], f"cgroup v2: {err.strerror}"
            if "memory" in enabled and os.access(base, os.W_OK):
                self.kind, self.memory = "v2", base
                self.pids = base if "pids" in enabled else ""
            elif not self.why:
                self.why = (f"cgroup v2: the grader's group {own['']} does not hand the memory "
                            f"controller to groups below it, or is not writable")
        elif "memory" in own and os.path.isdir(os.path.join(ROOT, "memory")):
            base = os.path.normpath(os.path.join(ROOT, "memory") + own["memory"])
            if os.access(base, os.W_OK):
                self.kind, self.memory = "v1", base
                pids = os.path.normpath(os.path.join(ROOT, "pids") + own.get("pids", "/"))
                self.pids = pids if "pids" in own and os.access(pids, os.W_OK) else ""
            else:
                self.why = f"cgroup v1: no write access to {base}"
        else:
            self.why = "no memory cgroup controller on this machine"
        if self.kind:  # make sure one can be made here (a read-only cgroupfs, say)
            name = f"graders-check-{os.getpid()}"
            try:
                self.create(name, 2**30, 16)
            except OSError as err:
                self.kind, self.why = "", f"cgroup {self.kind}: {err.strerror} in {self.memory}"
            self.remove(name)

    def describe(self, memory: int) -> str:
        if self.kind == "v2":
            return (f"memory cgroup v2 per run (memory.max {memory / 2**30:g} GiB, counts "
                    f"every page: anonymous, memfd, tmpfs, shared memory)")
        if self.kind == "v1":
            return (f"memory cgroup v1 per run (memory.limit_in_bytes {memory / 2**30:g} GiB, "
                    f"counts every page: anonymous, memfd, tmpfs, shared memory)")
        return (f"RLIMIT_AS only ({self.why}); memory files (memfd_create), whose pages escape "
                f"it, are refused, and tmpfs is the run's private one (its size= caps it)")

    def _folders(self, name: str) -> list[tuple[str, str]]:
        out = [("memory", os.path.join(self.memory, name))] if self.memory else []
        if self.pids and self.pids != self.memory:
            out.append(("pids", os.path.join(self.pids, name)))
        return out

    def create(self, name: str, memory: int, processes: int) -> list[str]:
        """Make the run's group(s); returns the ``cgroup.procs`` files its child writes its pid
        to. Raises OSError when the kernel refuses."""
        if not self.kind:
            return []
        procs = []
        for kind, folder in self._folders(name):
            os.makedirs(folder, exist_ok=True)
            if kind == "memory" and self.kind == "v1":
                _write(folder, "memory.limit_in_bytes", memory)
                _write(folder, "memory.memsw.limit_in_bytes", memory, optional=True)
            elif kind == "memory":
                _write(folder, "memory.max", memory)
                _write(folder, "memory.swap.max", 0, optional=True)
            if processes and (kind == "pids" or self.pids == self.memory):
                _write(folder, "pids.max", processes, optional=True)
            procs.append(os.path.join(folder, "cgroup.procs"))
        return procs

    def oom_killed(self, name: str) -> bool:
        """Whether the kernel stopped a process of the run's group for going over its cap."""
        if not self.memory:
            return False
        folder = os.path.join(self.memory, name)
        try:
            if self.kind == "v2":
                with open(os.path.join(folder, "memory.events")) as fh:
                    text = fh.read()
            else:
                with open(os.path.join(folder, "memory.oom_control")) as fh:
                    text = fh.read()
                with open(os.path.join(folder, "memory.failcnt")) as fh:
                    failed = int(fh.read().strip() or 0)
                if "oom_kill " not in text:  # kernels before 4.13: the limit was reached
                    return failed > 0
        except (OSError, ValueError):
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value) > 0
        return False

    def remove(self, name: str | None = None, wait: float = 0.0) -> None:
        """Remove the run's group (and any left from earlier calls whose processes were still
        going away; with ``wait``, trying again for up to that many seconds)."""
        if name is not None:
            self.pending += [folder for _, folder in self._folders(name)]
        deadline = time.monotonic() + wait
        self._remove()
        while self.pending and time.monotonic() < deadline:
            time.sleep(0.05)
            self._remove()

    def _remove(self) -> None:
        left = []
        for folder in self.pending:
            try:
                os.rmdir(folder)
            except FileNotFoundError:
                pass
            except OSError:
                left.append(folder)
        self.pending = left


def _write(folder: str, name: str, value: int, optional: bool = False) -> None:
    try:
        with open(os.path.join(folder, name), "w") as fh:
            fh.write(str(int(value)))
    except OSError:
        if not optional:
            raise
