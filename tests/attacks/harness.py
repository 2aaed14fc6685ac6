"""Red-team harness: grade attack cell files with `graders autograde` and/or stock `nbgrader
autograde` in a scratch course, then compare per-cell scores with each file's `# expect` lines.

Usage (from the repo root, with the venv):

    .venv/bin/python tests/attacks/harness.py [--engine] [--stock] [--keep DIR] FILE...

Every run also grades three honest students (the reference solution) alongside the attack
files, so a batch-level attack shows up as a changed honest grade. A TCP listener on 127.0.0.1
records connection attempts (the port is in the environment variable REDTEAM_PORT, and a
marker secret in REDTEAM_SECRET_TOKEN, so a submission that reads the grader's environment can
be caught). Nothing here is part of the grader.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import (  # noqa: E402
    ASSIGNMENT,
    BIN,
    GradedCourse,
    add_submissions,
    course_env,
    expected_scores,
    make_course,
)

CONFIG = """
c.Execute.timeout = 5
c.GradingEngine.kill_grace = 1
"""
HONEST = ["zz_honest_a", "zz_honest_b", "aa_honest_c"]
SECRET = "REDTEAM-SECRET-7f3a9c"


class Listener(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind(("127.0.0.1", 47999))
        except OSError:  # another harness run holds it
            self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits: list[str] = []

    def run(self) -> None:
        while True:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return
            data = b""
            conn.settimeout(1)
            try:
                data = conn.recv(200)
            except OSError:
                pass
            self.hits.append(f"{addr} {data!r}")
            conn.close()


class UnixListener(threading.Thread):
    """A UNIX socket on disk outside every sandbox folder (like a daemon's control socket)."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        # Who holds the path is asked of a lock beside it, never by connecting: a connection
        # from here would be recorded as a hit by the run holding it (the engine's and stock's
        # batches of tests/test_attacks.py start side by side).
        # The lock and a stale socket may belong to another user's run (a root CI run, then a
        # grader's own account: /tmp is shared and sticky): unusable means held, as a lock is.
        self.lock = None
        try:
            self.lock = open(f"{path}.lock", "a")  # noqa: SIM115 - held while this listener lives
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.exists(path):
                os.remove(path)  # stale, from an earlier run
        except (BlockingIOError, PermissionError):
            path = f"{path}.{os.getpid()}"  # another harness run (or user) holds it
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.sock.listen(16)
        self.hits: list[str] = []

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(1)
            try:
                data = conn.recv(200)
            except OSError:
                data = b""
            self.hits.append(f"unix {data!r}")
            conn.close()


class MemorySampler(threading.Thread):
    """Peak RSS of this harness's descendants (the grader, its shards, templates, children)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_total = self.peak_single = 0
        self.running = True

    def descendants(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    pass
        out, frontier = [], [os.getpid()]
        while frontier:
            pid = frontier.pop()
            kids = [p for p, pp in parents.items() if pp == pid]
            out += kids
            frontier += kids
        return out

    def run(self) -> None:
        while self.running:
            total = 0
            for pid in self.descendants():
                try:
                    with open(f"/proc/{pid}/statm") as fh:
                        rss = int(fh.read().split()[1]) * 4096
                except OSError:
                    continue
                total += rss
                self.peak_single = max(self.peak_single, rss)
            self.peak_total = max(self.peak_total, total)
            time.sleep(0.2)


def duplicate_cells(course: Path, files: list[Path]) -> None:
    """Header lines '# redteam-duplicate: <grade_id> after <grade_id>' copy a cell, nbgrader
    metadata included (what Jupyter's copy and paste does), to after another cell."""
    import nbformat

    for path in files:
        edits = [line.split(":", 1)[1].split() for line in path.read_text().splitlines()
                 if line.startswith("# redteam-duplicate:")]
        if not edits:
            continue
        target = course / "submitted" / path.stem / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = nbformat.read(target, as_version=4)
        for gid, _, after in edits:
            ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells]
            cell = nbformat.from_dict(json.loads(json.dumps(nb.cells[ids.index(gid)])))
            cell["id"] = f"copy-{len(nb.cells)}"
            nb.cells.insert(ids.index(after) + 1, cell)
        nbformat.write(nb, target)


def build(course_parent: Path, files: list[Path]) -> Path:
    course = make_course(course_parent)
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(CONFIG)
    subprocess.run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT,
                    "--log-level=ERROR"], cwd=course, env=course_env(), check=True)
    honest_src = ROOT / "tests" / "corpus" / "01_reference.py"
    tmp = Path(tempfile.mkdtemp())
    honest = []
    for name in HONEST:
        shutil.copy(honest_src, tmp / f"{name}.py")
        honest.append(tmp / f"{name}.py")
    add_submissions(course, files + honest)
    duplicate_cells(course, files)
    return course


