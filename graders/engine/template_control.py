"""Template control: the warm template process (:mod:`graders.kernel.template`) seen from the
pool: started with one end of a UNIX socket pair, asked to fork a child per job (the job's spec
and pipes passed as descriptors), and read for what it says (ready, spawned, failed, exited).

A batch runs **one** template for all its grading processes (:func:`start_shared`, first thing,
so that it imports torch on one core while the command imports nbgrader on the other): a
:class:`Template` made in that process, or in a process forked from it, attaches to it over a
socket pair of its own instead of starting a process. One whose shared template dies starts its
own, as a pool does after any template death.

Standard library only. Written by hand for the same reason as the template
(:mod:`graders.kernel.template`): the fork is where the sandbox starts.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys

from .run_folder import drop
from .sandbox import template_environment

#: A template that stops this many times (killed, out of memory) makes the batch give up.
MAX_TEMPLATE_RESTARTS = 5


class Template:
    """One template process and its control socket (or a connection to the shared one)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.ready = False
        self.restarts = 0
        self.attached = False  # talks to the shared template (start_shared), not its own
        self.own = False  # the shared one died under it: from now on it starts its own

    def alive(self) -> bool:
        if self.attached:
            return self.control is not None
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if not self.own and _attach(self):
            return
        self.process, self.control = _launch()
        self.ready = False

    def spawn(self, request: int, fds: list[int]) -> None:
        """Ask for a child for ``request`` (spec, channel, stdout/stderr pipes as ``fds``)."""
        try:
            socket.send_fds(self.control, [json.dumps({"id": request}).encode()], fds)
        except OSError:
            pass  # the template is gone: noticed by the poll loop, which restarts it

    def messages(self) -> list[dict] | None:
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
            if fds:  # a child's private tmpfs and mount namespace
                if message.get("scratch") and "spawned" in message:
                    message["fd"], message["held"] = fds[0], fds[1:]
                else:
                    drop(fds)
            out.append(message)

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.attached:  # the shared template is not ours to stop; if it died, start our own
            self.attached, self.own = False, True
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def _launch() -> tuple[subprocess.Popen, socket.socket]:
    """Start a template process; returns it and our end of its control socket."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # A small environment: a child can read the one its template started with
    # (/proc/self/environ), so the grader's own (tokens, keys...) must not be in it.
    env = template_environment()
    fd = theirs.fileno()
    process = subprocess.Popen(
        [sys.executable, "-c",
         f"import os; os.dup2({fd}, 3); import graders.kernel.template as t; t.main()"],
        pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env,
        start_new_session=True)
    theirs.close()
    return process, ours


#: The shared template (:func:`start_shared`): its process and the socket to attach through,
#: inherited by the grading processes forked after it started.
_shared: dict = {}


def start_shared() -> None:
    """Start the template every :class:`Template` of this process, and of the processes it
    forks from now on, attaches to (once; see the module docstring). Stop it with
    :func:`stop_shared`."""
    if not _shared:
        _shared["process"], _shared["control"] = _launch()
        _shared["owner"] = os.getpid()


def shared_started() -> bool:
    return bool(_shared) and _shared["owner"] == os.getpid()


def stop_shared(kill: bool = False) -> None:
    """Stop the shared template once the pools attached to it have closed (in the process that
    started it; a forked process only forgets it). ``kill``: at once (nothing to grade)."""
    if not _shared:
        return
    process, control, owner = _shared.pop("process"), _shared.pop("control"), _shared.pop("owner")
    control.close()
    if owner != os.getpid():
        return
    if kill:
        process.kill()
    try:  # it stops when its last connection closes
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _attach(template: Template) -> bool:
    """Connect ``template`` to the shared template over a new socket pair; False when there is
    none (or it has gone)."""
    if not _shared:
        return False
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        socket.send_fds(_shared["control"], [json.dumps({"attach": 1}).encode()],
                        [theirs.fileno()])
    except OSError:  # it died: this process starts templates of its own from now on
        ours.close()
        return False
    finally:
        theirs.close()
    template.process, template.control, template.ready = None, ours, False
    template.attached = True
    return True


def _recv_fds(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One message and the descriptors with it, without waiting (``socket.recv_fds`` of
    Python 3.11 drops its ``flags``)."""
    data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_LEN(4 * 4), socket.MSG_DONTWAIT)
    fds = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += struct.unpack(f"{len(payload) // 4}i", payload[:len(payload) // 4 * 4])
    return data, fds
