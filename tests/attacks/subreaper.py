"""Run a command as a child subreaper; write the processes it left behind, then end them.

    python tests/attacks/subreaper.py REPORT.json COMMAND [ARGS...]

With ``PR_SET_CHILD_SUBREAPER`` every process that the command starts, and that outlives its
parent (a double fork, ``setsid``, a daemon), becomes a child of this process instead of the
machine's init. Once the command has exited (its exit status is this one's), the children still
alive here are exactly what it left behind, whatever user they run as: the check needs no root,
unlike the check by the sandbox's uids, which only holds when the grader runs as root (a
non-root grader's sandbox runs its children under user namespaces, as the grader's own uid).
Dead orphans are reaped as the command runs (so they count against no one's process limit),
zombies again at the end; the rest are written to REPORT.json as
``"pid stat args"`` lines and killed.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def _children() -> list[int]:
    me = str(os.getpid())
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # ppid
            out.append(int(entry))
    return out


def _describe(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    return None if state == "Z" else f"{pid} {state} {args}"


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> int:
    report, command = sys.argv[1], sys.argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    # Reap as the command runs: a dead orphan left unreaped here until the end would still count
    # against RLIMIT_NPROC of its uid, which a later run of the same sandbox slot reuses (a fork
    # bomb's 130 zombies made another student's thread fail to start: "can't start new thread").
    proc = subprocess.Popen(command)
    code = None
    while code is None:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            code = proc.wait()
            break
        if pid == proc.pid:
            code = os.waitstatus_to_exitcode(status)
            proc.returncode = code  # reaped here: Popen must not wait for it again
    left = []
    for _ in range(10):  # a moment for processes killed with their sandbox to go
        _reap()
        left = [d for d in map(_describe, _children()) if d]
        if not left:
            break
        time.sleep(0.2)
    try:
        with open(report, "w") as fh:
            json.dump(left, fh)
    finally:
        for line in left:
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)
        _reap()
    return code


if __name__ == "__main__":
    sys.exit(main())
