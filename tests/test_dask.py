"""`graders autograde --scheduler`: the sealed runs on a real Dask cluster, the same grades.

A real ``dask scheduler`` and two ``dask worker`` processes run on 127.0.0.1 for this module.
A scratch course holding a spread of the corpus (right, wrong, cheating and copy-pasted
hand-ins), two kernel deaths from the fault corpus and a hand-in that reads a file it was given
and writes files in its folder is graded on the cluster; every test cell must score what its
cell file expects and what the local engine gives, and the files the notebook wrote must be in
``autograded/`` as the local engine leaves them. Then a batch where a third worker is killed
(SIGKILL, nanny and all) half-way: Dask re-runs its runs elsewhere, every score is still right
and every student is recorded once.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    ASSIGNMENT,
    BIN,
    CORPUS,
    ROOT,
    GradedCourse,
    add_submissions,
    course_env,
    expected_codes,
    expected_scores,
    make_course,
    run_nbgrader,
)
from nbgrader.api import Gradebook

from graders.engine.dask_pool import (  # Dask missing: fails here
    LEAN_DASK_ENV,
    NOTEBOOKS_PER_TASK,
    wait_for_cluster,
)

pytestmark = pytest.mark.xdist_group("dask")

FAULTS = ROOT / "tests" / "faults"
CASES = [CORPUS / f"{name}.py" for name in (
    "01_reference", "02_untouched", "07_missing_bias_ex1", "13_resize_in_place",
    "15_typed_in_values", "16_patched_torch_allclose", "19_torch_tensor_copy",
    "26_multilayer_wrong_shape", "33_copy_pasted_cells")] + [
    FAULTS / "40_kernel_exit_ex2.py", FAULTS / "41_segfault_ex3.py",
    # a 1,500-deep chain of folders: the worker's walks and clean-up must not stop its pool
    CORPUS.parent / "attacks" / "39_deep_folder_chain.py"]
WRITER = "90_reads_and_writes_files"
WRITER_CELLS = """# Reads a file handed in with it and one the assignment gives; writes two files.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import os
y = activation(torch.sum(features * weights) + bias)
with open("data.csv") as fh:
    rows = fh.read()
with open("helper.txt") as fh:
    helper = fh.read()
os.makedirs("out", exist_ok=True)
with open("out/written.txt", "w") as fh:
    fh.write(rows + helper)
