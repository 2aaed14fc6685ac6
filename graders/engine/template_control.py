"""Template control: the warm template process (:mod:`graders.kernel.template`) seen from the
pool: started with one end of a UNIX socket pair, asked to fork a child per job (the job's spec
and pipes passed as descriptors), and read for what it says (ready, spawned, failed, exited)."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys

from .run_folder import drop
from .sandbox import template_environment

#: A template that stops this many times (killed, out of memory) makes the batch give up.
MAX_TEMPLATE_RESTARTS = 5


class Template:
    """One template process and its control socket."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.ready = False
        self.restarts = 0

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A small environment: a child can read the one its template started with
        # (/proc/self/environ), so the grader's own (tokens, keys...) must not be in it.
        env = template_environment()
        fd = theirs.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-c",
             f"import os; os.dup2({fd}, 3); import graders.kernel.template as t; t.main()"],
            pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env,
            start_new_session=True)
        theirs.close()
        self.control, self.ready = ours, False

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
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def _recv_fds(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One message and the descriptors with it, without waiting (``socket.recv_fds`` of
    Python 3.11 drops its ``flags``)."""
    data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_LEN(4 * 4), socket.MSG_DONTWAIT)
    fds = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += struct.unpack(f"{len(payload) // 4}i", payload[:len(payload) // 4 * 4])
    return data, fds
