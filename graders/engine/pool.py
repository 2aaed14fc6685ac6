"""Kernel pool: run many jobs at once, each in a sealed child forked from a warm template.

A job is one notebook run (the cells of a submission) or one of the grader's own re-runs of it
(:mod:`graders.checks.run_plan`). The pool keeps a template process (:mod:`graders.kernel.template`)
that has imported torch, numpy and IPython, asks it to fork a child per job, and reads what the
child reports. Written by hand, because no library does it, is everything around the children:

* **scheduling**: at most ``workers`` children at a time, results yielded as each job ends;
* **reading**: everything the child reports (stream text, displays, errors, cell boundaries,
  extractions) arrives in order as JSON frames on one pipe, read here in linear time; frames are
  checked (kind, known cell, size) and cleaned (unencodable characters replaced), stream text is
  kept up to ``max_stream_bytes`` per stream and cell (then a note); a child that sends
  anything else is killed and the job marked;
* **faults stay local**: each child leads its own process group, killed as a whole when the job
  ends, so processes it leaves behind die with it and cannot keep the grader's output open; a
  cell that overruns its timeout by ``grace`` seconds is killed; a child that dies
  (``os._exit``, a segfault, the kill) keeps every cell it finished: the cell it died in gets a
  ``KernelDied`` error saying why and the rest runs in a new child that first replays the cells
  before it (the cell that died is replayed as a stand-in that fails at once); after
  ``max_restarts`` deaths the remaining cells are marked as not run;
* **a template that dies** (killed, out of memory) is started again and the jobs it was running
  start again from the beginning; that is not the submissions' doing and costs them nothing.

Nothing the child sends is trusted: outputs only fill the autograded notebook; the grade comes
from :mod:`graders.checks` judging the plain data of the grader's re-runs.
"""

from __future__ import annotations

import codecs
import fcntl
import json
import os
import queue
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import protocol
from ..protocol import Cell, CellEnd, Crash, Done, Extract, Extracted, Output, Ready, Start, Step
from ..protocol import Stream as StreamText
from . import scratch
from .cgroups import RunGroups
from .sandbox import (
    Limits,
    SandboxPolicy,
    child_environment,
    kill_group,
    make_policy,
    template_environment,
)

START_TIMEOUT = 120.0  # seconds for the template to import torch, or a child to start
#: Largest frame a child may send: the runner cuts each output to 2 MiB of JSON and sends stream
#: text in 64 KiB pieces, so anything bigger was not written by it.
MAX_FRAME = 4 * 2**20
#: Rich outputs (displays, results, errors) kept per cell; the rest is dropped with a note.
MAX_RICH_BYTES = 8 * 2**20
#: Outputs a run may send in all and have kept; beyond that its outputs are dropped with a note
#: (the run goes on: a correct cell that shows many large displays keeps its marks).
MAX_RUN_BYTES = 256 * 2**20
#: Without a private tmpfs (a kernel without user namespaces), seconds between looks at what a
#: running child wrote to disk, counted in bytes and entries.
DISK_CHECK_EVERY = 1.0
#: At most this many entries of what a run left in its folder are kept (copied back from its
#: tmpfs into the notebook's folder, so into autograded/); the rest is dropped with a fault.
KEEP_ENTRIES = 1000
# Seconds a cell's end waits at most for what reached fds 1 and 2 to be forwarded (a writer
# that never stops costs this much per cell); the cell's hard deadline allows for it.
DRAIN_WAIT = 5.0
MAX_TEMPLATE_RESTARTS = 5
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
BATCH_BYTES = 16 * 2**10
#: A child's channel pipe holds this much (Linux's default pipe-max-size), so that a child
#: writing fast is not held up while the pool waits.
CHANNEL_PIPE_BYTES = 2**20
_END = object()  # the end of the jobs


@dataclass
class Job:
    """One run: ``steps`` as the runner takes them (see :mod:`graders.kernel.runner`)."""

    key: str
    steps: list[Step]
    cwd: str
    trace: bool = False


