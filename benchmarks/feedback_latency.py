"""Benchmark: seconds from `nbgrader submit` to feedback a student can fetch, with `graders serve`.

    .venv/bin/python benchmarks/feedback_latency.py [--students 30] [--within 10] [--keep DIR]
                                                    [--students-nice N] [--preimport]

Builds a course and a local nbgrader exchange in a temporary folder, releases the assignment,
starts `graders serve` on it, then has N students (cycling through the test corpus) each run the
real `nbgrader submit` at a random moment within the given seconds. For each submission it
measures the service's latency: from the submission landing in the exchange (complete: `nbgrader
submit` writes its secret last, and the service cannot grade a half-copied folder) to the moment
its feedback file appears in the exchange (what `nbgrader fetch_feedback` copies). It also shows
the time from the folder's first appearance (the student's copy is part of it), and the
student's whole wait, from starting `nbgrader submit` (which itself spends about 4 s of CPU
importing nbgrader before it copies anything) to the feedback. Then it runs the real `nbgrader
fetch_feedback` for every student to check the feedback is fetchable and holds the score
`graders serve` logged. Prints the first submission's latency (the service is started just
before, with no time to settle: it says "serving" once it is warm), then p50 / p95 / max, and
the CPU the service used (its process and all its children: grading process, template, sealed
runs) from "serving" to the last feedback, per submission.

The students' commands run on the grader's two cores: 30 `nbgrader submit` are about 110 s of
CPU, three times what grading them costs, so their imports spread the arrivals over a minute
or more. On a JupyterHub they run in the students' own servers; ``--students-nice`` (default 10)
stands in for that by giving them a lower CPU priority than the service (what a systemd unit
with ``Nice=`` or a separate grading machine gives the service too), and ``--preimport`` has
each student's process import nbgrader first and run the real submit command (its config, its
copy) at its moment, so that the 30 arrivals really fall within ``--within`` seconds.

A benchmark, not a test: the machine is shared and noisy; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import statistics
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
#: A student's `nbgrader submit`, its imports done before the window (--preimport): says
#: "imported", waits for a line, then runs the real command line with its arguments.
PREIMPORTED = """
import sys
from nbgrader.apps.nbgraderapp import NbGraderApp
from nbgrader.apps.submitapp import SubmitApp
from nbgrader.exchange.default import ExchangeSubmit
print("imported", flush=True)
sys.stdin.readline()
NbGraderApp.launch_instance(sys.argv[1:])
"""


def tree_cpu(proc: psutil.Process) -> float:
    """CPU seconds used by ``proc`` and every descendant, living or reaped."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def env() -> dict:
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def run(cmd, cwd) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_exchange(base: Path) -> tuple[Path, Path]:
    course, exchange = base / "course", base / "exchange"
    course.mkdir(parents=True)
    exchange.mkdir()
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    run([BIN / "nbgrader", "generate_assignment", "tensors", "--log-level=ERROR"], course)
    run([BIN / "nbgrader", "release_assignment", "tensors", "--log-level=ERROR"], course)
    return course, exchange


