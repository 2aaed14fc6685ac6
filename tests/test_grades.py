"""`nbgrader export` and the score table agree with the gradebook for every student."""

import csv
import subprocess
import sys

import pytest
from conftest import ASSIGNMENT, CORPUS, ROOT

pytestmark = pytest.mark.xdist_group("stock")


def test_export_writes_one_row_per_student_with_the_cell_totals(graded_course):
    graded_course.nbgrader("export", "--to", "grades.csv")
    with open(graded_course.path / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    students = {p.stem for p in CORPUS.glob("*.py")}
    assert set(rows) == students
    for student in students:
        row = rows[student]
        assert row["assignment"] == ASSIGNMENT
        assert float(row["max_score"]) == graded_course.max_score()
        assert float(row["score"]) == sum(graded_course.cell_scores(student).values())


def test_score_table_lists_every_student(graded_course):
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "table",
         "--db", str(graded_course.path / "gradebook.db")],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["student", "score", "max"]
    by_student = {line.split()[0]: line.split()[1:3] for line in lines[2:]}
    assert by_student["01_reference"] == ["15", "15"]
    assert by_student["02_untouched"] == ["0", "15"]
    assert len(by_student) == len(list(CORPUS.glob("*.py")))


def test_score_table_without_a_gradebook_says_what_to_do(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "table", "--db", str(tmp_path / "none.db")],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "run `make grade` first" in proc.stderr
