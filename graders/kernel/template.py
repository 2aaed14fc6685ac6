"""Template: the warm process that forks one child per job (``python -m graders.kernel.template``).

Started by :class:`graders.engine.pool.KernelPool` with one end of a UNIX socket pair on file
descriptor 3. It loads once what every child needs (torch, numpy, IPython, the shell the cells
run in, a warmed tokenizer and traceback formatter, the seccomp filter) and then waits. Each
request carries six descriptors: the job's spec (JSON in a memory file, which only the child
reads), the channel, the two output pipes and copies of their read ends. The template forks; the
child joins its control groups and mounts its private tmpfs (:func:`confine.enter_caps`) and
hands the tmpfs's root back; the template answers with the child's pid and that descriptor.
When a child ends it sends the exit status.
PrairieLearn's Python grader works the same way: a pre-started process forked per submission.

Written by hand rather than with ``multiprocessing``'s forkserver because the fork is where the
sandbox starts: the child must get exactly these descriptors and no others, must never unpickle
anything, and the grading side must be able to restart a template that died and carry on.

Nothing here runs a tensor operation: torch starts its thread pools on the first one, and a
process with threads must not fork. ``gc.freeze()`` keeps the children's garbage collections
from touching (and so copying) the template's objects.
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import json
import linecache
import os
import select
import signal
import socket
import sys

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy  # noqa: E402
import numpy.random  # noqa: E402 - the lesson's NumPy cells use it: imported once, not per child
import torch  # noqa: E402, F401 - loaded for the children
import torch._subclasses.schema_check_mode  # noqa: E402, F401 - a tensor's repr under a mode

from . import confine, instrument, runner  # noqa: E402

CONTROL_FD = 3
MAX_REQUEST = 4096
#: Seconds the template waits for a new child to set up its caps (a tmpfs and a file copy).
CAPS_TIMEOUT = 30.0


#: Modules whose source lines a child reads on most runs: ``torch.manual_seed`` records the
#: stack (``traceback.format_stack``, for CUDA's lazy seeding) in every given data cell, and the
#: stack runs through these files. Read here once instead of from disk in every child.
STACK_MODULES = ("graders.kernel.template", "graders.kernel.runner", "graders.kernel.instrument",
                 "IPython.core.interactiveshell", "IPython.core.async_helpers", "torch.random",
                 "torch.cuda", "torch.cuda.random", "torch.xpu", "torch.xpu.random",
                 "torch.mtia", "torch.overrides", "torch._tensor", "torch._tensor_str")


def _warm_up() -> None:
    shell = runner.new_shell()
    shell.transform_cell("import torch\nx = torch.ones(1) @ torch.ones(1)\n%time y = 1\nprint(x)\n")
    str(numpy.linspace(0.0, 1.0, 12).reshape(4, 3))  # numpy's printing sets itself up once
    # What every child's first cells would otherwise build: IPython's transcript logger (read
    # on every cell, made on first use), the display formatters (made on the first display),
    # the debugger module run_code imports; a tensor's repr.
    import bdb  # noqa: F401

    shell.logger  # noqa: B018
    shell.display_formatter.format(numpy.zeros(1))
    repr(torch.ones(2, 3) / 3)
    for name in STACK_MODULES:
        module = sys.modules.get(name)
        if getattr(module, "__file__", None):
            linecache.getlines(module.__file__)
    try:
        raise ValueError("warm-up")
    except ValueError as err:
        for mode in ("Plain", "Context"):
            shell.InteractiveTB.set_mode(mode)
            shell.InteractiveTB.structured_traceback(type(err), err, err.__traceback__)
    # The trace's first use builds torch's table of overridable functions (resolve_name, 15 ms
    # here): built once here, not in every child.
    trace = instrument.Trace()
    x = torch.ones(1, 2)
    trace.label("x", x)
    trace.watching = True
    with trace:
        x.mul_(1.0)
        torch.mm(x, x.T).sum()
    confine.prepare()


_MADV_HUGEPAGE, _MADV_COLLAPSE = 14, 25
_HUGE_PAGE = 2 * 2**20


def _huge_pages() -> int:
    """Put the template's private memory (the C heap, Python's arenas: about 150 MiB after
    torch's import) on transparent huge pages, once, before the first fork; returns the bytes
    moved. A fork copies one entry per 2 MiB instead of 512, and a child's exit removes as
    few: measured here, a fork in the template went from 5.6 to 1.7 ms and a child that does
    nothing from 7 to 3 ms. A child that writes to one of these pages still copies only
    4 KiB of it (the kernel splits the huge page's mapping in the child), so children do not
    grow. ``MADV_COLLAPSE`` needs Linux 6.1; where it or transparent huge pages are missing,
    nothing changes."""
    libc = confine._libc
    madvise = libc.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    moved = 0
    try:
        with open("/proc/self/maps") as fh:
            rows = [line.split() for line in fh]
    except OSError:
        return 0
    for row in rows:
        # private, writable, anonymous (no file; the [heap] is the C heap)
        if len(row) < 5 or row[1] != "rw-p" or (len(row) > 5 and row[5] != "[heap]"):
            continue
        if row[4] != "0":  # an inode: a file's private copy, not anonymous memory
            continue
        low, high = (int(x, 16) for x in row[0].split("-"))
        start = -(-low // _HUGE_PAGE) * _HUGE_PAGE
        end = high // _HUGE_PAGE * _HUGE_PAGE
        if end - start < _HUGE_PAGE:
            continue
        madvise(start, end - start, _MADV_HUGEPAGE)
        if madvise(start, end - start, _MADV_COLLAPSE) == 0:
            moved += end - start
    return moved


def _send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def _fork(fds: list[int]) -> tuple[int, dict, list[int]]:
    """Fork a child for a job; returns its pid, what its caps report (control groups, private
    tmpfs: :func:`graders.kernel.confine.enter_caps`) and the descriptors of its tmpfs and its
    mount namespace."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid:
        theirs.close()
        with ours:
            ours.settimeout(CAPS_TIMEOUT)
            try:
                data, got, _, _ = socket.recv_fds(ours, MAX_REQUEST, 2)
            except OSError:  # the child died or hung before it was set up: no tmpfs
                data, got = b"", []
        try:
            report = json.loads(data) if data else {"missing": ["private tmpfs: the child "
                                                                "ended before it was set up"]}
        except ValueError:
            report = {}
        return pid, report, got
    try:  # the child: output pipes on 1 and 2, the channel on 3, the pipes' read ends on 4, 5
        ours.close()
        # Out of the way first (above 100), so no dup2 below overwrites another source.
        spec_fd, channel, out, err, out_r, err_r = (
            fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds)
        with os.fdopen(os.dup(spec_fd), "rb") as fh:
            fh.seek(0)
            spec = json.loads(fh.read())
        # Before anything else: the run's control groups and its private tmpfs.
        held, report = confine.enter_caps(spec)
        socket.send_fds(theirs, [json.dumps(report).encode()], held)
        theirs.close()
        for fd in held:
            os.close(fd)
        if isinstance(spec.get("sandbox"), dict):
            spec["sandbox"]["caps_report"] = report
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.dup2(channel, runner.CHANNEL_FD)
        os.dup2(out_r, runner.RAW_READ_FDS[0])
        os.dup2(err_r, runner.RAW_READ_FDS[1])
        os.closerange(runner.RAW_READ_FDS[1] + 1, 1 << 20)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        # NumPy's global generator was made in the template: seeded afresh from the system's
        # entropy here, as when a child imported numpy.random itself (Python's random module
        # reseeds itself after a fork; NumPy's does not), so no two runs draw the same numbers.
        numpy.random.seed()
        runner.main(spec)
    finally:
        os._exit(71)


def serve(sock: socket.socket) -> None:
    """Fork a child per request, on ``sock`` and on every connection attached through it (an
    ``{"attach": 1}`` request carrying one end of a new socket pair: each grading process of a
    batch talks to the one template over its own); stop when every connection has closed."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    _send(sock, {"ready": os.getpid()})
    conns, owner = [sock], {}  # owner: child pid -> the connection that asked for it
    while conns:
        readable, _, _ = select.select([*conns, wake_r], [], [])
        if wake_r in readable:
            os.read(wake_r, 4096)
        while True:  # reap every child that ended
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = owner.pop(pid, None)
            if conn in conns:
                try:
                    # What the child used (CPU seconds, page faults): for benchmarks; the pool
                    # reads only the status.
                    _send(conn, {"exited": pid, "status": os.waitstatus_to_exitcode(status),
                                 "cpu": [usage.ru_utime, usage.ru_stime],
                                 "faults": [usage.ru_minflt, usage.ru_majflt]})
                except OSError:
                    pass  # that grading process has gone: noticed when its socket is read
        for conn in [c for c in conns if c in readable]:
            try:
                data, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 6)
            except OSError:
                data, fds = b"", []
            if not data:  # that grading process closed its socket (or died): so do its runs
                conns.remove(conn)
                conn.close()
                for pid in [p for p, c in owner.items() if c is conn]:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass
                continue
            request = json.loads(data)
            if "attach" in request:
                if len(fds) == 1:
                    conns.append(socket.socket(fileno=fds[0]))
                    try:
                        _send(conns[-1], {"ready": os.getpid()})
                    except OSError:
                        pass  # gone already: noticed when its socket is read
                else:
                    for fd in fds:
                        os.close(fd)
                continue
            try:
                if len(fds) != 6:
                    raise OSError(f"expected 6 descriptors, got {len(fds)}")
                pid, report, held = _fork(fds)
                owner[pid] = conn
                message = json.dumps({"spawned": request["id"], "pid": pid, "caps": report,
                                      "scratch": bool(held)}).encode()
                try:
                    socket.send_fds(conn, [message], held)
                finally:
                    for fd in held:
                        os.close(fd)
            except OSError as err:
                try:
                    _send(conn, {"failed": request["id"], "reason": f"{err}"})
                except OSError:
                    pass
            finally:
                for fd in fds:
                    os.close(fd)


def main() -> None:
    sock = socket.socket(fileno=CONTROL_FD)
    sys.stdin.close()
    _warm_up()
    gc.collect()
    gc.freeze()
    _huge_pages()
    try:
        serve(sock)
    except (ConnectionError, BrokenPipeError, KeyboardInterrupt):
        pass  # the grading side went away: so do we (our children get SIGKILL)


if __name__ == "__main__":
    main()
