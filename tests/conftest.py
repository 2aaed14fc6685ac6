"""A scratch copy of the course, graded once per test session with the real nbgrader commands.

The session fixture copies ``source/`` and ``nbgrader_config.py`` into a temporary folder, runs
``nbgrader generate_assignment``, turns every cell file of ``tests/corpus/`` into a submission
(student id = file name), and runs ``nbgrader autograde`` once for all of them. Tests then read
grades per cell from the gradebook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from graders.checks.exercises import EXERCISES
from graders.submission_builder import build_submission, read_cell_file, write_submission

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"  # graded by stock nbgrader and by the engine
MISTAKES = ROOT / "tests" / "mistakes"  # the mistake catalogue, graded by the engine
ASSIGNMENT = "tensors"
BIN = Path(sys.executable).parent


def beyond_the_memory_cgroup(missing: list[str]) -> list[str]:
    """What a sandbox lacks on this machine, less the memory cgroup where this grader may make
    none (an ordinary user on a cgroup v1 host, or v2 without a delegated memory controller):
    there the summary rightly names it, and memory files are refused instead
    (graders/kernel/confine.py). Every other item is a real gap, for root and users alike."""
    from graders.engine.cgroups import RunGroups

    if RunGroups().kind:
        return list(missing)
    return [item for item in missing if not item.startswith("memory cgroup:")]


def course_env() -> dict[str, str]:
    """The environment for course commands: the venv's bin first (nbgrader runs ``alembic``)."""
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def run_nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a real ``nbgrader`` command in ``course``."""
    proc = subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=course_env(), capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_course(tmp: Path) -> Path:
    course = tmp / "course"
    course.mkdir()
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    return course


def add_submissions(course: Path, files: list[Path]) -> None:
    """Turn cell files into submissions (student id = file name) of the course's release."""
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for path in files:
        cell_file = read_cell_file(path)
        nb = build_submission(release, cell_file)
        write_submission(nb, course / "submitted", cell_file.student, ASSIGNMENT, ASSIGNMENT)


def expected_scores(path: Path) -> dict[str, float]:
    """Per test cell, from the file's ``# expect <exercise>: full|zero|part=points ...`` lines."""
    expected: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# expect "):
            continue
        exercise, spec = line[len("# expect "):].split(":", 1)
        exercise, spec = exercise.strip(), spec.split()
        ex = EXERCISES[exercise]
        if spec == ["full"]:
            parts = dict(ex.points)
        elif spec == ["zero"]:
            parts = dict.fromkeys(ex.points, 0)
        else:
            parts = {k: int(v) for k, v in (item.split("=") for item in spec)}
        assert set(parts) == set(ex.points), f"{path.name}: {exercise} needs {sorted(ex.points)}"
        expected.update({f"test_{exercise}_{part}": float(p) for part, p in parts.items()})
    assert {k.rsplit("_", 1)[0] for k in expected} >= {f"test_{e}" for e in EXERCISES}, (
        f"{path.name}: every exercise needs an '# expect' line"
    )
    return expected


def expected_codes(path: Path) -> dict[str, str]:
    """Per test cell, the diagnosis code from the file's ``# expect-code <test>: <code>`` lines."""
    codes = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect-code "):
            test, code = line[len("# expect-code "):].split(":", 1)
            codes[test.strip()] = code.strip()
    return codes


@dataclass
class GradedCourse:
    path: Path

    def autograded(self, student: str):
        import nbformat

        path = self.path / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        return nbformat.read(path, as_version=4)

    def cell_codes(self, student: str) -> dict[str, str]:
        """The diagnosis code each failed test cell records (``metadata.graders.code``)."""
        out = {}
        for cell in self.autograded(student).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            code = cell.metadata.get("graders", {}).get("code")
            if grade_id.startswith("test_") and code:
                out[grade_id] = code
        return out

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.path / 'gradebook.db'}"

    def cell_scores(self, student: str) -> dict[str, float]:
        with Gradebook(self.db_url) as gb:
            nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            return {g.name: g.score for g in nb.grades if g.name.startswith("test_")}

    def max_score(self) -> float:
        with Gradebook(self.db_url) as gb:
            return gb.find_assignment(ASSIGNMENT).max_score

    def nbgrader(self, *args: str, check: bool = True):
        return run_nbgrader(self.path, *args, check=check)


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory) -> GradedCourse:
    course = make_course(tmp_path_factory.mktemp("graded"))
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    add_submissions(course, sorted(CORPUS.glob("*.py")))
    run_nbgrader(course, "autograde", ASSIGNMENT)
    return GradedCourse(course)


# --- a small course graded by the engine, for the instructor's report (test_report*.py) ----------
REPORT_CASES = [CORPUS / f"{name}.py" for name in (
    "01_reference", "07_missing_bias_ex1", "12_blank_ex2", "16_patched_torch_allclose",
    "19_torch_tensor_copy", "24_multilayer_missing_bias", "30_patched_grader_module")] + [
    MISTAKES / f"{name}.py" for name in (
        "60_activation_before_bias_ex1", "62_wrong_order_ex2", "69_clone_copy")] + [
    ROOT / "tests" / "faults" / "40_kernel_exit_ex2.py"]


def add_report_hand_ins(course: Path) -> None:
    """Three hand-ins the engine flags or notes: a renamed notebook, invalid JSON, none at all."""
    submitted = course / "submitted"
    reference = submitted / "01_reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for name in ("50_renamed_notebook", "51_invalid_json", "52_no_notebook"):
        (submitted / name / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(reference, submitted / "50_renamed_notebook" / ASSIGNMENT / "tensors (1).ipynb")
    (submitted / "51_invalid_json" / ASSIGNMENT / "tensors.ipynb").write_text('{"cells": [')
    (submitted / "52_no_notebook" / ASSIGNMENT / "notes.txt").write_text("no notebook\n")


@pytest.fixture(scope="session")
def report_course(tmp_path_factory) -> GradedCourse:
    """A dozen submissions graded by ``graders autograde`` (about 15 s)."""
    course = make_course(tmp_path_factory.mktemp("report"))
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    add_submissions(course, REPORT_CASES)
    add_report_hand_ins(course)
    proc = subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return GradedCourse(course)


# --- the demo students graded by the engine, with their feedback (test_feedback*.py) -----------
DEMO = ROOT / "demo"


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory) -> GradedCourse:
    """The four demo students (demo/*.py) and a blank exercise, graded by ``graders
    autograde``, with ``nbgrader generate_feedback`` run for all of them (about 25 s)."""
    course = make_course(tmp_path_factory.mktemp("demo"))
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    add_submissions(course, [*sorted(DEMO.glob("*.py")), CORPUS / "12_blank_ex2.py"])
    proc = subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_nbgrader(course, "generate_feedback", ASSIGNMENT)
    return GradedCourse(course)
