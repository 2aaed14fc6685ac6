"""Kernel pool: run many jobs at once, each in a sealed child forked from a warm template.

A job is one notebook run (the cells of a submission) or one of the grader's own re-runs of it
(:mod:`graders.checks.run_plan`). The pool keeps a template process (:mod:`graders.kernel.template`,
driven through :mod:`graders.engine.template_control`) that has imported torch, numpy and IPython,
asks it to fork a child per job, and reads what the child reports
(:mod:`graders.engine.child_reader`); in a batch every grading process's pool attaches to the
batch's one template (:func:`graders.engine.template_control.start_shared`), and while its
template warms up a pool takes jobs ahead (their notebooks get prepared meanwhile). Written by
hand, because no library does it, is everything around the children; this module does the
scheduling, the others one job each:

* **scheduling** (here): at most ``workers`` children at a time, results yielded as each job
  ends; each child leads its own process group, killed as a whole when the job ends, so
  processes it leaves behind die with it and cannot keep the grader's output open; a cell that
  overruns its timeout by ``grace`` seconds is killed; its control groups and caps are made here;
* **reading** (:mod:`~graders.engine.child_reader`): frames checked and kept within budgets;
* **crash recovery** (:mod:`~graders.engine.crash_recovery`): a child that dies keeps every cell
  it finished and the rest runs in a new child; a template that dies is started again and the
  jobs it was running start again, at no cost to the submissions;
* **the run's folder** (:mod:`~graders.engine.run_folder`): what a run leaves on disk, bounded
  and cleaned up.

Nothing the child sends is trusted: outputs only fill the autograded notebook; the grade comes
from :mod:`graders.checks` judging the plain data of the grader's re-runs.

Standard library only (``os.fork`` happens in the template; pipes, sockets and ``selectors`` here).
"""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import signal
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import protocol
from ..protocol import Cell, Step
from . import crash_recovery, run_folder, run_memory, scratch
from .cgroups import RunGroups
from .child_reader import ChildReader
from .crash_recovery import DRAIN_WAIT
from .jobs import Job, JobResult
from .run_folder import DISK_CHECK_EVERY, KEEP_ENTRIES, drop
from .sandbox import (
    Limits,
    SandboxPolicy,
    child_environment,
    kill_group,
    make_policy,
    process_uid_offset,
    sandbox_check,
)
from .template_control import MAX_TEMPLATE_RESTARTS, Template

__all__ = ["BATCH_WAIT", "KEEP_ENTRIES", "Job", "JobResult", "KernelPool", "local_pool"]

START_TIMEOUT = 120.0  # seconds for the template to import torch, or a child to start
#: After a look that found only children's output (no child ended, no job or template news), the
#: pool waits this long before looking again, so that what the children write in the meantime is
#: read in one go: a child writes a few hundred small frames a run, and a pool with nothing else
#: to do (a Dask worker's) otherwise wakes for each of them (~450 wake-ups a run measured, one
#: per frame; a few with this wait). A child does not wait for the pool to read (its channel
#: pipe holds :data:`CHANNEL_PIPE_BYTES`), so runs are not slowed; an ending is seen at most this
#: much later. In the local engine the grading process only looks when every slot is busy, so
#: it loses nothing to the wait either. A look that read
#: :data:`BATCH_BYTES` or more does not wait: output that floods is read as fast as before.
BATCH_WAIT = 0.005
#: Jobs per slot the pool takes from its feed ahead while its template warms up.
AHEAD_PER_SLOT = 4
BATCH_BYTES = 16 * 2**10
#: A child's channel pipe holds this much (Linux's default pipe-max-size), so that a child
#: writing fast is not held up while the pool waits.
CHANNEL_PIPE_BYTES = 2**20
_END = object()  # the end of the jobs


