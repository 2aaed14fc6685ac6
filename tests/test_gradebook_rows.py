"""The gradebook's rows read and written at once (graders.preprocessors.gradebook_rows and the
``...AtOnce`` stages) give what nbgrader 0.9.6's own ORM lookups and stages give, on the same
gradebook and the same notebooks: the same rows in the same order, the same notebook, the same
``MissingEntry`` cases; and a release generated again is seen at once (``graders serve`` keeps
its process across ``generate_assignment``)."""

from __future__ import annotations

import copy
import datetime
import sqlite3

import nbformat
import pytest
from conftest import ASSIGNMENT, make_course, run_nbgrader
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, OverwriteCells, OverwriteKernelspec
from traitlets.config import Config

from graders.preprocessors.assign_late_penalties_at_once import AssignLatePenaltiesAtOnce
from graders.preprocessors.gradebook_rows import (
    enter_submission,
    notebook_comments,
    release_cells,
    submission_rows,
    submission_score,
)
from graders.preprocessors.overwrite_cells_at_once import OverwriteCellsAtOnce
from graders.preprocessors.overwrite_kernelspec_at_once import OverwriteKernelspecAtOnce

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("rows"))
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    return course


def _url(course) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def _release(course):
    return nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def _submission_table(course, student: str) -> dict:
    """The student's rows, ids aside, with the grade and comment rows in table order."""
    db = sqlite3.connect(course / "gradebook.db")
    try:
        sub = db.execute("SELECT id, timestamp, extension FROM submitted_assignment "
                         "WHERE student_id = ?", (student,)).fetchone()
        notebooks = db.execute("SELECT id, notebook_id, flagged, late_submission_penalty FROM "
                               "submitted_notebook WHERE assignment_id = ? ORDER BY rowid",
                               (sub[0],)).fetchall()
        out = {"student": db.execute("SELECT * FROM student WHERE id = ?",
                                     (student,)).fetchall(),
               "submission": sub[1:], "notebooks": [n[1:] for n in notebooks]}
        for nb_id, *_ in notebooks:
            out[nb_id] = [db.execute(f"SELECT {cols} FROM {table} WHERE notebook_id = ? "
                                     "ORDER BY rowid", (nb_id,)).fetchall()
                          for table, cols in (("grade", "cell_id, auto_score, manual_score, "
                                                        "extra_credit, needs_manual_grade"),
                                              ("comment", "cell_id, auto_comment, "
                                                          "manual_comment"))]
        return {k if k in ("student", "submission", "notebooks") else "rows": v
                for k, v in out.items()}
    finally:
        db.close()


def test_release_cells_are_the_orms_in_its_order(course):
    with Gradebook(_url(course)) as gb:
        ours = release_cells(gb, ASSIGNMENT, ASSIGNMENT)
        theirs = gb.find_notebook(ASSIGNMENT, ASSIGNMENT)
        assert [(c.name, c.cell_type, c.locked, c.source, c.checksum)
                for c in ours.source_cells] == [
            (c.name, c.cell_type, c.locked, c.source, c.checksum) for c in theirs.source_cells]
        for kind in ("grade_cells", "task_cells"):
            assert [(c.id, c.name, c.max_score, c.cell_type) for c in getattr(ours, kind)] == [
                (c.id, c.name, c.max_score, c.cell_type) for c in getattr(theirs, kind)]
        assert [(c.id, c.name) for c in ours.solution_cells] == [
            (c.id, c.name) for c in theirs.solution_cells]
        assert ours.grade_cells and ours.solution_cells
        grade = ours.grade_cells[0].name
        assert ours.find_graded_cell(grade, ASSIGNMENT, ASSIGNMENT).max_score == \
            gb.find_graded_cell(grade, ASSIGNMENT, ASSIGNMENT).max_score
        for lookup in ("find_source_cell", "find_graded_cell"):
            with pytest.raises(MissingEntry) as ours_err:
                getattr(ours, lookup)("no_such_cell", ASSIGNMENT, ASSIGNMENT)
            with pytest.raises(MissingEntry) as theirs_err:
                getattr(gb, lookup)("no_such_cell", ASSIGNMENT, ASSIGNMENT)
            assert str(ours_err.value) == str(theirs_err.value)
        missing = release_cells(gb, "other", ASSIGNMENT)
        with pytest.raises(MissingEntry):
            missing.find_notebook("other", ASSIGNMENT)
        with pytest.raises(MissingEntry):
            missing.find_source_cell(grade, "other", ASSIGNMENT)


