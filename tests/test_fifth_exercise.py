"""A fifth exercise, added to the source notebook and to the table alone, is graded right.

This is what docs/adding-an-exercise.md tells an instructor to do, done on a scratch copy of the
course: the new cells go into the source notebook (with nbgrader's cell metadata, as the
Create Assignment toolbar writes it), the new entry into a course file that the course's
``nbgrader_config.py`` registers (``graders.checks.exercises.register_file``), and nothing in the
``graders`` package changes. ``graders reference`` records the lesson's values, ``nbgrader
generate_assignment`` makes the release, and a right, a wrong (a catalogued mistake) and a blank
answer are graded by ``graders autograde`` and by stock ``nbgrader autograde``, cell by cell.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import (
    ASSIGNMENT,
    CORPUS,
    GradedCourse,
    add_submissions,
    course_env,
    make_course,
    run_nbgrader,
)

pytestmark = pytest.mark.xdist_group("fifth")

#: The course's own entry: plain data and plain Python, as graders/checks/exercises.py's.
ENTRY = '''
from graders.checks.exercises import Exercise, Mistake, Part


def _row_means(i):
    return {"row_means": [[sum(row) / len(row)] for row in i["x"]]}


EXERCISES = (
    Exercise(
        "row_means", 5, "given_row_means_data",
        inputs={"x": (2, 3)},
        outputs={"row_means": (2, 1)},
        parts={"shape": Part(1, "shape", ("row_means",), visible=True),
               "value": Part(2, "value", ("row_means",))},
        reference=_row_means,
        published={"row_means": [0.5287, -0.1061]},
        hints={"row_means": "Hint: row_means = x.mean(dim=1, keepdim=True): one mean per row."},
        shape_hints={"row_means": "Hint: one mean per row of x (2, 3) gives (2, 1); keep the "
                                  "dimension with keepdim=True."},
        mistakes=(
            Mistake("summed", "row_means equals x.sum(dim=1, keepdim=True): the rows were added "
                    "up but not divided by their length; use x.mean(dim=1, keepdim=True).",
                    lambda i: {"row_means": [[sum(row)] for row in i["x"]]}),
        ),
    ),
)
'''

CONFIG = '''
# This course's own exercises (docs/adding-an-exercise.md): every command that reads this file
# grades them, and the lesson's values of all exercises are in the course's reference file.
from graders.checks.exercises import register_file  # noqa: E402

register_file(Path(__file__).with_name("course_exercises.py"))
c.VerifyAnswers.reference_file = str(Path(__file__).with_name("reference_values.json"))
'''

HEADING = """## Exercise 5: the mean of each row

`x` holds two rows of three numbers, shape `(2, 3)`. Compute `row_means`, the mean of each row,
with `x.mean(...)`: keep one column, so that `row_means` has shape `(2, 1)`."""

DATA = """# Given: data for exercise 5 (do not change it)
torch.manual_seed(7)  # the same random numbers every time
x = torch.randn((2, 3))"""

SOLUTION = """### BEGIN SOLUTION
row_means = x.mean(dim=1, keepdim=True)
### END SOLUTION"""

TEST_SHAPE = '''# Test row_means: row_means is a tensor of shape (2, 1), computed from the inputs
assert isinstance(row_means, torch.Tensor), "row_means should be a torch.Tensor."
assert tuple(row_means.shape) == (2, 1), (
    f"row_means should have shape (2, 1), but it has shape {tuple(row_means.shape)}. "
    "Hint: one mean per row of x (2, 3) gives (2, 1); keep the dimension with keepdim=True.")
print("row_means is a tensor of shape (2, 1).")
### BEGIN HIDDEN TESTS
from graders.kernel import hidden_test
hidden_test("row_means", "shape")
### END HIDDEN TESTS'''

TEST_VALUE = '''# Test row_means: row_means has the right values, on the lesson's and on new inputs
assert bool((row_means.abs() <= x.abs().max()).all()), "a mean lies within its row's range."
print("row_means lies within the range of x.")
### BEGIN HIDDEN TESTS
from graders.kernel import hidden_test
hidden_test("row_means", "value")
### END HIDDEN TESTS'''

ANSWERS = {
    "right": "row_means = x.mean(dim=1, keepdim=True)",
    "wrong": "row_means = x.sum(dim=1, keepdim=True)",  # the catalogued mistake
    "blank": None,  # the release's `raise NotImplementedError()`
}