with open("notes.txt", "w") as fh:
    fh.write("written by the notebook\\n")
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
"""
START = 180  # seconds: a cluster on a busy 2-core machine starts slowly
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A scheduler and workers as subprocesses, each leading its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.procs = folder, []
        self.address = f"tcp://127.0.0.1:{_free_port()}"

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([str(BIN / "dask"), *args], cwd=self.folder,
                                env=dict(course_env(), **LEAN_DASK_ENV), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> None:
        port = self.address.rsplit(":", 1)[1]
        self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", port,
                    "--no-dashboard")

    def start_worker(self, name: str) -> subprocess.Popen:
        return self._start(name, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                           "--no-dashboard", "--host", "127.0.0.1", "--name", name,
                           "--local-directory", str(self.folder / name))

    def wait_for_workers(self, n: int) -> None:
        wait_for_cluster(self.address, n, START)

    def kill(self, proc: subprocess.Popen, how=signal.SIGKILL) -> None:
        try:
            os.killpg(proc.pid, how)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        for proc in reversed(self.procs):  # workers first, then the scheduler
            self.kill(proc, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(proc)
                proc.wait(timeout=20)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in sorted(self.folder.glob("*.log")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-cluster")
    cluster = Cluster(folder)
    try:
        cluster.start_scheduler()
        cluster.start_worker("w1")
        cluster.start_worker("w2")
        cluster.wait_for_workers(2)
        yield cluster
    finally:
        cluster.stop()


def grade(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT, *args],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=900)


def build_course(folder: Path, cases: list[Path], writer: bool = False) -> Path:
    """A course in ``folder``/course; with ``writer``, also the hand-in that writes files
    (its cell file is ``folder``/WRITER.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    course = make_course(folder)
    if writer:  # an assignment file every run gets, as nbgrader copies it
        (course / "source" / ASSIGNMENT / "helper.txt").write_text("from the assignment\n")
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    add_submissions(course, cases)
    if writer:
        cell_file = folder / f"{WRITER}.py"
        cell_file.write_text(WRITER_CELLS)
        add_submissions(course, [cell_file])
        (course / "submitted" / WRITER / ASSIGNMENT / "data.csv").write_text("x,y\n1,2\n")
    return course


@pytest.fixture(scope="module")
def graded_on_dask(cluster, tmp_path_factory):
    """The same course twice: graded on the cluster and by the local engine."""
    folder = tmp_path_factory.mktemp("dask-course")
    dask_course = build_course(folder, CASES, writer=True)
    local_course = folder / "local" / "course"
    shutil.copytree(dask_course, local_course)
    proc = grade(dask_course, "--scheduler", cluster.address)
    assert proc.returncode == 0, proc.stdout + proc.stderr + cluster.logs()
    local = grade(local_course)
    assert local.returncode == 0, local.stdout + local.stderr
    dask_graded, local_graded = GradedCourse(dask_course), GradedCourse(local_course)
    dask_graded.summary, local_graded.summary = proc.stdout, local.stdout
    dask_graded.cases = [*CASES, folder / f"{WRITER}.py"]
    return dask_graded, local_graded


def test_dask_grades_meet_the_expectations(graded_on_dask):
    on_dask, _ = graded_on_dask
    for case in on_dask.cases:
        assert on_dask.cell_scores(case.stem) == expected_scores(case), case.stem
        codes = on_dask.cell_codes(case.stem)
        for test, code in expected_codes(case).items():
            assert codes.get(test) == code, f"{case.stem} {test}: got {codes.get(test)}"
    assert f"graded {len(on_dask.cases)}, skipped 0" in on_dask.summary
    assert "failed 0" in on_dask.summary
    assert "Dask cluster tcp://127.0.0.1:" in on_dask.summary
    # two runs a notebook, and the runs of two notebooks prepared together go as one task
    runs, tasks = map(int, re.search(r"Dask cluster \S+: (\d+) runs in (\d+) tasks",
                                     on_dask.summary).groups())
    notebooks = len(on_dask.cases)
    assert runs == 2 * notebooks, on_dask.summary
    assert notebooks / NOTEBOOKS_PER_TASK <= tasks < notebooks, on_dask.summary


def test_dask_and_the_local_engine_agree_cell_by_cell(graded_on_dask):
    on_dask, local = graded_on_dask
    for student in [c.stem for c in CASES] + [WRITER]:
        assert on_dask.cell_scores(student) == local.cell_scores(student), student
        assert on_dask.cell_codes(student) == local.cell_codes(student), student
    for student, words in [("40_kernel_exit_ex2", "exited with code 1"),
                           ("41_segfault_ex3", "SIGSEGV")]:
        line = next(r for r in on_dask.summary.splitlines() if r.startswith(student))
        assert "kernel died" in line and words in line, line


def test_files_a_notebook_writes_come_back_to_autograded(graded_on_dask):
    on_dask, local = graded_on_dask
    for course in (on_dask, local):
        folder = course.path / "autograded" / WRITER / ASSIGNMENT
        assert (folder / "out" / "written.txt").read_text() == "x,y\n1,2\nfrom the assignment\n"
        assert (folder / "notes.txt").read_text() == "written by the notebook\n"
        assert (folder / "data.csv").exists() and (folder / "helper.txt").exists()
    names = {p.relative_to(on_dask.path / "autograded" / WRITER).as_posix()
             for p in (on_dask.path / "autograded" / WRITER).rglob("*")}
    local_names = {p.relative_to(local.path / "autograded" / WRITER).as_posix()
                   for p in (local.path / "autograded" / WRITER).rglob("*")}
    assert names == local_names


def test_a_worker_killed_mid_batch_loses_nothing(cluster, graded_on_dask, tmp_path):
    _, local = graded_on_dask
    cases = CASES[:9]
    course = build_course(tmp_path / "kill", cases)
    victim = cluster.start_worker("victim")
    cluster.wait_for_workers(3)
    proc = subprocess.Popen([sys.executable, "-m", "graders", "autograde", ASSIGNMENT,
                             "--scheduler", cluster.address], cwd=course, env=course_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        autograded = course / "autograded"
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(autograded.glob(f"*/{ASSIGNMENT}"))) >= 2:
                break
            time.sleep(0.05)
        done_at_kill = len(list(autograded.glob(f"*/{ASSIGNMENT}")))
        cluster.kill(victim)  # the nanny and its worker: gone for good
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert victim.wait(timeout=30) is not None
    assert done_at_kill < len(cases), "the worker should have been killed half-way"
    assert proc.returncode == 0, out + err + cluster.logs()
    assert f"graded {len(cases)}, skipped 0 (already graded; --force regrades), failed 0" in out
    assert "1 worker(s) left during the batch" in out, out
    graded = GradedCourse(course)
    for case in cases:
        assert graded.cell_scores(case.stem) == expected_scores(case), case.stem
        assert graded.cell_scores(case.stem) == local.cell_scores(case.stem), case.stem
    with Gradebook(graded.db_url) as gb:  # each student recorded once, with one notebook
        submissions = gb.assignment_submissions(ASSIGNMENT)
        assert sorted(s.student_id for s in submissions) == sorted(c.stem for c in cases)
        assert all(len(s.notebooks) == 1 for s in submissions)
    for case in cases:
        runs = graded.autograded(case.stem).metadata["graders"]["runs"]
        assert sorted(runs) == ["fresh", "main"]  # main is the seeded re-run too
    assert not list(autograded.glob("*/.*partial"))


def test_serve_sends_the_runs_to_the_cluster(cluster, tmp_path):
    """`graders serve --scheduler`: a submission made with `nbgrader submit` is graded on the
    Dask workers and its feedback fetched with `nbgrader fetch_feedback`."""
    from test_serve import Exchange

    exchange = Exchange(tmp_path)
    try:
        exchange.start("--scheduler", cluster.address)
        exchange.submit("ada", "01_reference")
        exchange.submit("ben", "07_missing_bias_ex1")
        exchange.wait_released(2)
        assert exchange.fetch("ada") == ["15.0"]
        assert exchange.fetch("ben") == ["13.0"]
    finally:
        exchange.stop_all()
    log = exchange.logs[0].read_text()
    assert "Traceback" not in log, log

