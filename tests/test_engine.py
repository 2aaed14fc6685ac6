"""`graders autograde`: nbgrader's grades where nbgrader keeps them, and faults that stay local.

The engine grades a scratch course holding the whole corpus, the mistake catalogue
(``tests/mistakes/``) and four broken hand-ins (a renamed notebook, invalid JSON, no notebook,
extra files), and a second one, with short time limits, holding the fault corpus
(``tests/faults/``: a kernel that exits, a segfault, an 8 GB allocation, an endless loop, a loop
that blocks the timeout signal, slow cells). Grades and diagnosis codes are held, cell by cell,
to each file's expectations: for the corpus, the same ones ``test_corpus`` holds stock
``nbgrader autograde`` to, so the two graders agree.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    ASSIGNMENT,
    CORPUS,
    MISTAKES,
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

pytestmark = pytest.mark.xdist_group("engine")

FAULTS = ROOT / "tests" / "faults"
# The corpus, the mistakes and the broken hand-ins: 1 GiB of memory, and time enough on a loaded
# machine (corpus 98's first FlopCounterMode imports torch._dynamo, about 1 s of CPU: over 3 s
# when the tests share the 2 cores with other graders).
ENGINE_CONFIG = """
c.Execute.timeout = 20
c.GradingEngine.kill_grace = 1
c.GradingEngine.memory_cap_gib = 1
"""
# The faults, on their own course: short limits so they are quick, 3 s a cell, killed 1 s
# later (faults 45-47 are sized for these).
FAULT_CONFIG = ENGINE_CONFIG.replace("c.Execute.timeout = 20", "c.Execute.timeout = 3")
BROKEN = ["50_renamed_notebook", "51_invalid_json", "52_no_notebook", "53_extra_files"]


def run_engine(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT, *args],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=600)


def add_broken_hand_ins(course: Path) -> None:
    submitted = course / "submitted"
    reference = submitted / "01_reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    folders = {name: submitted / name / ASSIGNMENT for name in BROKEN}
    for folder in folders.values():
        folder.mkdir(parents=True)
    shutil.copy(reference, folders["50_renamed_notebook"] / "tensors (1).ipynb")
    (folders["51_invalid_json"] / "tensors.ipynb").write_text('{"cells": [{"cell_type": "co')
    (folders["52_no_notebook"] / "notes.txt").write_text("I could not get Jupyter to start.\n")
    shutil.copy(reference, folders["53_extra_files"] / "tensors.ipynb")
    shutil.copy(reference, folders["53_extra_files"] / "scratch.ipynb")
    (folders["53_extra_files"] / "data.csv").write_text("x,y\n1,2\n")


def _graded_course(folder: Path, config: str, cases: list[Path], broken: bool = False):
    course = make_course(folder)
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(config)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    add_submissions(course, cases)
    if broken:
        add_broken_hand_ins(course)
    proc = run_engine(course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    graded = GradedCourse(course)
    graded.summary = proc.stdout
    return graded


@pytest.fixture(scope="session")
def engine_course(tmp_path_factory):
    return _graded_course(tmp_path_factory.mktemp("engine"), ENGINE_CONFIG,
                          sorted(CORPUS.glob("*.py")) + sorted(MISTAKES.glob("*.py")),
                          broken=True)


@pytest.fixture(scope="session")
def fault_course(tmp_path_factory):
    return _graded_course(tmp_path_factory.mktemp("faults"), FAULT_CONFIG,
                          sorted(FAULTS.glob("*.py")))


def _notebook_record(course: GradedCourse, student: str):
    with Gradebook(course.db_url) as gb:
        nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return nb.flagged, [c.auto_comment or "" for c in nb.comments]


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*.py")), ids=lambda p: p.stem)
def test_engine_meets_the_corpus_expectations_as_nbgrader_does(engine_course, case):
    """test_corpus holds stock nbgrader to the same expectations, so the graders agree."""
    assert engine_course.cell_scores(case.stem) == expected_scores(case)
    codes = engine_course.cell_codes(case.stem)
    for test, code in expected_codes(case).items():
        assert codes.get(test) == code, f"{test}: got {codes.get(test)}, expected {code}"


def test_errors_read_as_in_jupyter_without_the_graders_frames(engine_course):
    """The notebook's run is also the traced seeded re-run: an error inside a torch call (the
    shape error of exercise 2) shows the student's line and the error, not the trace's frame."""
    checked = 0
    for case in sorted(CORPUS.glob("*.py")) + sorted(MISTAKES.glob("*.py")):
        for cell in engine_course.autograded(case.stem).cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    text = "\n".join(output.get("traceback", []))
                    assert "graders/kernel" not in text and "__torch_function__" not in text, (
                        case.stem, text)
                    checked += 1
    shape_error = [o for c in engine_course.autograded("11_mm_shape_error").cells
                   for o in c.get("outputs", []) if o.get("ename") == "RuntimeError"]
    assert shape_error and "cannot be multiplied" in shape_error[0]["evalue"]
    assert "Cell In[" in "\n".join(shape_error[0]["traceback"])
    assert checked > 50


@pytest.mark.parametrize("case", sorted(FAULTS.glob("*.py")), ids=lambda p: p.stem)
def test_a_fault_costs_only_its_own_exercise(fault_course, case):
    assert fault_course.cell_scores(case.stem) == expected_scores(case)


@pytest.mark.parametrize("case", sorted(MISTAKES.glob("*.py")), ids=lambda p: p.stem)
def test_each_catalogued_mistake_is_scored_and_named(engine_course, case):
    assert engine_course.cell_scores(case.stem) == expected_scores(case)
    codes = engine_course.cell_codes(case.stem)
    for test, code in expected_codes(case).items():
        assert codes.get(test) == code, f"{test}: got {codes.get(test)}, expected {code}"


def test_kernel_deaths_are_flagged_and_explained(fault_course):
    for student, words in [("40_kernel_exit_ex2", "exited with code 1"),
                           ("41_segfault_ex3", "SIGSEGV"),
                           ("44_ignores_interrupt_ex3", "did not stop")]:
        flagged, comments = _notebook_record(fault_course, student)
        assert flagged and any(words in c for c in comments), (student, comments)
        line = next(row for row in fault_course.summary.splitlines() if row.startswith(student))
        assert "kernel died" in line and words in line


def test_broken_hand_ins_are_recorded_with_a_reason(engine_course):
    scores = {s: sum(engine_course.cell_scores(s).values()) for s in BROKEN}
    assert scores == {"50_renamed_notebook": 15, "51_invalid_json": 0, "52_no_notebook": 0,
                      "53_extra_files": 15}
    expected = {
        "50_renamed_notebook": "graded 'tensors (1).ipynb' as tensors.ipynb",
        "51_invalid_json": "tensors.ipynb is not a valid notebook",
        "52_no_notebook": "tensors.ipynb is missing (found: no notebooks)",
        "53_extra_files": "extra notebooks not graded: scratch.ipynb",
    }
    for student, reason in expected.items():
        line = next(row for row in engine_course.summary.splitlines() if row.startswith(student))
        assert reason in line, line
    for student in ("51_invalid_json", "52_no_notebook"):
        flagged, comments = _notebook_record(engine_course, student)
        assert flagged and any(expected[student] in c for c in comments)
    extra = engine_course.path / "autograded" / "53_extra_files" / ASSIGNMENT / "data.csv"
    assert extra.exists()  # copied along, as nbgrader does


def test_feedback_after_the_engine_explains_a_dead_kernel(fault_course):
    fault_course.nbgrader("generate_feedback", ASSIGNMENT, "--student", "40_kernel_exit_ex2")
    html = (fault_course.path / "feedback" / "40_kernel_exit_ex2" / ASSIGNMENT /
            f"{ASSIGNMENT}.html").read_text()
    assert "KernelDied" in html and "stopped the kernel" in html
    assert "BEGIN HIDDEN TESTS" not in html and "hidden_test" not in html


def test_memory_and_time_limits_fail_fast_with_a_clear_error(fault_course):
    import nbformat

    def errors(student):
        path = fault_course.path / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = nbformat.read(path, as_version=4)
        return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error"]

    assert any(e.ename == "MemoryError" and "1 GiB" in e.evalue
               for e in errors("42_memory_hog_ex1"))
    assert any(e.ename == "CellTimeoutError" for e in errors("43_infinite_loop_ex4"))


def test_rerun_regrades_nothing_and_force_gives_the_same_grades(engine_course):
    before = {s: engine_course.cell_scores(s) for s in ("01_reference", "07_missing_bias_ex1")}
    again = run_engine(engine_course.path)
    assert again.returncode == 0 and "graded 0, skipped" in again.stdout
    forced = run_engine(engine_course.path, "--force", "--student", "01_reference",
                        "--student", "07_missing_bias_ex1")
    assert forced.returncode == 0 and "graded 2, skipped 0" in forced.stdout
    assert {s: engine_course.cell_scores(s) for s in before} == before


def test_an_unknown_student_is_reported_and_fails_the_run(engine_course):
    proc = run_engine(engine_course.path, "--student", "nobody")
    assert proc.returncode == 1 and "no folder" in proc.stdout


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_a_killed_batch_resumes_where_it_stopped(engine_course, tmp_path, how):
    course = make_course(tmp_path)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    cases = sorted(CORPUS.glob("*.py"))[:16]
    add_submissions(course, cases)
    proc = subprocess.Popen([sys.executable, "-m", "graders", "autograde", ASSIGNMENT,
                             "--workers", "1"], cwd=course, env=course_env(),
                            start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    autograded = course / "autograded"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if autograded.exists() and len(list(autograded.glob(f"*/{ASSIGNMENT}"))) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, how)  # the whole process group, as a terminal's Ctrl-C does
    _, err = proc.communicate(timeout=60)
    if how == signal.SIGINT:
        assert proc.returncode == 130 and "run the same command again" in err
        assert "Traceback" not in err
    done = len(list(autograded.glob(f"*/{ASSIGNMENT}")))
    assert 3 <= done < len(cases), "the batch should have been cut off half-way"

    resumed = run_engine(course)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"graded {len(cases) - done}, skipped {done}" in resumed.stdout
    assert not list(autograded.glob("*/.*partial"))
    graded = GradedCourse(course)
    for case in cases:
        assert graded.cell_scores(case.stem) == engine_course.cell_scores(case.stem), case.stem
    graded.nbgrader("export", "--to", "grades.csv")  # the gradebook is consistent