@dataclass(eq=False)  # compared and hashed by identity
class _Child:
    """One sealed child as a process: its job, slot, folders and caps; what it sent is read by
    its :class:`ChildReader`."""

    job: Job
    reader: ChildReader
    request: int
    slot: int
    private: str
    pid: int | None = None
    fds: dict = field(default_factory=dict)  # fd -> "channel"
    timed_out: bool = False
    exit_code: int | None = None
    deaths: int = 0
    killers: set = field(default_factory=set)  # positions of cells that killed a child
    requeue: bool = False  # the template died under it: run the job again from the start
    disk_checked: float = 0.0
    scratch_fd: int | None = None  # root of its private tmpfs (work/: its folder)
    held: list = field(default_factory=list)  # its mount namespace, dropped after the run
    group: str = ""  # name of its control groups ("" without)
    memory_checked: float = field(default_factory=time.monotonic)  # without: last look (run_memory)

    @property
    def result(self) -> JobResult:
        return self.reader.result


class KernelPool:
    """Runs :class:`Job` s in sealed children forked from a warm template, ``workers`` at a
    time (a :class:`graders.engine.pools.Pool`)."""

    def __init__(self, workers: int | None = None, timeout: float = 30.0, grace: float = 5.0,
                 max_restarts: int = 3, traceback_mode: str = "Plain",
                 sandbox: SandboxPolicy | None = None, memory_cap: int = 4 * 2**30,
                 max_stream_bytes: int = 2**20, slot_offset: int | None = None,
                 max_disk_bytes: int = 512 * 2**20, max_entries: int = 10_000) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout, self.grace, self.max_restarts = timeout, grace, max_restarts
        self.traceback_mode, self.sandbox = traceback_mode, sandbox
        self.memory_cap, self.max_stream_bytes = memory_cap, max_stream_bytes
        # uids (as root): this process's own range unless told (:data:`sandbox.UID_STRIDE`)
        self.slot_offset = process_uid_offset() if slot_offset is None else slot_offset
        self.max_disk_bytes = max_disk_bytes
        self.max_entries = max_entries
        self.groups: RunGroups | None = None  # made on first use (reads /proc and /sys)
        self.template = Template()
        self._requests = 0
        # Longest wait for an event before asking an open feed (see run) again: a feed that
        # watches for new work (graders serve) sets its own polling interval here.
        self.idle_wait = 1.0

    # ------------------------------------------------------------------ the Pool interface
    def warm_up(self) -> None:
        """Start the template now, so it imports torch while the caller does other work."""
        if not self.template.alive():
            self.template.start()

    def sandbox_check(self) -> list[str]:
        """What this kernel cannot do of the sandbox (a throw-away sealed child)."""
        return sandbox_check(self.sandbox)

    def stats(self) -> None:
        """A local pool has no statistics for the run's summary (a Dask pool's say where the
        runs went)."""
        return None

    def close(self) -> None:
        if self.groups is not None:
            self.groups.remove(wait=2.0)
        self.template.close()

    # ------------------------------------------------------------------ scheduling
    def run(self, jobs: Iterable[Job | None], wakeup: int | None = None) -> Iterator[JobResult]:
        """Run ``jobs``, yielding each result as its job ends. ``jobs`` may be an open feed
        (a Dask worker's, :mod:`graders.engine.dask_worker`): ``None`` from it means "nothing
        yet, ask again later", and ``wakeup`` is a descriptor that becomes readable when it
        has more (the pool reads it empty)."""
        self.warm_up()
        pending = iter(jobs)
        waiting: list[tuple[Job, JobResult, list, int, set]] = []  # restarts to launch
        children: dict[int, _Child] = {}  # request id -> child
        free = list(range(self.workers))
        selector = selectors.DefaultSelector()
        selector.register(self.template.control, selectors.EVENT_READ, "template")
        if wakeup is not None:
            selector.register(wakeup, selectors.EVENT_READ, "wakeup")
        exhausted = False
        started = {}
        ahead: list[Job] = []  # taken from ``jobs`` while the template warms up
        try:
            while True:
                # While the template is not ready, take jobs ahead: making them (a grading
                # process prepares a notebook for each) overlaps the template's warm-up.
                while (not children and not self._ready_now(children, selector)
                       and not exhausted and len(ahead) < AHEAD_PER_SLOT * self.workers):
                    job = next(pending, _END)
                    if job is None:
                        break
                    if job is _END:
                        exhausted = True
                        break
                    ahead.append(job)
                while self.template.ready and free and (waiting or ahead or not exhausted):
                    if waiting:
                        job, result, steps, deaths, killers = waiting.pop(0)
                    else:
                        job = ahead.pop(0) if ahead else next(pending, _END)
                        if job is None:  # an open feed with nothing ready: poll, ask again
                            break
                        if job is _END:
                            exhausted = True
                            break
                        result = JobResult(job.key)
                        started[job.key] = time.monotonic()
                        steps = [(i, s, False) for i, s in enumerate(job.steps)]
                        deaths, killers = 0, set()
                    child = self._spawn(job, result, steps, free.pop(0), deaths, killers,
                                        selector)
                    children[child.request] = child
                if not children and exhausted and not waiting and not ahead:
                    return
                for child in self._poll(children, selector):
                    del children[child.request]
                    free.append(child.slot)
                    again = crash_recovery.after_exit(child, self.timeout, self.grace,
                                                      self.max_restarts)
                    if again is None:
                        child.result.seconds = time.monotonic() - started.pop(child.job.key)
                        child.reader.finish()
                        yield child.result
                    else:
                        waiting.append(again)
        finally:
            for child in children.values():
                self._kill(child)
                self._close(child, selector)
            selector.close()

    def _ready_now(self, children, selector) -> bool:
        """Whether the template is ready, reading what it said without waiting (with no child
        running: a template that has gone is left to :meth:`_poll`)."""
        if not self.template.ready and self.template.control is not None:
            try:
                data = self.template.control.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except OSError:
                data = b""
            if data:  # a message, not the end of the connection
                for message in self.template.messages() or []:
                    self._template_message(message, children, selector)
        return self.template.ready

    def _spawn(self, job, result, steps, slot, deaths, killers, selector) -> _Child:
        self._requests += 1
        private = tempfile.mkdtemp(prefix="graders-")
        if self.sandbox is not None:
            policy = self.sandbox.for_job(job.cwd, private, self.slot_offset + slot)
            if os.geteuid() == 0:
                scratch.chown_tree(job.cwd, policy["uid"], policy["gid"], KEEP_ENTRIES * 4)
                os.chown(private, policy["uid"], policy["gid"])
        else:  # --no-sandbox: still its own session and a memory cap
            policy = {"isolate": False}
        policy["memory_cap"] = self.memory_cap
        caps = self._caps(private, policy)
        spec = {"cwd": job.cwd, "env": child_environment(private), "timeout": self.timeout,
                "memory_cap": self.memory_cap, "traceback_mode": self.traceback_mode,
                "trace": job.trace, "sandbox": policy, "max_stream_bytes": self.max_stream_bytes,
                "drain_wait": DRAIN_WAIT, "caps": caps,
                "steps": [protocol.step_to_wire(_as_run(step, silent))
                          for _, step, silent in steps]}
        spec_fd = os.memfd_create("graders-spec", os.MFD_CLOEXEC)
        os.write(spec_fd, json.dumps(spec).encode())
        chan_r, chan_w = os.pipe()
        try:  # room for what a child writes while the pool waits (see BATCH_WAIT)
            fcntl.fcntl(chan_w, fcntl.F_SETPIPE_SZ, CHANNEL_PIPE_BYTES)
        except OSError:
            pass  # over the system's pipe-max-size: the default 64 KiB
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        reader = ChildReader(result, steps, time.monotonic() + START_TIMEOUT, self.timeout,
                             self.grace, DRAIN_WAIT, self.max_stream_bytes)
        child = _Child(job, reader, self._requests, slot, private, deaths=deaths,
                       killers=set(killers), group=caps.get("group", ""))
        fds = [spec_fd, chan_w, out_w, err_w, out_r, err_r]
        self.template.spawn(child.request, fds)
        for fd in fds:  # the child forwards fds 1, 2
            os.close(fd)
        os.set_blocking(chan_r, False)
        child.fds[chan_r] = "channel"
        selector.register(chan_r, selectors.EVENT_READ, child)
        return child

    def _caps(self, private: str, policy: dict) -> dict:
        """The run's caps the kernel enforces: its control groups (made here, joined by the
        child itself) and its private tmpfs (mounted by the child: :func:`graders.kernel.
        confine.enter_caps`)."""
        if self.groups is None:
            self.groups = RunGroups()
        caps = {"tmpfs": bool(self.max_disk_bytes), "private": private,
                "disk_bytes": self.max_disk_bytes, "entries": self.max_entries,
                "owner": [policy["uid"], policy["gid"]] if "uid" in policy else None}
        if self.groups.kind and self.memory_cap:
            name = f"graders-{os.getpid()}-{self._requests}"
            # The tmpfs's pages are charged to the run too: room for a full disk on top.
            limit = self.memory_cap + self.max_disk_bytes
            try:
                processes = 2 * self.sandbox.limits.max_processes if self.sandbox else 0
                caps["cgroups"] = self.groups.create(name, limit, processes)
                caps["group"] = name
                caps["cgroup_text"] = self.groups.describe(self.memory_cap)
            except OSError:
                self.groups.remove(name)
        return caps

    def _poll(self, children: dict[int, _Child], selector) -> list[_Child]:
        """Wait for something to happen; returns the children that have ended."""
        ended = []
        now = time.monotonic()
        for child in children.values():
            reader = child.reader
            if now > reader.deadline and child.exit_code is None and child.pid is not None:
                child.timed_out = True
                self._kill(child)
            if (self.max_disk_bytes and child.pid is not None and not reader.problem
                    and child.scratch_fd is None and now - child.disk_checked > DISK_CHECK_EVERY):
                child.disk_checked = now  # no tmpfs: count its bytes and entries ourselves
                problem = run_folder.over_disk([child.job.cwd, child.private],
                                               self.max_disk_bytes, self.max_entries)
                if problem:
                    reader.problem = problem
                    self._kill(child)
            elif now > reader.deadline and child.pid is None:  # the template does not answer
                return self._template_died(children, selector)
            if (self.memory_cap and not child.group and child.pid is not None
                    and not reader.problem and now - child.memory_checked > run_memory.CHECK_EVERY):
                problem = run_memory.over_memory(child.pid, self.memory_cap)
                looked = time.monotonic() - now  # no memory cgroup: its processes summed here
                child.memory_checked = now + run_memory.next_pause(looked) - run_memory.CHECK_EVERY
                if problem:
                    reader.problem = problem
                    self._kill(child)
        looks = [c.memory_checked + run_memory.CHECK_EVERY for c in children.values()
                 if self.memory_cap and not c.group and c.pid is not None]
        deadline = min([c.reader.deadline for c in children.values()] + [now + self.idle_wait]
                       + looks)
        events = selector.select(timeout=max(0.0, min(deadline - now, self.idle_wait)))
        for key, _ in events:
            if key.data == "wakeup":
                _drain(key.fd)
        readable = {key.data for key, _ in events if key.data not in ("template", "wakeup")}
        received = sum(child.reader.received for child in readable)
        for child in readable:
            self._pump(child)
        received = sum(child.reader.received for child in readable) - received
        news = False
        template = self.template
        if any(key.data == "template" for key, _ in events) or not template.ready:
            news = True
            messages = template.messages() if template.control else None
            if messages is None:
                ended += self._template_died(children, selector)
            else:
                for message in messages:
                    ended += self._template_message(message, children, selector)
            if (not template.ready and template.process is not None
                    and template.process.poll() is not None):
                ended += self._template_died(children, selector)
        if (events and not ended and not news and received < BATCH_BYTES
                and all(key.data not in ("wakeup", "template") for key, _ in events)):
            time.sleep(BATCH_WAIT)  # only a little output so far: let more gather (BATCH_WAIT)
        return ended

    def _template_message(self, message, children, selector) -> list[_Child]:
        if "ready" in message:
            self.template.ready = True
            return []
        if "spawned" in message:
            child = children.get(message["spawned"])
            fd, held = message.pop("fd", None), message.pop("held", [])
            if child is not None:
                child.pid = message["pid"]
                child.scratch_fd, child.held = fd, held
            else:
                drop([fd, *held] if fd is not None else held)
            return []
        if "failed" in message:
            child = children.get(message["failed"])
            if child is not None:
                child.reader.problem = (f"the grader could not start a process: "
                                        f"{message['reason']}")
                child.exit_code = -1
                self._close(child, selector)
                return [child]
            return []
        if "exited" in message:
            for child in children.values():
                if child.pid == message["exited"]:
                    child.exit_code = message["status"]
                    kill_group(child.pid)  # whatever it left running, gone before the slot's reuse
                    self._pump(child)
                    self._close(child, selector)
                    return [child]
        return []

    def _template_died(self, children, selector) -> list[_Child]:
        ended = []
        for child in children.values():
            self._kill(child)
            self._pump(child)
            child.exit_code = None
            child.requeue = True  # not the submission's doing: start its job again
            self._close(child, selector)
            ended.append(child)
        try:
            selector.unregister(self.template.control)
        except (KeyError, ValueError):
            pass
        self.close()
        self.template.restarts += 1
        if self.template.restarts > MAX_TEMPLATE_RESTARTS:
            raise RuntimeError(f"the grading template stopped {self.template.restarts} times; "
                               f"giving up (is the machine out of memory?)")
        self.template.start()
        selector.register(self.template.control, selectors.EVENT_READ, "template")
        return ended

    def _pump(self, child: _Child) -> None:
        """Read and handle everything the child has sent so far."""
        for fd in list(child.fds):
            while True:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    data = b""
                if not data:
                    break
                if not child.reader.feed(data):
                    self._kill(child)  # it broke the protocol

    # ------------------------------------------------------------------ ending
    def _kill(self, child: _Child) -> None:
        if child.pid is not None:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _close(self, child: _Child, selector) -> None:
        for fd in list(child.fds):
            try:
                selector.unregister(fd)
            except (KeyError, ValueError):
                pass
            os.close(fd)
        child.fds.clear()
        scratch_fd, held, child.scratch_fd, child.held = child.scratch_fd, child.held, None, []
        run_folder.keep_files(child.job.cwd, scratch_fd, held, child.result.faults,
                              self.max_entries, self.max_disk_bytes)
        scratch.remove_tree(child.private)
        if child.group and self.groups is not None:
            if self.groups.oom_killed(child.group) and not child.reader.problem:
                child.reader.problem = (
                    f"it used more than the {self.memory_cap / 2**30:g} GiB of memory a "
                    f"submission may (memory files and shared memory included), so the kernel "
                    f"stopped it")
            self.groups.remove(child.group)
            child.group = ""
        if os.geteuid() == 0 and self.sandbox is not None:
            scratch.chown_tree(child.job.cwd, os.getuid(), os.getgid(), KEEP_ENTRIES * 4)


def local_pool(root: str, settings: dict, workers: int | None = None,
               slot_offset: int | None = None) -> KernelPool:
    """A :class:`KernelPool` from the plain settings of :func:`graders.engine.runs.pool_settings`
    (also on a Dask worker: :mod:`graders.engine.dask_worker`); its sandbox policy is made here,
    from this machine's Python, keeping ``root`` (the course) out of reach."""
    policy = None
    if settings["sandbox"]:
        policy = make_policy(Path(root), Limits(**settings["limits"]), settings["uid_base"])
    return KernelPool(workers=workers, timeout=settings["timeout"], grace=settings["grace"],
                      max_restarts=settings["max_restarts"],
                      traceback_mode=settings["traceback_mode"], sandbox=policy,
                      memory_cap=settings["memory_cap"],
                      max_stream_bytes=settings["max_stream_bytes"], slot_offset=slot_offset,
                      max_disk_bytes=settings.get("max_disk_bytes", 512 * 2**20),
                      max_entries=settings.get("max_entries", 10_000))


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, OSError):
        pass


def _as_run(step: Step, silent: bool) -> Step:
    if isinstance(step, Cell):
        return replace(step, report=step.report and not silent)
    return step