def run(cmd: list[str], course: Path, env: dict, timeout: float) -> tuple[int, str, float]:
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
        out, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as err:
        out = f"TIMEOUT after {timeout}s\n{err.stdout or ''}{err.stderr or ''}"
        code = -999
    return code, out, time.monotonic() - start


def scores(course: Path, student: str) -> dict[str, float] | str:
    try:
        return GradedCourse(course).cell_scores(student)
    except Exception as err:  # noqa: BLE001
        return f"no grades ({type(err).__name__}: {err})"


def leftovers() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,uid,pgid,etimes,args"], capture_output=True,
                         text=True).stdout.splitlines()
    return [line for line in out[1:] if "REDTEAM" in line or
            (len(line.split()) > 1 and line.split()[1].isdigit()
             and 4_000_000 <= int(line.split()[1]) < 4_100_000)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--engine", action="store_true")
    parser.add_argument("--stock", action="store_true")
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--feedback", action="store_true")
    args = parser.parse_args()
    modes = [m for m, on in (("engine", args.engine), ("stock", args.stock)) if on] or [
        "engine", "stock"]
    listener = Listener()
    listener.start()
    unix = UnixListener("/tmp/redteam-unix.sock")
    unix.start()
    env = course_env()
    env.update(REDTEAM_PORT=str(listener.port), REDTEAM_SECRET_TOKEN=SECRET)
    base = args.keep or Path(tempfile.mkdtemp(prefix="redteam-"))
    report = {}
    for mode in modes:
        parent = base / mode
        if parent.exists():
            shutil.rmtree(parent)
        parent.mkdir(parents=True)
        course = build(parent, [f.resolve() for f in args.files])
        cmd = ([sys.executable, "-m", "graders", "autograde", ASSIGNMENT] if mode == "engine"
               else [str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--log-level=ERROR"])
        sampler = MemorySampler()
        sampler.start()
        code, out, secs = run(cmd, course, env, args.timeout)
        sampler.running = False
        result = {"exit": code, "seconds": round(secs, 1), "course": str(course),
                  "peak_rss_total_mib": sampler.peak_total >> 20,
                  "peak_rss_single_mib": sampler.peak_single >> 20,
                  "output_tail": out[-3000:]}
        if args.feedback:
            fcode, fout, _ = run([str(BIN / "nbgrader"), "generate_feedback", ASSIGNMENT,
                                  "--log-level=ERROR"], course, env, 600)
            result["feedback_exit"] = fcode
            leaks = []
            for html in (course / "feedback").rglob("*.html"):
                text = html.read_text(errors="replace")
                for needle in (SECRET, "hidden_test(", "BEGIN HIDDEN", "BEGIN SOLUTION"):
                    if needle in text:
                        leaks.append(f"{html.relative_to(course)}: {needle}")
            result["feedback_leaks"] = leaks
        students = {}
        for f in args.files:
            got = scores(course, f.stem)
            want = expected_scores(f)
            diff = ({k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
                    if isinstance(got, dict) else got)
            students[f.stem] = {"got": sum(got.values()) if isinstance(got, dict) else None,
                                "want": sum(want.values()), "diff": diff}
        for name in HONEST:
            got = scores(course, name)
            students[name] = {"got": sum(got.values()) if isinstance(got, dict) else got,
                              "want": 15.0}
        result["students"] = students
        result["listener_hits"] = list(listener.hits) + list(unix.hits)
        result["leftover_processes"] = leftovers()
        report[mode] = result
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