@dataclass
class JobResult:
    key: str
    outputs: dict[int, list[dict]] = field(default_factory=dict)
    execution_counts: dict[int, int] = field(default_factory=dict)
    extracts: dict[str, dict] = field(default_factory=dict)
    cell_errors: dict[int, list] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    sandbox: dict | None = None
    seconds: float = 0.0
    budgets: dict = field(default_factory=dict, repr=False)  # (cell, stream) -> bytes left


def _error(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [f"{ename}: {evalue}"]}


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "it stopped responding"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"the process exited with code {code}"


def clean(value, depth: int = 0):
    """JSON from a child, with every string made encodable (lone surrogates replaced)."""
    if depth > 64:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean(k, depth + 1): clean(v, depth + 1) for k, v in value.items()}
    return value


class _Stream:
    """One stream output being received: chunks, a decoder, and the byte budget it shares with
    the cell's other outputs of the same stream (a display between two prints does not renew
    it)."""

    def __init__(self, name: str, budget: dict) -> None:
        self.name, self.budget = name, budget  # budget: {"left": bytes this cell may still add}
        self.chunks: list[str] = []
        self.dropped = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def add(self, data: bytes) -> None:
        room = self.budget["left"]
        if room <= 0:
            self.dropped += len(data)
            return
        self.budget["left"] -= min(room, len(data))
        self.dropped += max(0, len(data) - room)
        self.chunks.append(self.decoder.decode(data[:room]))

    def output(self) -> dict:
        text = "".join(self.chunks) + self.decoder.decode(b"", final=True)
        if self.dropped:
            text += (f"\n[... {self.dropped:,} more bytes of output were dropped by the grader; "
                     f"it keeps {self.budget['total']:,} per stream and cell]\n")
        return {"output_type": "stream", "name": self.name, "text": text}


@dataclass(eq=False)  # compared and hashed by identity
class _Child:
    job: Job
    result: JobResult
    steps: list  # (position in job.steps, step, silent)
    request: int
    slot: int
    private: str
    deadline: float
    pid: int | None = None
    fds: dict = field(default_factory=dict)  # fd -> "channel"
    buffer: bytearray = field(default_factory=bytearray)
    current: int | None = None  # position of the cell running now
    silent: bool = False
    last_done: int = -1  # position of the last step finished
    done: bool = False
    timed_out: bool = False
    problem: str = ""  # protocol error or crash report
    exit_code: int | None = None
    deaths: int = 0
    killers: set = field(default_factory=set)
    requeue: bool = False  # the template died under it: run the job again from the start
    received: int = 0  # bytes read from its channel
    disk_checked: float = 0.0
    scratch_fd: int | None = None  # root of its private tmpfs (work/: its folder)
    held: list = field(default_factory=list)  # its mount namespace, dropped after the run
    group: str = ""  # name of its control groups ("" without)
    over_output: bool = False  # sent more than MAX_RUN_BYTES: further outputs dropped
    steps_by_pos: dict = field(default_factory=dict)
    replayed: set = field(default_factory=set)  # positions this child replays, silently
    cell_pos: dict = field(default_factory=dict)  # notebook cell index -> position
    extract_pos: dict = field(default_factory=dict)  # extraction key -> position

    def __post_init__(self) -> None:
        for pos, step, replay in self.steps:
            self.steps_by_pos[pos] = step
            if replay:
                self.replayed.add(pos)
            if isinstance(step, Cell):
                self.cell_pos[step.index] = pos
            elif isinstance(step, Extract):
                self.extract_pos[step.key] = pos


