"""Benchmark: `graders autograde` against stock `nbgrader autograde`, side by side.

    .venv/bin/python benchmarks/autograde_speed.py [--n 100] [--workers N] [--keep DIR]

Builds N submissions by cycling through the test corpus (right, wrong, blank, broken and cheating
ones), grades one copy of the course with ``nbgrader autograde`` and another with
``graders autograde`` (sandbox on, as by default) in the same run, checks that every test cell
gets the same score from both, and prints both wall times, the ratio, the peak memory of each
(all processes of the command together, sampled every 0.1 s) and the sandbox's set-up time per
sealed process (from the engine's summary). Both graders run the course's ``VerifyAnswers``
stage, so both make the grader's two re-runs of each notebook. Exits 1 if any score differs.

A benchmark, not a test: timings on a shared 2-core machine are noisy, so nothing here asserts a
speed; read the ratio.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.submission_builder import (  # noqa: E402
    build_submission,
    read_cell_file,
    write_submission,
)

ASSIGNMENT = "tensors"
BIN = Path(sys.executable).parent


def make_course(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "source", folder / "source")
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    run(folder, [str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--log-level=ERROR"])
    release = folder / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    corpus = sorted((ROOT / "tests" / "corpus").glob("*.py"))
    for i, path in zip(range(n), itertools.cycle(corpus), strict=False):
        cell_file = read_cell_file(path)
        student = f"s{i:04d}_{cell_file.student}"
        write_submission(build_submission(release, cell_file), folder / "submitted", student,
                         ASSIGNMENT, ASSIGNMENT)
    return folder


def run(cwd: Path, command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; returns (wall seconds, peak RSS in MiB of its whole process tree,
    standard output)."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            stop.wait(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    stop.set()
    thread.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{out[-3000:]}{err[-3000:]}")
    return wall, peak[0] / 2**20, out


def cell_scores(course: Path) -> dict[tuple[str, str], float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {
            (student, grade.name): grade.score
            for student in (s.id for s in gb.students)
            for grade in gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).grades
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    parser.add_argument("--workers", type=int, help="engine workers (default: all cores)")
    parser.add_argument("--keep", help="build the courses in this folder and keep them")
    args = parser.parse_args()

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    try:
        print(f"Building 2 x {args.n} submissions in {base} ...", flush=True)
        stock = make_course(base / "nbgrader", args.n)
        engine = make_course(base / "engine", args.n)

        print("Grading with nbgrader autograde ...", flush=True)
        stock_wall, stock_mem, _ = run(stock, [str(BIN / "nbgrader"), "autograde", ASSIGNMENT,
                                               "--log-level=ERROR"])
        print("Grading with graders autograde ...", flush=True)
        command = [sys.executable, "-m", "graders", "autograde", ASSIGNMENT]
        if args.workers:
            command += ["--workers", str(args.workers)]
        engine_wall, engine_mem, summary = run(engine, command)
        setup = next((line for line in summary.splitlines()
                      if line.startswith("sandbox set-up")), "sandbox set-up: not reported")

        a, b = cell_scores(stock), cell_scores(engine)
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print()
        corpus = len(list((ROOT / "tests" / "corpus").glob("*.py")))
        print(f"submissions            {args.n}  (cycling through the {corpus} corpus files)")
        print(f"nbgrader autograde     {stock_wall:8.1f} s   {args.n / stock_wall:6.2f}/s   "
              f"peak {stock_mem:6.0f} MiB")
        print(f"graders autograde      {engine_wall:8.1f} s   {args.n / engine_wall:6.2f}/s   "
              f"peak {engine_mem:6.0f} MiB")
        print(f"ratio                  {stock_wall / engine_wall:8.1f} x faster")
        print(setup)
        print(f"scores per test cell   {len(a) - len(differ)} of {len(a)} identical")
        for key in differ[:20]:
            print(f"  differs: {key}: nbgrader {a.get(key)}, engine {b.get(key)}")
        return 1 if differ else 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
