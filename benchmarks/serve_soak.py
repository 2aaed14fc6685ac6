"""Soak: `graders serve` grading submissions one after another for a long time.

    .venv/bin/python benchmarks/serve_soak.py [--submissions 2000] [--students 40]
                                              [--broken-every 25] [--kill-at 0.5]
                                              [--chart docs/images/serve-soak.png] [--keep DIR]

A course and an nbgrader exchange in a temporary folder; `graders serve` runs as a separate
process (its temporary folders in a ``tmp/`` of its own, so that they can be counted). Submissions
are made with nbgrader's own ``ExchangeSubmit`` (what `nbgrader submit` runs, called in this
process so that 2,000 of them do not cost 2,000 imports of nbgrader): the corpus cycled over
``--students`` students, so every student resubmits many times; every ``--broken-every``-th
submission has no notebook in it (the student renamed it). At most a few submissions wait at a
time, so the service is kept busy without one student's submissions overtaking each other.

Sampled every second: the service's memory (RSS of the service and of all its children), open
descriptors, threads, child processes, and the entries in its temporary folder (a SIGKILLed
service cannot remove its own: those are counted apart). At
``--kill-at`` (a fraction of the run) the service's process group gets SIGKILL and the service is
started again, as the hub does with its managed service.

At the end, from the service's log and the exchange: every submission was logged exactly once,
graded or failed (nothing lost, nothing duplicated), every student's newest submission has its
feedback in the exchange, and the service's temporary folder is empty once it stopped. Prints a
table (start, middle, end) and writes a chart (``--chart``). Exit status 1 if a check fails.

A benchmark, not a test: it takes about a second per submission on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from nbgrader.utils import notebook_hash  # noqa: E402

from graders.submission_builder import (  # noqa: E402
    build_submission,
    read_cell_file,
    write_notebook,
)

BIN = Path(sys.executable).parent
COURSE_ID = "intro-to-pytorch"
LINE = re.compile(r"^\S+ \S+  (\S+)\s+(\S+ / \S+|failed|-)\s.*submitted (.+? UTC)")


def env(**extra) -> dict:
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)


def run(cmd, cwd) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}")


class Soak:
    def __init__(self, base: Path, students: int) -> None:
        self.base = base
        self.course, self.exchange = base / "course", base / "exchange"
        self.tmp = base / "tmp"  # the service's TMPDIR
        for folder in (self.course, self.exchange, self.tmp):
            folder.mkdir(parents=True)
        shutil.copytree(ROOT / "source", self.course / "source")
        shutil.copy(ROOT / "nbgrader_config.py", self.course / "nbgrader_config.py")
        with open(self.course / "nbgrader_config.py", "a") as fh:
            fh.write(f"\nc.Exchange.root = {str(self.exchange)!r}\n"
                     "c.GradingService.heartbeat = 1e9\n")
        run([BIN / "nbgrader", "generate_assignment", "tensors", "--log-level=ERROR"],
            self.course)
        run([BIN / "nbgrader", "release_assignment", "tensors", "--log-level=ERROR"],
            self.course)
        corpus = sorted((ROOT / "tests" / "corpus").glob("*.py"))
        release = ROOT / "release" / "tensors" / "tensors.ipynb"
        self.notebooks = {path.stem: build_submission(release, read_cell_file(path))
                          for path in corpus}
        self.cycle = itertools.cycle(sorted(self.notebooks))
        self.students = [f"s{i:03d}" for i in range(students)]
        self.submitted: list[tuple[str, str, bool]] = []  # (student, timestamp, broken)
        self.logs: list[Path] = []
        self.proc: subprocess.Popen | None = None
        self.samples: list[dict] = []
        self.stop_sampling = threading.Event()

    # ------------------------------------------------------------------ the service
    def start(self) -> None:
        log = self.base / f"serve-{len(self.logs)}.log"
        self.logs.append(log)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graders", "serve", "tensors"], cwd=self.course,
            env=env(TMPDIR=str(self.tmp)), stdout=open(log, "w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        while "serving tensors from" not in log.read_text():
            if self.proc.poll() is not None:
                sys.exit(f"graders serve exited:\n{log.read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def logged(self) -> list[tuple[str, str, str]]:
        out = []
        for log in self.logs:
            for line in log.read_text().splitlines():
                match = LINE.match(line)
                if match:
                    out.append(match.groups())
        return out

    # ------------------------------------------------------------------ the students
    def submit(self, number: int, broken: bool) -> None:
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange.default import ExchangeSubmit
        from traitlets.config import Config

        student = self.students[number % len(self.students)]
        folder = self.base / "students" / student
        work = folder / "tensors"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        name = "draft.ipynb" if broken else "tensors.ipynb"
        write_notebook(self.notebooks[next(self.cycle)], work / name)
        config = Config()
        config.Exchange.root = str(self.exchange)
        config.Exchange.cache = str(self.base / "cache" / student)
        config.Exchange.assignment_dir = str(folder)
        config.CourseDirectory.course_id = COURSE_ID
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = "tensors"
        coursedir.student_id = student
        submit = ExchangeSubmit(coursedir=coursedir, authenticator=Authenticator(config=config),
                                config=config)
        submit.log.setLevel("ERROR")
        submit.start()
        self.submitted.append((student, submit.timestamp, broken))

    # ------------------------------------------------------------------ sampling
    def sample(self) -> None:
        while not self.stop_sampling.wait(1.0):
            proc = self.proc
            try:
                service = psutil.Process(proc.pid)
                children = service.children(recursive=True)
                rss = service.memory_info().rss
                for child in children:
                    try:
                        rss += child.memory_info().rss
                    except psutil.Error:
                        pass
                self.samples.append({
                    "t": time.monotonic(), "done": len(self.logged()),
                    "rss_service": service.memory_info().rss, "rss_total": rss,
                    "fds": service.num_fds(), "threads": service.num_threads(),
                    "children": len(children), "tmp": len(os.listdir(self.tmp)),
                })
            except (psutil.Error, OSError):
                continue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--broken-every", type=int, default=25)
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--json", help="also write the figures and the samples here (tests)")
    parser.add_argument("--backlog", type=int, default=3, help="submissions waiting at most")
    parser.add_argument("--chart", help="write a PNG chart here")
    parser.add_argument("--keep", help="build everything in this folder and keep it")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-soak-"))
    soak = Soak(base, args.students)
    sampler = threading.Thread(target=soak.sample, daemon=True)
    started = time.monotonic()
    kill_at = int(args.submissions * args.kill_at) if args.kill_at else -1
    killed = None
    orphaned: set[str] = set()
    try:
        soak.start()
        sampler.start()
        for number in range(args.submissions):
            while len(soak.submitted) - len(soak.logged()) >= args.backlog:
                time.sleep(0.05)
            if number == kill_at:
                while len(soak.submitted) - len(soak.logged()) < 1:
                    time.sleep(0.05)
                time.sleep(0.3)  # in the middle of a grading
                soak.kill()
                killed = len(soak.logged())
                orphaned = set(os.listdir(soak.tmp))  # what the killed service left
                soak.start()
            soak.submit(number, broken=args.broken_every and number % args.broken_every == 7)
        deadline = time.monotonic() + 600
        while len(soak.logged()) < len(soak.submitted) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # a few more polls: nothing is graded twice
    finally:
        soak.stop_sampling.set()
        if soak.proc is not None and soak.proc.poll() is None:
            soak.proc.send_signal(signal.SIGTERM)
            soak.proc.wait(timeout=60)
    wall = time.monotonic() - started

    # ------------------------------------------------------------------ checks
    logged = soak.logged()
    keys = [(student, stamp) for student, _, stamp in logged]
    submitted = {(s, t) for s, t, _ in soak.submitted}
    duplicates = len(keys) - len(set(keys))
    lost = submitted - set(keys)
    extra = set(keys) - submitted
    broken = sum(1 for _, _, b in soak.submitted if b)
    failed = sum(1 for _, score, _ in logged if score == "failed")
    newest: dict[str, tuple[str, bool]] = {}
    for student, stamp, was_broken in soak.submitted:
        newest[student] = (stamp, was_broken)
    missing_feedback = 0
    for student, (stamp, was_broken) in newest.items():
        if was_broken:
            continue
        secret = (base / "cache" / student / COURSE_ID
                  / f"{student}+tensors+{stamp}" / "submission_secret.txt")
        candidates = list((base / "cache" / student / COURSE_ID).glob(
            f"{student}+tensors+{stamp}*/submission_secret.txt"))
        secret = candidates[0] if candidates else secret
        name = notebook_hash(secret=secret.read_text(), notebook_id="tensors")
        if not (soak.exchange / COURSE_ID / "feedback" / f"{name}.html").exists():
            missing_feedback += 1
    left_in_tmp = sorted(set(os.listdir(soak.tmp)) - orphaned)
    left_by_killed = sorted(set(os.listdir(soak.tmp)) & orphaned)

    # ------------------------------------------------------------------ report
    samples = soak.samples
    pick = [samples[min(len(samples) - 1, 3)], samples[len(samples) // 2], samples[-1]]
    print(f"submissions {len(soak.submitted)} ({broken} without a notebook) by "
          f"{args.students} students, in {wall / 60:.1f} min "
          f"({len(soak.submitted) / wall:.2f} per second); SIGKILL + restart after "
          f"{killed} logged")
    print(f"logged {len(logged)}: graded {len(logged) - failed}, failed {failed}; duplicated "
          f"{duplicates}, lost {len(lost)}, unknown {len(extra)}; newest submissions without "
          f"feedback {missing_feedback}; left in the service's tmp after it stopped "
          f"{len(left_in_tmp)} (and {len(left_by_killed)} by the SIGKILLed service: "
          f"{', '.join(name.rsplit('-', 1)[0] for name in left_by_killed)})")
    print()
    print("| sample | logged | service RSS MiB | with children MiB | fds | threads | children "
          "| tmp entries |")
    print("|---|---|---|---|---|---|---|---|")
    for label, s in zip(("start", "middle", "end"), pick, strict=True):
        print(f"| {label} | {s['done']} | {s['rss_service'] / 2**20:.0f} | "
              f"{s['rss_total'] / 2**20:.0f} | {s['fds']} | {s['threads']} | {s['children']} "
              f"| {s['tmp']} |")
    peak = max(samples, key=lambda s: s["rss_total"])
    print(f"| peak with children | {peak['done']} | {peak['rss_service'] / 2**20:.0f} | "
          f"{peak['rss_total'] / 2**20:.0f} | {peak['fds']} | {peak['threads']} | "
          f"{peak['children']} | {peak['tmp']} |")
    if args.chart:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        done = [s["done"] for s in samples]
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
        ax1.plot(done, [s["rss_service"] / 2**20 for s in samples], label="service")
        ax1.plot(done, [s["rss_total"] / 2**20 for s in samples], label="service + children")
        ax1.set_ylabel("RSS (MiB)")
        ax1.legend(loc="upper left")
        ax1.set_ylim(bottom=0)
        ax2.plot(done, [s["fds"] for s in samples], label="open descriptors")
        ax2.plot(done, [s["threads"] for s in samples], label="threads")
        ax2.plot(done, [s["children"] for s in samples], label="child processes")
        ax2.plot(done, [s["tmp"] for s in samples], label="temporary entries")
        ax2.set_ylabel("count")
        ax2.set_xlabel("submissions logged")
        ax2.set_ylim(bottom=0)
        ax2.legend(loc="upper left", fontsize="small")
        if killed is not None:
            for ax in (ax1, ax2):
                ax.axvline(killed, color="grey", linestyle=":")
        fig.suptitle(f"graders serve: {len(soak.submitted)} submissions in a row "
                     f"(SIGKILL + restart at the dotted line)")
        fig.tight_layout()
        fig.savefig(args.chart, dpi=100)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    ok = not duplicates and not lost and not extra and not missing_feedback and not left_in_tmp
    ok = ok and failed == broken
    if args.json:
        import json

        Path(args.json).write_text(json.dumps({
            "submitted": len(soak.submitted), "broken": broken, "logged": len(logged),
            "failed": failed, "duplicated": duplicates, "lost": len(lost), "unknown": len(extra),
            "missing_feedback": missing_feedback, "left_in_tmp": len(left_in_tmp),
            "killed_at": killed, "ok": ok, "samples": samples}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