class KernelPool:
    """Runs :class:`Job` s in sealed children forked from a warm template, ``workers`` at a
    time."""

    def __init__(self, workers: int | None = None, timeout: float = 30.0, grace: float = 5.0,
                 max_restarts: int = 3, traceback_mode: str = "Plain",
                 sandbox: SandboxPolicy | None = None, memory_cap: int = 4 * 2**30,
                 max_stream_bytes: int = 2**20, slot_offset: int = 0,
                 max_disk_bytes: int = 512 * 2**20, max_entries: int = 10_000) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout, self.grace, self.max_restarts = timeout, grace, max_restarts
        self.traceback_mode, self.sandbox = traceback_mode, sandbox
        self.memory_cap, self.max_stream_bytes = memory_cap, max_stream_bytes
        self.slot_offset, self.max_disk_bytes = slot_offset, max_disk_bytes
        self.max_entries = max_entries
        self.groups: RunGroups | None = None  # made on first use (reads /proc and /sys)
        self.template: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.ready = False
        self.template_restarts = 0
        self._requests = 0
        # Longest wait for an event before asking an open feed (see run) again: a feed that
        # watches for new work (graders serve) sets its own polling interval here.
        self.idle_wait = 1.0

    # ------------------------------------------------------------------ template
    def warm_up(self) -> None:
        """Start the template now, so it imports torch while the caller does other work."""
        if self.template is None or self.template.poll() is not None:
            self._start_template()

    def _start_template(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A small environment: a child can read the one its template started with
        # (/proc/self/environ), so the grader's own (tokens, keys...) must not be in it.
        env = template_environment()
        fd = theirs.fileno()
        self.template = subprocess.Popen(
            [sys.executable, "-c",
             f"import os; os.dup2({fd}, 3); import graders.kernel.template as t; t.main()"],
            pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env,
            start_new_session=True)
        theirs.close()
        self.control, self.ready = ours, False

    def _template_messages(self) -> list[dict] | None:
        """Messages from the template; None when it has gone."""
        out = []
        while True:
            try:
                data, fds = _recv_fds(self.control)
            except BlockingIOError:
                return out
            except OSError:
                return None
            if not data:
                return None
            message = json.loads(data)
            if fds:  # a child's private tmpfs and mount namespace (see _template_message)
                if message.get("scratch") and "spawned" in message:
                    message["fd"], message["held"] = fds[0], fds[1:]
                else:
                    _drop(fds)
            out.append(message)

    def close(self) -> None:
        if self.groups is not None:
            self.groups.remove(wait=2.0)
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.template is not None:
            try:
                self.template.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.template.kill()
                self.template.wait()
            self.template = None

    # ------------------------------------------------------------------ scheduling
    def run(self, jobs: Iterable[Job | None], wakeup: int | None = None) -> Iterator[JobResult]:
        """Run ``jobs``, yielding each result as its job ends. ``jobs`` may be an open feed
        (a Dask worker's, :mod:`graders.engine.dask_pool`): ``None`` from it means "nothing
        yet, ask again later", and ``wakeup`` is a descriptor that becomes readable when it
        has more (the pool reads it empty)."""
        self.warm_up()
        pending = iter(jobs)
        waiting: list[tuple[Job, JobResult, list, int, set]] = []  # restarts to launch
        children: dict[int, _Child] = {}  # request id -> child
        free = list(range(self.workers))
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ, "template")
        if wakeup is not None:
            selector.register(wakeup, selectors.EVENT_READ, "wakeup")
        exhausted = False
        started = {}
        try:
            while True:
                while self.ready and free and (waiting or not exhausted):
                    if waiting:
                        job, result, steps, deaths, killers = waiting.pop(0)
                    else:
                        job = next(pending, _END)
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
                if not children and exhausted and not waiting:
                    return
                for child in self._poll(children, selector):
                    del children[child.request]
                    free.append(child.slot)
                    again = self._after_exit(child)
                    if again is None:
                        child.result.seconds = time.monotonic() - started.pop(child.job.key)
                        self._finish_outputs(child.result)
                        yield child.result
                    else:
                        waiting.append(again)
        finally:
            for child in children.values():
                self._kill(child)
                self._close(child, selector)
            selector.close()

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
        child = _Child(job, result, steps, self._requests, slot, private,
                       time.monotonic() + START_TIMEOUT, deaths=deaths, killers=set(killers),
                       group=caps.get("group", ""))
        try:
            socket.send_fds(self.control, [json.dumps({"id": child.request}).encode()],
                            [spec_fd, chan_w, out_w, err_w, out_r, err_r])
        except OSError:
            pass  # the template is gone: noticed by the poll loop, which restarts it
        for fd in (spec_fd, chan_w, out_w, err_w, out_r, err_r):  # the child forwards fds 1, 2
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
            if now > child.deadline and child.exit_code is None and child.pid is not None:
                child.timed_out = True
                self._kill(child)
            if (self.max_disk_bytes and child.pid is not None and not child.problem
                    and child.scratch_fd is None and now - child.disk_checked > DISK_CHECK_EVERY):
                child.disk_checked = now  # no tmpfs: count its bytes and entries ourselves
                problem = self._over_disk(child)
                if problem:
                    child.problem = problem
                    self._kill(child)
            elif now > child.deadline and child.pid is None:  # the template does not answer
                return self._template_died(children, selector)
        deadline = min([c.deadline for c in children.values()] + [now + self.idle_wait])
        events = selector.select(timeout=max(0.0, min(deadline - now, self.idle_wait)))
        for key, _ in events:
            if key.data == "wakeup":
                _drain(key.fd)
        readable = {key.data for key, _ in events if key.data not in ("template", "wakeup")}
        received = sum(child.received for child in readable)
        for child in readable:
            self._pump(child)
        received = sum(child.received for child in readable) - received
        news = False
        if any(key.data == "template" for key, _ in events) or not self.ready:
            news = True
            messages = self._template_messages() if self.control else None
            if messages is None:
                ended += self._template_died(children, selector)
            else:
                for message in messages:
                    ended += self._template_message(message, children, selector)
            if not self.ready and self.template is not None and self.template.poll() is not None:
                ended += self._template_died(children, selector)
        if (events and not ended and not news and received < BATCH_BYTES
                and all(key.data not in ("wakeup", "template") for key, _ in events)):
            time.sleep(BATCH_WAIT)  # only a little output so far: let more gather (BATCH_WAIT)
        return ended

    def _template_message(self, message, children, selector) -> list[_Child]:
        if "ready" in message:
            self.ready = True
            return []
        if "spawned" in message:
            child = children.get(message["spawned"])
            fd, held = message.pop("fd", None), message.pop("held", [])
            if child is not None:
                child.pid = message["pid"]
                child.scratch_fd, child.held = fd, held
            else:
                _drop([fd, *held] if fd is not None else held)
            return []
        if "failed" in message:
            child = children.get(message["failed"])
            if child is not None:
                child.problem = f"the grader could not start a process: {message['reason']}"
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
            selector.unregister(self.control)
        except (KeyError, ValueError):
            pass
        self.close()
        self.template_restarts += 1
        if self.template_restarts > MAX_TEMPLATE_RESTARTS:
            raise RuntimeError(f"the grading template stopped {self.template_restarts} times; "
                               f"giving up (is the machine out of memory?)")
        self._start_template()
        selector.register(self.control, selectors.EVENT_READ, "template")
        return ended

    # ------------------------------------------------------------------ reading
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
                child.received += len(data)
                if child.received > MAX_RUN_BYTES and not child.over_output:
                    child.over_output = True  # from now on outputs are dropped, with a note
                    self._output_note(child)
                child.buffer += data
                self._frames(child)

    def _output_note(self, child: _Child) -> None:
        pos = child.current
        if pos is None or child.silent:
            return
        child.result.outputs.setdefault(child.steps_by_pos[pos].index, []).append({
            "output_type": "display_data", "metadata": {}, "data": {
                "text/plain": f"[this run sent more than {MAX_RUN_BYTES // 2**20} MiB of "
                              f"output: the grader dropped the rest of its outputs; the cells "
                              f"still ran and were graded]"}})

    def _stream(self, child: _Child, name: str, text: str) -> None:
        pos = child.current
        if pos is None or child.silent or child.problem or child.over_output:
            return  # a silent (replayed or probe) cell, or a broken child
        index = child.steps_by_pos[pos].index
        outputs = child.result.outputs.setdefault(index, [])
        last = outputs[-1] if outputs else None
        if not (isinstance(last, _Stream) and last.name == name):
            budget = child.result.budgets.setdefault(
                (index, name), {"left": self.max_stream_bytes, "total": self.max_stream_bytes})
            last = _Stream(name, budget)
            outputs.append(last)
        last.add(text.encode("utf-8", "replace"))

    def _frames(self, child: _Child) -> None:
        buf = child.buffer
        while len(buf) >= 4 and not child.problem:
            size = struct.unpack(">I", buf[:4])[0]
            if size > MAX_FRAME:
                self._protocol_error(child, f"a message of {size:,} bytes")
                return
            if len(buf) < 4 + size:
                return
            frame = bytes(buf[4:4 + size])
            del buf[:4 + size]
            try:
                self._message(child, clean(json.loads(frame)))
            except Exception as err:  # noqa: BLE001 - whatever a child sends stays its problem
                self._protocol_error(child, f"{type(err).__name__}: {err}"[:200])
                return

    def _protocol_error(self, child: _Child, what: str) -> None:
        child.problem = f"unexpected data on the grader's channel ({what})"
        child.buffer.clear()
        self._kill(child)

    def _message(self, child: _Child, data) -> None:
        message = protocol.decode(data)
        now = time.monotonic()
        if isinstance(message, Ready):
            if child.result.sandbox is None:
                child.result.sandbox = message.report
            child.deadline = now + (self.timeout or 1e9) + self.grace
        elif isinstance(message, Start):
            pos = child.cell_pos[message.index]
            child.current, child.silent = pos, message.silent
            child.deadline = now + (self.timeout or 1e9) + DRAIN_WAIT + self.grace
        elif isinstance(message, StreamText):
            if child.current is None:
                # Between cells: what a process the submission left running (or one of its
                # threads) writes after its cell ended. Dropped, as after a cell's output limit.
                return
            self._stream(child, message.name, message.text)
        elif isinstance(message, Output):
            output = message.output
            if child.current is None or child.silent:  # between cells: a thread's, dropped
                return
            if child.over_output:
                if output["output_type"] == "error":  # a cell's error is kept: it is small
                    child.result.outputs.setdefault(
                        child.steps_by_pos[child.current].index, []).append(
                        {k: output.get(k) for k in ("output_type", "ename", "evalue")}
                        | {"traceback": []})
                return
            index = child.steps_by_pos[child.current].index
            if output["output_type"] == "clear_output":
                child.result.outputs[index] = []
                return
            size = len(json.dumps(output))
            budget = child.result.budgets.setdefault((index, "rich"), {"left": MAX_RICH_BYTES})
            if size > budget["left"]:
                if budget["left"] >= 0:  # one note, then nothing more for this cell
                    child.result.outputs.setdefault(index, []).append({
                        "output_type": "display_data", "metadata": {}, "data": {
                            "text/plain": f"[further outputs of this cell were dropped by the "
                                          f"grader: it keeps {MAX_RICH_BYTES // 2**20} MiB of "
                                          f"displays per cell]"}})
                    budget["left"] = -1
                return
            budget["left"] -= size
            child.result.outputs.setdefault(index, []).append(output)
        elif isinstance(message, CellEnd):
            pos = child.cell_pos[message.index]
            if pos != child.current:
                raise ValueError("cell end out of order")
            index = child.steps_by_pos[pos].index
            dropped = dict(message.dropped or {})
            if not child.silent:
                for item in child.result.outputs.get(index, []):
                    if isinstance(item, _Stream) and item.name in dropped:
                        item.dropped += int(dropped.pop(item.name))
            if pos not in child.replayed:  # a probe's cells are silent, but their errors count
                if not child.silent:
                    child.result.execution_counts[index] = message.count
                if message.error is not None:
                    child.result.cell_errors[index] = message.error
            child.current, child.last_done = None, pos
            child.deadline = now + (self.timeout or 1e9) + self.grace
        elif isinstance(message, Extracted):
            pos = child.extract_pos[message.exercise]
            if message.exercise in child.result.extracts:
                raise ValueError("extract")
            child.result.extracts[message.exercise] = message.data
            child.last_done = pos
        elif isinstance(message, Done):
            child.done = True
        elif isinstance(message, Crash):
            child.problem = f"the grader's runner failed: {message.reason[:500]}"

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
        self._keep_files(child)
        scratch.remove_tree(child.private)
        if child.group and self.groups is not None:
            if self.groups.oom_killed(child.group) and not child.problem:
                child.problem = (f"it used more than the {self.memory_cap / 2**30:g} GiB of "
                                 f"memory a submission may (memory files and shared memory "
                                 f"included), so the kernel stopped it")
            self.groups.remove(child.group)
            child.group = ""
        if os.geteuid() == 0 and self.sandbox is not None:
            scratch.chown_tree(child.job.cwd, os.getuid(), os.getgid(), KEEP_ENTRIES * 4)

    def _keep_files(self, child: _Child) -> None:
        """What the run left in its folder stays there (as under nbgrader): copied back from its
        private tmpfs (regular files and folders only, at most :data:`KEEP_ENTRIES` entries
        and :data:`scratch.MAX_DEPTH` levels), which is then dropped whole. Without a tmpfs,
        its folder is pruned in place (links, FIFOs and the like, folders nested too deep)."""
        cwd = child.job.cwd
        if child.scratch_fd is not None:
            fd, child.scratch_fd = child.scratch_fd, None
            try:
                kept = scratch.copy_tree(f"/proc/self/fd/{fd}/work", cwd,
                                         max_entries=KEEP_ENTRIES, remove_missing=True)
            finally:  # the tmpfs and whatever it holds go with these, in the background
                _drop([fd, *child.held])
                child.held = []
            left = [*kept["too_deep"], *([] if kept["complete"] else ["..."])]
        else:
            removed = scratch.prune(cwd, max_entries=self.max_entries * 4)
            left = removed["too_deep"]
            if self.max_disk_bytes and self._over_disk(child, private=False):
                scratch.remove_tree(cwd)
                os.makedirs(cwd, exist_ok=True)
                left = ["everything (over the disk cap)"]
        note = "what the notebook left in its folder was not all kept"
        if left and not any(f.startswith(note) for f in child.result.faults):
            child.result.faults.append(
                f"{note}: folders nested more than {scratch.MAX_DEPTH} deep or more than "
                f"{KEEP_ENTRIES:,} entries ({', '.join(x[:80] for x in left[:3])})")

    def _over_disk(self, child: _Child, private: bool = True) -> str:
        """Without a tmpfs: why the run's folders hold more than a submission may ("" if not)."""
        folders = [child.job.cwd] + ([child.private] if private else [])
        found = [scratch.scan(f, max_entries=self.max_entries + 1, max_seconds=1.0)
                 for f in folders]
        used = sum(f.disk_bytes for f in found)
        entries = sum(f.entries for f in found)
        if used > self.max_disk_bytes:
            return (f"it wrote {used / 2**20:.0f} MiB to disk, more than the "
                    f"{self.max_disk_bytes / 2**20:.0f} MiB a submission may")
        if entries > self.max_entries:
            return (f"it made more than {self.max_entries:,} files and folders, the most a "
                    f"submission may")
        if any(f.too_deep for f in found):
            return (f"it nested folders more than {scratch.MAX_DEPTH} deep, the most a "
                    f"submission may")
        return ""

    def _after_exit(self, child: _Child):
        """None when the job is over; otherwise what to run next after a death."""
        result = child.result
        if child.done and not child.problem:
            return None
        if child.requeue:
            steps = [(pos, s, False) for pos, s in enumerate(child.job.steps)]
            return child.job, JobResult(child.job.key), steps, child.deaths, set()
        runnable = [pos for pos, step, silent in child.steps
                    if not silent and isinstance(step, Cell | Extract) and pos > child.last_done]
        if not runnable:
            return None
        died_at = child.current if child.current is not None else runnable[0]
        if child.problem:
            reason = child.problem
        elif child.timed_out:
            reason = (f"the cell did not stop {self.grace + DRAIN_WAIT:g} s after its "
                      f"{self.timeout:g} s timeout and was killed")
        else:
            reason = _exit_reason(child.exit_code)
        step = child.job.steps[died_at]
        self._record_death(result, step, reason)
        result.faults.append(f"{_describe(step)}: kernel died ({reason})")
        killers = child.killers | ({died_at} if isinstance(step, Cell) else set())
        stand_ins = {child.job.steps[pos].index: _stand_in(child.job.steps[pos], reason).source
                     for pos in killers}
        rest = [(pos, _recheck_without(s, stand_ins), False)
                for pos, s in enumerate(child.job.steps) if pos > died_at]
        if not any(isinstance(s, Cell | Extract) for _, s, _ in rest):
            return None
        if child.deaths + 1 > self.max_restarts:
            for _, s, _ in rest:
                self._record_death(result, s, f"not run: the kernel died {child.deaths + 1} "
                                               f"times in this notebook, so the grader stopped "
                                               f"restarting it", prefix=False)
            result.faults.append(f"gave up after {child.deaths + 1} kernel deaths")
            return None
        replay = [(pos, _stand_in(s, reason) if pos in killers else s, True)
                  for pos, s in enumerate(child.job.steps)
                  if pos < died_at and not isinstance(s, Extract)]
        for _, step, _ in rest:  # whatever the dead child reported for these is void
            if isinstance(step, Cell):
                for table in (result.outputs, result.execution_counts, result.cell_errors):
                    table.pop(step.index, None)
            elif isinstance(step, Extract):
                result.extracts.pop(step.key, None)
        return child.job, result, replay + rest, child.deaths + 1, killers

    def _record_death(self, result: JobResult, step, reason: str, prefix: bool = True) -> None:
        text = (f"the kernel died while running this cell ({reason}). Cells after it ran in a "
                f"fresh kernel, which first re-ran the cells before this one." if prefix
                else reason)
        if isinstance(step, Cell):
            if step.report:
                result.outputs[step.index] = [_error("KernelDied", text)]
            result.cell_errors[step.index] = ["KernelDied", reason]
        elif isinstance(step, Extract):
            result.extracts[step.key] = {"failed": reason}

    def _finish_outputs(self, result: JobResult) -> None:
        for index, outputs in result.outputs.items():
            result.outputs[index] = [o.output() if isinstance(o, _Stream) else o
                                     for o in outputs]


