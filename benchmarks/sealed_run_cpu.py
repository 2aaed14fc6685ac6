"""Benchmark: the CPU of one sealed run, measured per child with ``wait4`` in its template.

Grades nothing: builds the submissions of a few corpus files from the course's release, plans the
engine's two runs of each (the notebook's own run with the trace, ``main``, and the ``fresh``
re-run), and runs them through a real :class:`~graders.engine.pool.KernelPool` with the sandbox
and every cap on, as ``graders autograde`` does. Printed per kind of run (``empty``: a child with
no step, its set-up and exit alone; ``main``; ``fresh``): the child's own CPU (user and system,
from the template's ``wait4``), its page faults, and the template's CPU per fork (from
``/proc/<pid>/stat``, clock ticks). The machine may be shared: CPU counters, not wall time.

    .venv/bin/python benchmarks/sealed_run_cpu.py --n 40 [--kinds empty,main,fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.checks import run_plan  # noqa: E402
from graders.engine.jobs import Job  # noqa: E402
from graders.engine.runs import make_pool  # noqa: E402
from graders.submission_builder import build_submission, read_cell_file  # noqa: E402

CASES = ["01_reference", "03_methods_and_operators", "07_missing_bias_ex1",
         "06_prints_warnings_extra_cells"]
TICK = os.sysconf("SC_CLK_TCK")


def _release(folder: Path) -> Path:
    course = folder / "course"
    course.mkdir()
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_assignment",
                    "tensors"], cwd=course, env=env, check=True, capture_output=True)
    return course


def _proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="runs of each kind")
    parser.add_argument("--kinds", default="empty,main,fresh")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write the per-run figures here")
    args = parser.parse_args()
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="graders-bench-") as tmp:
        course = _release(Path(tmp))
        release = course / "release" / "tensors" / "tensors.ipynb"
        plans = []
        for name in CASES:
            nb = build_submission(release, read_cell_file(ROOT / "tests" / "corpus" / f"{name}.py"))
            plans.append(run_plan.plan(nb, b"bench-key"))
        config = Config()
        pool = make_pool(course, config, timeout=30.0, workers=args.workers)
        exited: list[dict] = []
        messages = pool.template.messages

        def recording():
            out = messages()
            if out:
                exited.extend(m for m in out if "exited" in m)
            return out

        pool.template.messages = recording
        work = Path(tmp) / "work"
        work.mkdir()
        # One untimed job first: the template's start and its first fork.
        list(pool.run([Job("warm", [], str(work))]))
        report = {}
        for kind in args.kinds.split(","):
            jobs = []
            for i in range(args.n):
                folder = work / f"{kind}-{i}"
                folder.mkdir()
                plan = plans[i % len(plans)]
                steps = [] if kind == "empty" else getattr(plan, kind)
                jobs.append(Job(f"{kind}-{i}", steps, str(folder), trace=kind != "empty"))
            exited.clear()
            tpid = pool.template.process.pid
            before = _proc_cpu(tpid)
            results = list(pool.run(jobs))
            template = _proc_cpu(tpid) - before
            bad = [r.key for r in results if r.faults]
            cpu = [sum(m["cpu"]) * 1e3 for m in exited]
            user = [m["cpu"][0] * 1e3 for m in exited]
            faults = [m["faults"][0] for m in exited]
            report[kind] = {"cpu_ms": cpu, "faults": faults, "template_ms": template * 1e3}
            print(f"{kind:6} n={len(cpu):3}  child CPU mean {statistics.mean(cpu):6.1f} ms "
                  f"(median {statistics.median(cpu):5.1f}, user {statistics.mean(user):5.1f}), "
                  f"minor faults {statistics.mean(faults):6.0f}, template per fork "
                  f"{template * 1e3 / len(cpu):5.1f} ms" + (f"  FAULTS in {bad}" if bad else ""))
        pool.close()
        if args.json:
            Path(args.json).write_text(json.dumps(report))


if __name__ == "__main__":
    main()