def _meta(grade_id: str, *, solution=False, grade=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def add_fifth_exercise(course: Path) -> None:
    """The instructor's edits: a course file with the entry, two lines in nbgrader_config.py,
    five cells in the source notebook (before its closing words)."""
    (course / "course_exercises.py").write_text(ENTRY, encoding="utf-8")
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(CONFIG)
    source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(source, as_version=4)
    new = nbformat.v4
    cells = [new.new_markdown_cell(HEADING),
             new.new_code_cell(DATA, metadata=_meta("given_row_means_data")),
             new.new_code_cell(SOLUTION, metadata=_meta("row_means", solution=True)),
             new.new_code_cell(TEST_SHAPE, metadata=_meta("test_row_means_shape", grade=True,
                                                          points=1)),
             new.new_code_cell(TEST_VALUE, metadata=_meta("test_row_means_value", grade=True,
                                                          points=2))]
    nb.cells[-1:-1] = cells  # before "Well done"
    nbformat.write(nb, source)


def _python(course: Path, code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=course, env=course_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def fifth(tmp_path_factory):
    """One course with the fifth exercise, generated, with three students; then a copy of it for
    each grader."""
    course = make_course(tmp_path_factory.mktemp("fifth"))
    add_fifth_exercise(course)
    proc = subprocess.run([sys.executable, "-m", "graders", "reference",
                           f"--source=source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                           "--output=reference_values.json"],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    base = (CORPUS / "01_reference.py").read_text(encoding="utf-8")
    files = []
    for student, answer in ANSWERS.items():
        path = course.parent / f"{student}.py"
        path.write_text(base + (f"# %% row_means\n{answer}\n" if answer else ""),
                        encoding="utf-8")
        files.append(path)
    add_submissions(course, files)
    stock = course.parent / "stock"
    shutil.copytree(course, stock, symlinks=True)
    engine = subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT],
                            cwd=course, env=course_env(), capture_output=True, text=True,
                            timeout=600)
    assert engine.returncode == 0, engine.stdout + engine.stderr
    run_nbgrader(stock, "autograde", ASSIGNMENT)
    return {"course": course, "graders": GradedCourse(course), "nbgrader": GradedCourse(stock)}


def test_the_course_alone_registers_the_fifth_exercise(fifth):
    """The package is untouched: only the course's own process sees the entry, and the
    course's reference file holds its lesson values; the notebook's text agrees with it."""
    from graders.checks.exercises import EXERCISES

    assert "row_means" not in EXERCISES  # this process never read the course's configuration
    values = json.loads((fifth["course"] / "reference_values.json").read_text())
    assert values["row_means"]["inputs"]["x"][0][0] == pytest.approx(-0.1468, abs=1e-4)
    assert [round(r[0], 4) for r in values["row_means"]["row_means"]] == [0.5287, -0.1061]
    out = _python(fifth["course"], (
        "import nbformat\n"
        "from graders.checks.exercises import EXERCISES, load_course\n"
        "from graders.reference import drift\n"
        "load_course('.')\n"
        f"nb = nbformat.read('source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb', as_version=4)\n"
        "print(list(EXERCISES), drift(nb))\n"))
    assert out.strip() == ("['single_layer_sum', 'single_layer_mm', 'multilayer', "
                           "'numpy_bridge', 'row_means'] []")
    shipped = _python(fifth["course"], (
        "from pathlib import Path\n"
        "from graders.gradescope.build import _course_files\n"
        "print(_course_files(Path('.').resolve()))\n"))  # next to the course's configuration
    assert shipped.strip() == "['course_exercises.py', 'reference_values.json']"


@pytest.mark.parametrize("grader", ["graders", "nbgrader"])
def test_right_wrong_and_blank_answers_get_their_grades(fifth, grader):
    graded: GradedCourse = fifth[grader]
    assert graded.max_score() == 18  # the lesson's 15 and the fifth exercise's 3
    scores = {student: graded.cell_scores(student) for student in ANSWERS}
    for student in ANSWERS:  # exercises 1 to 4 are right for everyone
        assert sum(v for k, v in scores[student].items() if "row_means" not in k) == 15, student
    fifth_scores = {student: {k: v for k, v in s.items() if "row_means" in k}
                    for student, s in scores.items()}
    assert fifth_scores == {
        "right": {"test_row_means_shape": 1.0, "test_row_means_value": 2.0},
        "wrong": {"test_row_means_shape": 1.0, "test_row_means_value": 0.0},
        "blank": {"test_row_means_shape": 0.0, "test_row_means_value": 0.0},
    }
    assert graded.cell_codes("wrong") == {"test_row_means_value": "row_means.summed"}
    assert graded.cell_codes("blank") == {"test_row_means_shape": "row_means.not_done",
                                          "test_row_means_value": "row_means.not_done"}
    assert graded.cell_codes("right") == {}
    message = next(c.metadata["graders"]["message"] for c in graded.autograded("wrong").cells
                   if c.metadata.get("nbgrader", {}).get("grade_id") == "test_row_means_value")
    assert "the rows were added up but not divided by their length" in message
