"""Benchmark: `graders autograde` at 100, 1,000 and 5,000 submissions: linear time, flat memory.

    .venv/bin/python benchmarks/scaling.py [--sizes 100,1000,5000] [--workers N]
        [--json docs/images/scaling.json] [--chart docs/images/scaling.png] [--keep DIR]

For each size, builds a course whose submissions cycle through the test corpus (right, wrong,
blank, broken and cheating ones; each corpus notebook is built once and written as many times as
needed), grades it with `graders autograde` (the engine only, sandbox and every cap on, as by
default) and prints, per size: wall seconds per submission, CPU-seconds per submission (every
process of the command, sealed runs included, from ``wait4``'s resource usage), and the peak
memory of the command's process tree, sampled every 0.2 s, both as the sum of resident sets
(RSS: pages shared by the templates and their children counted once per process, as
`autograde_speed.py` reports it) and as the sum of proportional sets (PSS: shared pages split
between the processes that share them, so closer to what the machine really gives). Then a
markdown table to paste into docs/benchmarks.md, a JSON file of the figures and a matplotlib
chart.

A benchmark, not a test: on a shared 2-core machine the wall time is noisy (read the CPU
seconds, which other processes do not inflate much); nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.submission_builder import (  # noqa: E402
    build_submission,
    read_cell_file,
    write_submission,
)

ASSIGNMENT = "tensors"
BIN = Path(sys.executable).parent


def _env() -> dict:
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def make_course(folder: Path, n: int) -> Path:
    """A course with ``n`` submissions, the corpus cycled (each corpus notebook built once)."""
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "source", folder / "source")
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    made = subprocess.run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT,
                           "--log-level=ERROR"], cwd=folder, env=_env(), capture_output=True,
                          text=True)
    if made.returncode:
        sys.exit(f"nbgrader generate_assignment failed:\n{made.stdout}{made.stderr}")
    release = folder / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    corpus = []
    for path in sorted((ROOT / "tests" / "corpus").glob("*.py")):
        cell_file = read_cell_file(path)
        corpus.append((cell_file.student, build_submission(release, cell_file)))
    for i, (name, nb) in zip(range(n), itertools.cycle(corpus), strict=False):
        write_submission(nb, folder / "submitted", f"s{i:05d}_{name}", ASSIGNMENT, ASSIGNMENT)
    return folder


def _pss(proc: psutil.Process) -> int:
    try:
        with open(f"/proc/{proc.pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def grade(course: Path, workers: int | None) -> dict:
    """Run `graders autograde` on ``course``: wall and CPU seconds, peak RSS and PSS sums."""
    command = [sys.executable, "-m", "graders", "autograde", ASSIGNMENT]
    if workers:
        command += ["--workers", str(workers)]
    env = _env()
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    peak = {"rss": 0, "pss": 0, "processes": 0}
    stop = threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree)
                pss = sum(_pss(p) for p in tree)
                peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
                peak["processes"] = max(peak["processes"], len(tree))
            except psutil.Error:
                pass
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    stop.set()
    thread.join()
    if status != 0:
        sys.exit(f"graders autograde failed ({status}):\n{out[-3000:]}")
    graded = next((line for line in out.splitlines() if line.startswith("graded ")), "")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": peak["rss"] / 2**20, "peak_pss_mib": peak["pss"] / 2**20,
            "peak_processes": peak["processes"], "summary": graded}


def chart(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["n"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [r["wall"] / r["n"] for r in results], "o-", label="wall s / submission")
    left.plot(sizes, [r["cpu"] / r["n"] for r in results], "s-", label="CPU s / submission")
    left.set_xscale("log")
    left.set_ylim(bottom=0)
    left.set_xlabel("submissions")
    left.set_ylabel("seconds per submission")
    left.set_title("Time per submission")
    left.legend()
    right.plot(sizes, [r["peak_rss_mib"] for r in results], "o-", label="peak RSS, summed")
    right.plot(sizes, [r["peak_pss_mib"] for r in results], "s-", label="peak PSS, summed")
    right.set_xscale("log")
    right.set_ylim(bottom=0)
    right.set_xlabel("submissions")
    right.set_ylabel("MiB (whole process tree)")
    right.set_title("Peak memory")
    right.legend()
    fig.suptitle("graders autograde: scaling with the class size (2-core machine)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def table(results: list[dict]) -> str:
    lines = ["| submissions | wall time | wall s / submission | CPU s / submission "
             "| peak RSS (tree, summed) | peak PSS (tree, summed) |",
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['n']:,} | {r['wall']:.1f} s | {r['wall'] / r['n']:.3f} | "
                     f"{r['cpu'] / r['n']:.3f} | {r['peak_rss_mib']:.0f} MiB | "
                     f"{r['peak_pss_mib']:.0f} MiB |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated")
    parser.add_argument("--workers", type=int, help="engine workers (default: all cores)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--chart", help="write a PNG chart here")
    parser.add_argument("--keep", help="build the courses in this folder and keep them")
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    results = []
    try:
        for n in sizes:
            print(f"Building {n} submissions ...", flush=True)
            course = make_course(base / f"n{n}", n)
            print(f"Grading {n} with graders autograde ...", flush=True)
            load = os.getloadavg()[0]
            r = {"n": n, "load_before": load, **grade(course, args.workers)}
            r["load_after"] = os.getloadavg()[0]
            results.append(r)
            print(f"  {n:6d}: wall {r['wall']:.1f} s ({r['wall'] / n:.3f} s each), CPU "
                  f"{r['cpu']:.1f} s ({r['cpu'] / n:.3f} s each), peak RSS "
                  f"{r['peak_rss_mib']:.0f} MiB, PSS {r['peak_pss_mib']:.0f} MiB, "
                  f"{r['peak_processes']} processes at most; load {load:.1f}; "
                  f"{r['summary']}", flush=True)
            if not args.keep:
                shutil.rmtree(course, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print(table(results))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d"),
                                               "cpus": os.cpu_count(), "results": results},
                                              indent=1))
    if args.chart:
        chart(results, Path(args.chart))
        print(f"chart: {args.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