def student_folder(base: Path, exchange: Path, student: str, cell_file: Path) -> Path:
    folder = base / "students" / student
    (folder / "tensors").mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(base / 'cache' / student)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")

    nb = build_submission(ROOT / "release" / "tensors" / "tensors.ipynb",
                          read_cell_file(cell_file))
    write_notebook(nb, folder / "tensors" / "tensors.ipynb")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--within", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--keep", help="build everything in this folder and keep it")
    parser.add_argument("--students-nice", type=int, default=10, metavar="N",
                        help="run the students' commands with this niceness (default 10: "
                             "below the service, as in their own servers; 0: the same)")
    parser.add_argument("--preimport", action="store_true",
                        help="each student's process imports nbgrader before the window and "
                             "runs the real submit command at its moment")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-serve-"))
    serve = None
    try:
        course, exchange = make_exchange(base)
        corpus = sorted((ROOT / "tests" / "corpus").glob("*.py"))
        students = {f"s{i:03d}": student_folder(base, exchange, f"s{i:03d}", cell_file)
                    for i, cell_file in zip(range(args.students), itertools.cycle(corpus),
                                            strict=False)}
        log = open(base / "serve.log", "w")
        serve = subprocess.Popen([sys.executable, "-m", "graders", "serve", "tensors"],
                                 cwd=course, env=env(), stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        while "serving tensors" not in (base / "serve.log").read_text():
            time.sleep(0.2)
        # No settling time: the service says "serving" once it is warm (its pool's template has
        # imported torch, nbgrader's stages and the feedback exporter are loaded), so the first
        # submission is measured as a student would meet it.
        feedback = exchange / COURSE_ID / "feedback"
        starts = sorted((random.uniform(0, args.within), s) for s in students)
        nice = ["nice", "-n", str(args.students_nice)] if args.students_nice else []
        command = {s: ["submit", "tensors", "--student", s, "--log-level=ERROR"]
                   for s in students}
        ready: dict[str, subprocess.Popen] = {}
        if args.preimport:  # each imports nbgrader now, then runs the command when told
            for student, folder in students.items():
                ready[student] = subprocess.Popen(
                    [*nice, sys.executable, "-c", PREIMPORTED, *command[student]], cwd=folder,
                    env=env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True)
            for proc in ready.values():
                assert proc.stdout.readline().strip() == "imported", "a student's import failed"
        service = psutil.Process(serve.pid)
        cpu_serving = tree_cpu(service)  # warm: what it spends from here on is per submission
        t0 = time.monotonic()
        started: dict[str, float] = {}

        def submit(at: float, student: str) -> None:
            time.sleep(max(0.0, t0 + at - time.monotonic()))
            started[student] = time.monotonic()
            if student in ready:
                proc = ready[student]
                out, _ = proc.communicate("go\n")
                if proc.returncode:
                    sys.exit(f"{student}'s nbgrader submit failed:\n{out}")
            else:
                run([*nice, BIN / "nbgrader", *command[student]], students[student])

        threads = [threading.Thread(target=submit, args=item) for item in starts]
        for thread in threads:
            thread.start()
        inbound = exchange / COURSE_ID / "inbound"
        appeared: dict[str, float] = {}  # student -> when its folder appeared in the exchange
        landed: dict[str, float] = {}  # student -> when it was complete (its secret written)
        folders: dict[str, str] = {}
        seen: dict[str, float] = {}  # feedback file name -> when it appeared
        cpu_done = None
        deadline = time.monotonic() + 900
        while len(seen) < len(students) and time.monotonic() < deadline:
            now = time.monotonic()
            for name in os.listdir(inbound):
                student = name.split("+")[0]
                if student not in appeared:
                    appeared[student], folders[student] = now, name
            for student, name in folders.items():
                if student not in landed and os.path.exists(
                        inbound / name / "submission_secret.txt"):
                    landed[student] = now
            if feedback.exists():
                for name in os.listdir(feedback):
                    if not name.endswith("-tmp.html"):  # nbgrader writes this, then renames it
                        seen.setdefault(name, now)
            if len(seen) == len(students):
                cpu_done = tree_cpu(service)
            time.sleep(0.005)
        for thread in threads:
            thread.join()
        latency, copied, whole = {}, {}, {}
        for student in students:  # its feedback file, named by nbgrader from its secret
            secret = next((base / "cache" / student).glob("*/*/submission_secret.txt"))
            name = f"{notebook_hash(secret=secret.read_text(), notebook_id='tensors')}.html"
            if name in seen:
                latency[student] = seen[name] - landed[student]
                copied[student] = seen[name] - appeared[student]
                whole[student] = seen[name] - started[student]
        lines = [line for line in (base / "serve.log").read_text().splitlines()
                 if re.search(r"\s\d+(\.\d+)? / 15\s", line)]
        # Every student fetches their feedback with the real command; its score is the logged one.
        scores = {line.split()[2]: line.split()[3] for line in lines}
        fetched = 0
        for student, folder in students.items():
            run([BIN / "nbgrader", "fetch_feedback", "tensors", "--student", student,
                 "--log-level=ERROR"], folder)
            pages = list((folder / "tensors" / "feedback").glob("*/tensors.html"))
            if pages and f"Score: {float(scores[student]):.1f} / 15.0" in pages[0].read_text():
                fetched += 1
        spread = (max(landed.values()) - min(landed.values())) if landed else 0.0
        print(f"students               {len(students)} submitting within {args.within:g} s "
              f"(real nbgrader submit, niceness {args.students_nice}"
              f"{', nbgrader imported beforehand' if args.preimport else ''}); "
              f"landed within {spread:.1f} s")
        print(f"feedback released      {len(latency)} of {len(students)}")
        print(f"fetched with the right score (real nbgrader fetch_feedback): {fetched}")
        first = min(latency, key=lambda s: landed[s], default=None)
        if first is not None:
            print(f"first submission          {latency[first]:5.2f} s landed -> feedback "
                  f"({first}, the first to land after the service started)")
        for label, table in (("landed -> feedback", latency),
                             ("folder appears -> feedback", copied),
                             ("submit starts -> feedback", whole)):
            values = sorted(table.values())
            if not values:
                continue
            p95 = values[max(0, int(round(0.95 * len(values))) - 1)]
            print(f"{label:<26} p50 {statistics.median(values):5.2f} s   p95 {p95:5.2f} s   "
                  f"max {values[-1]:5.2f} s")
        if cpu_done is not None:
            used = cpu_done - cpu_serving
            print(f"service CPU            {used:.2f} s from 'serving' to the last feedback = "
                  f"{1000 * used / len(students):.0f} ms per submission (the service's process "
                  f"and all its children: template, sealed runs)")
        return 0 if fetched == len(students) else 1
    finally:
        if serve is not None:
            os.killpg(serve.pid, 15)
            serve.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