def local_pool(root: str, settings: dict, workers: int | None = None,
               slot_offset: int = 0) -> KernelPool:
    """A :class:`KernelPool` from the plain settings of :func:`graders.engine.runs.pool_settings`
    (also on a Dask worker: :mod:`graders.engine.dask_pool`); its sandbox policy is made here,
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


_dropping: queue.SimpleQueue | None = None


def _drop(fds: list[int]) -> None:
    """Close a run's tmpfs and mount namespace in a thread of their own: the last reference to
    a mount namespace waits for an RCU grace period (~30 ms here) and a tmpfs with many entries
    takes a while to free, neither of which the pool's loop should wait for."""
    global _dropping
    if _dropping is None:
        _dropping = queue.SimpleQueue()

        def closer(q=_dropping):
            while True:
                for fd in q.get():
                    try:
                        os.close(fd)
                    except OSError:
                        pass

        threading.Thread(target=closer, name="graders-scratch-closer", daemon=True).start()
    _dropping.put(list(fds))


def _recv_fds(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One message and the descriptors with it, without waiting (``socket.recv_fds`` of
    Python 3.11 drops its ``flags``)."""
    data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_LEN(4 * 4), socket.MSG_DONTWAIT)
    fds = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += struct.unpack(f"{len(payload) // 4}i", payload[:len(payload) // 4 * 4])
    return data, fds


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


def _describe(step: Step) -> str:
    if isinstance(step, Cell):
        return f"cell {step.index}"
    return f"{step.kind} {getattr(step, 'key', '')}"


def _stand_in(step: Cell, reason: str) -> Cell:
    """What a cell that killed the kernel becomes when the cells before the next one are
    replayed: code that fails at once, so the grader's re-runs report it instead of dying too."""
    message = f"this cell stopped the kernel when it ran ({reason}), so it was not run again"
    return replace(step, source=f"raise RuntimeError({message!r})")


def _recheck_without(step: Step, stand_ins: dict) -> Step:
    """An extract whose recheck re-runs an exercise's cells runs a killer cell's stand-in too
    (the cell that stopped the kernel would stop it again in the middle of the extract)."""
    if not isinstance(step, Extract) or not step.recheck:
        return step
    return replace(step, recheck=[[index, stand_ins.get(index, source)]
                                  for index, source in step.recheck])