def test_a_submission_is_entered_with_nbgraders_rows(course):
    when = "2026-01-02 03:04:05.678901 UTC"
    with Gradebook(_url(course)) as gb:
        gb.update_or_create_student("stock")
        gb.update_or_create_submission(ASSIGNMENT, "stock", timestamp=when)
        enter_submission(gb, ASSIGNMENT, "ours", when)
    stock, ours = _submission_table(course, "stock"), _submission_table(course, "ours")
    assert stock["student"] == [("stock", None, None, None, None)]
    assert ours["student"] == [("ours", None, None, None, None)]
    assert {k: v for k, v in ours.items() if k != "student"} == {
        k: v for k, v in stock.items() if k != "student"}
    assert ours["rows"][0] and ours["rows"][1]  # grade and comment rows, in nbgrader's order
    # entered again (a resubmission): the timestamp changes, nothing is added
    later = "2026-02-01 00:00:00 UTC"
    with Gradebook(_url(course)) as gb:
        gb.update_or_create_student("stock")
        gb.update_or_create_submission(ASSIGNMENT, "stock", timestamp=later)
        enter_submission(gb, ASSIGNMENT, "ours", later)
        enter_submission(gb, ASSIGNMENT, "ours")  # no timestamp: left as it is
    again = _submission_table(course, "ours")
    assert again == {**ours, "submission": _submission_table(course, "stock")["submission"]}
    assert again["submission"] != ours["submission"]
    with Gradebook(_url(course)) as gb, pytest.raises(MissingEntry):
        enter_submission(gb, "no_such_assignment", "ours")


def test_the_submissions_rows_and_score_are_the_orms(course):
    with Gradebook(_url(course)) as gb:
        enter_submission(gb, ASSIGNMENT, "scored")
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "scored")
        for grade in notebook.grades:
            grade.auto_score = 1.0
        notebook.grades[0].manual_score = 0.5  # the manual score wins, extra credit is added
        notebook.grades[1].extra_credit = 0.25
        gb.db.commit()
        rows = submission_rows(gb, ASSIGNMENT, ASSIGNMENT, "scored")
        for grade in gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "scored").grades:
            assert rows.grade(grade.name, ASSIGNMENT, ASSIGNMENT, "scored")[0] == grade.id
        notebook_id, comments = notebook_comments(gb, ASSIGNMENT, ASSIGNMENT, "scored")
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "scored")
        assert notebook_id == notebook.id
        assert [(c.id, c.name, c.auto_comment) for c in comments] == [
            (c.id, c.name, c.auto_comment) for c in notebook.comments]
        submission = gb.find_submission(ASSIGNMENT, "scored")
        assert submission_score(gb, ASSIGNMENT, "scored") == (submission.score,
                                                              submission.max_score)
        assert submission.score > 0
        with pytest.raises(MissingEntry):
            submission_score(gb, ASSIGNMENT, "nobody")
        with pytest.raises(MissingEntry):
            rows.grade("no_such_cell", ASSIGNMENT, ASSIGNMENT, "scored")


def test_a_submissions_rows_are_looked_up_not_scanned_for(course):
    """nbgrader's grade and comment tables have no index on notebook_id: every statement the
    helpers run for a submission must reach its rows through an index, never scan the whole
    table (a batch slowed down as its gradebook grew: 16 ms a lookup at 2,100 submissions)."""
    with Gradebook(_url(course)) as gb:
        enter_submission(gb, ASSIGNMENT, "planned")
        gb.db.commit()
        statements: list[str] = []
        raw = gb.db.connection().connection.driver_connection
        raw.set_trace_callback(statements.append)
        try:
            submission_rows(gb, ASSIGNMENT, ASSIGNMENT, "planned")
            notebook_comments(gb, ASSIGNMENT, ASSIGNMENT, "planned")
            submission_score(gb, ASSIGNMENT, "planned")
        finally:
            raw.set_trace_callback(None)
    db = sqlite3.connect(course / "gradebook.db")
    try:
        selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
        assert len(selects) >= 4
        scans = [(sql, step[3]) for sql in selects
                 for step in db.execute("EXPLAIN QUERY PLAN " + sql)
                 if step[3].split()[:2] in (["SCAN", "grade"], ["SCAN", "comment"])]
    finally:
        db.close()
    assert not scans


def _tampered(course):
    """A submission whose test cells were edited, given other points, one deleted and the
    kernelspec changed: OverwriteCells puts them back."""
    nb = _release(course)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata.nbgrader.get("solution")]
    tests[0].source = "assert True  # edited"
    tests[1].metadata.nbgrader["points"] = 100
    tests[1].cell_type = "markdown"
    nb.cells.remove(tests[2])
    nb.metadata["kernelspec"] = {"name": "other", "display_name": "Other", "language": "x"}
    return nb


def _resources(course, student="s1"):
    return {"nbgrader": {"notebook": ASSIGNMENT, "assignment": ASSIGNMENT, "student": student,
                         "db_url": _url(course)}}


def _without_ids(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.pop("id", None)  # nbformat makes a random one for a cell put back
    return nb


@pytest.mark.parametrize("stock, ours", [(OverwriteCells, OverwriteCellsAtOnce),
                                         (OverwriteKernelspec, OverwriteKernelspecAtOnce)])
def test_the_at_once_stages_make_the_same_notebook(course, stock, ours):
    config = Config()
    config.OverwriteCells.add_missing_cells = True
    before = _tampered(course)
    theirs, _ = stock(config=config)(copy.deepcopy(before), _resources(course))
    mine, _ = ours(config=config)(copy.deepcopy(before), _resources(course))
    assert _without_ids(mine) == _without_ids(theirs)
    assert _without_ids(mine) != _without_ids(before)  # the stage did change something
    for stage in (stock, ours):
        with pytest.raises(MissingEntry):
            stage(config=config)(copy.deepcopy(before), {"nbgrader": {
                **_resources(course)["nbgrader"], "notebook": "not_in_the_release"}})


def _penalty(course, student: str):
    with Gradebook(_url(course)) as gb:
        return gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).late_submission_penalty


@pytest.mark.parametrize("due, penalty", [
    (None, None), (datetime.datetime(2030, 1, 1), None), (datetime.datetime(2020, 1, 1), 0.0)])
def test_late_penalties_are_nbgraders(course, due, penalty):
    config = Config()
    config.LateSubmissionPlugin.penalty_method = "zero"
    with Gradebook(_url(course)) as gb:
        gb.find_assignment(ASSIGNMENT).duedate = due
        gb.db.commit()
        for student in ("late_stock", "late_ours"):
            enter_submission(gb, ASSIGNMENT, student, "2025-06-01 12:00:00 UTC")
            gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)\
                .late_submission_penalty = 3.0  # an earlier grading's, to be reset or replaced
        gb.db.commit()
    AssignLatePenalties(config=config)(_release(course), _resources(course, "late_stock"))
    AssignLatePenaltiesAtOnce(config=config)(_release(course), _resources(course, "late_ours"))
    assert _penalty(course, "late_ours") == _penalty(course, "late_stock") == penalty


def test_a_release_generated_again_is_read_afresh(course):
    """graders serve grades in one process across `nbgrader generate_assignment`: the release's
    cells are read from the gradebook for each notebook, never kept from an earlier one."""
    with Gradebook(_url(course)) as gb:
        cell = release_cells(gb, ASSIGNMENT, ASSIGNMENT).source_cells[0]
        gb.update_or_create_source_cell(cell.name, ASSIGNMENT, ASSIGNMENT,
                                        checksum="changed", source="# changed")
        try:
            again = release_cells(gb, ASSIGNMENT, ASSIGNMENT).find_source_cell(
                cell.name, ASSIGNMENT, ASSIGNMENT)
            assert (again.checksum, again.source) == ("changed", "# changed")
        finally:
            gb.update_or_create_source_cell(cell.name, ASSIGNMENT, ASSIGNMENT,
                                            checksum=cell.checksum, source=cell.source)
