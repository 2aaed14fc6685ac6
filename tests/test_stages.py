"""nbgrader stages of this course on their own, on small notebooks made here (as nbgrader tests
its preprocessors): each stage's promise, without a course, a kernel or a batch. The stages run
for real in every graded course of the other tests; these pin what each one does."""

from __future__ import annotations

import shutil
import sqlite3

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.api import Gradebook

from graders.preprocessors import DeduplicateCells, GuardGradebook, RedactHiddenTests
from graders.preprocessors.guard_gradebook import foreign_objects

HIDDEN = "### BEGIN HIDDEN TESTS\nassert secret_check(y) == 42\n### END HIDDEN TESTS\n"


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=0):
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked,
            "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _resources(db_url="", student="s1"):
    return {"nbgrader": {"db_url": db_url, "student": student, "assignment": "tensors",
                         "notebook": "tensors"}}


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """A gradebook with nbgrader's own schema and the assignment's answer cell (made once:
    nbgrader runs alembic to make one)."""
    db = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{db}") as gb:
        gb.add_assignment("tensors")
        gb.add_notebook("tensors", "tensors")
        gb.add_source_cell("single_layer_sum", "tensors", "tensors", cell_type="code")
    return db


@pytest.fixture
def gradebook(empty_gradebook, tmp_path):
    db = tmp_path / "gradebook.db"
    shutil.copy(empty_gradebook, db)
    return db


# ------------------------------------------------------------------ GuardGradebook
def test_guard_gradebook_drops_what_a_notebook_added_and_records_tampering(gradebook):
    db = gradebook
    assert foreign_objects(str(db)) == []
    with sqlite3.connect(db) as con:  # what a notebook run with the grader's rights could do
        con.execute("create table loot (x)")
        con.execute("create view v as select 1")
        con.execute("create trigger t after insert on grade begin "
                    "update grade set auto_score = 99; end")
    nb, resources = GuardGradebook().preprocess(new_notebook(), _resources(f"sqlite:///{db}"))
    assert foreign_objects(str(db)) == []
    [finding] = resources["graders"]["findings"]
    assert finding["kind"] == "tampering"
    assert all(name in finding["text"] for name in ("loot", "trigger t", "view v"))


def test_guard_gradebook_leaves_a_clean_gradebook_and_other_databases_alone(gradebook):
    db = gradebook
    _, resources = GuardGradebook().preprocess(new_notebook(), _resources(f"sqlite:///{db}"))
    assert "findings" not in resources.get("graders", {})
    _, resources = GuardGradebook().preprocess(new_notebook(),
                                               _resources("postgresql://h/db"))
    assert "graders" not in resources


# ------------------------------------------------------------------ DeduplicateCells
def test_deduplicate_cells_keeps_the_last_copy_and_makes_the_others_the_students():
    nb = new_notebook(cells=[
        new_code_cell("y = 1", metadata=_meta("single_layer_sum", solution=True)),
        new_code_cell("y = 2", metadata=_meta("single_layer_sum", solution=True)),  # pasted
        new_code_cell("print(y)", metadata=_meta("", solution=True)),  # an id emptied
    ])
    nb, _ = DeduplicateCells().preprocess(nb, _resources())
    with_id = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")]
    assert with_id == ["y = 2"]
    assert "nbgrader" not in nb.cells[0].metadata and "nbgrader" not in nb.cells[2].metadata


def test_deduplicate_cells_drops_ids_the_gradebook_does_not_know(gradebook):
    db = f"sqlite:///{gradebook}"
    nb = new_notebook(cells=[
        new_code_cell("y = 1", metadata=_meta("single_layer_sum", solution=True)),
        new_code_cell("z = 1", metadata=_meta("from_another_assignment", solution=True)),
    ])
    nb, _ = DeduplicateCells().preprocess(nb, _resources(db))
    assert nb.cells[0].metadata["nbgrader"]["grade_id"] == "single_layer_sum"
    assert "nbgrader" not in nb.cells[1].metadata


# ------------------------------------------------------------------ RedactHiddenTests
def _graded_notebook(printed: str):
    test = new_code_cell("assert y.shape == (1, 1)\n" + HIDDEN,
                         metadata=_meta("test_x", grade=True, locked=True, points=1))
    test.outputs = [new_output("error", ename="AssertionError", evalue="y is wrong",
                               traceback=["Traceback ...", "assert secret_check(y) == 42",
                                          "AssertionError: y is wrong"])]
    answer = new_code_cell("print(In)", metadata=_meta("single_layer_sum", solution=True))
    answer.outputs = [new_output("stream", name="stdout", text=printed)]
    answer.metadata["nbgrader"]["comment"] = "[diagnosis] x: y is wrong\n[review] cell 1: gc"
    return new_notebook(cells=[answer, test])


def test_redact_hidden_tests_removes_hidden_code_from_sources_tracebacks_and_outputs():
    nb = _graded_notebook("['assert secret_check(y) == 42']\n")
    nb, _ = RedactHiddenTests().preprocess(nb, _resources())
    text = nbformat.writes(nb)
    assert "secret_check" not in text and "BEGIN HIDDEN" not in text
    test = nb.cells[1]
    assert test.source.startswith("assert y.shape == (1, 1)")  # the visible part stays
    [error] = test.outputs
    assert error.traceback == ["AssertionError: y is wrong"]  # the message, no code
    comment = nb.cells[0].metadata["nbgrader"]["comment"]
    assert "[review]" not in comment and "y is wrong" in comment


# ------------------------------------------------------------------ CleanText
def test_clean_text_keeps_a_lone_surrogate_as_its_escape_and_notes_the_cell():
    from graders.preprocessors import CleanText

    nb = new_notebook(cells=[
        new_code_cell("y = 1  # \ud83d half an emoji", metadata=_meta("single_layer_sum")),
        new_code_cell("print('fine é')")])
    nb.metadata["graders"] = {"findings": [{"forged": True}]}  # a submission's own: dropped
    nb, _ = CleanText().preprocess(nb, _resources())
    assert nb.cells[0].source == "y = 1  # \\ud83d half an emoji"
    assert nb.cells[1].source == "print('fine é')"
    nb.cells[0].source.encode("utf-8")  # writable now
    sanitized = nb.metadata["graders"]["sanitized"]
    assert [(f["code"], f["exercise"]) for f in sanitized] == [("surrogate_text",
                                                               "single_layer_sum")]
    assert "findings" not in nb.metadata["graders"]


# ------------------------------------------------------------------ WarningsAreNotErrors
def _test_cell(*outputs):
    cell = new_code_cell("assert y.shape == (1, 1)",
                         metadata=_meta("test_single_layer_sum_shape", grade=True, points=1))
    cell.outputs = list(outputs)
    return cell


def test_warnings_only_stderr_in_a_test_cell_moves_to_stdout_with_a_note():
    from graders.preprocessors import WarningsAreNotErrors

    warning = ("/x/torch/_tensor.py:1: UserWarning: Converting a tensor that requires grad\n"
               "  return float(y)\n")
    nb = new_notebook(cells=[_test_cell(new_output("stream", name="stderr", text=warning))])
    nb, _ = WarningsAreNotErrors().preprocess(nb, _resources())
    out = nb.cells[0].outputs[0]
    assert out.name == "stdout" and out.text.endswith(warning) and "costs no points" in out.text


@pytest.mark.parametrize("text", [
    "Traceback (most recent call last):\n  ...\nAssertionError\n",
    "my own message: UserWarning: looks like one\n",  # not as Python prints a warning
])
def test_other_stderr_in_a_test_cell_keeps_nbgraders_rule(text):
    from graders.preprocessors import WarningsAreNotErrors

    nb = new_notebook(cells=[_test_cell(new_output("stream", name="stderr", text=text))])
    nb, _ = WarningsAreNotErrors().preprocess(nb, _resources())
    assert nb.cells[0].outputs[0].name == "stderr" and nb.cells[0].outputs[0].text == text


def test_warnings_in_a_students_own_cell_are_left_alone():
    from graders.preprocessors import WarningsAreNotErrors

    cell = new_code_cell("y = f()", metadata=_meta("single_layer_sum", solution=True))
    warning = "/x/a.py:3: UserWarning: careful\n"
    cell.outputs = [new_output("stream", name="stderr", text=warning)]
    nb, _ = WarningsAreNotErrors().preprocess(new_notebook(cells=[cell]), _resources())
    assert nb.cells[0].outputs[0].name == "stderr"


# ------------------------------------------------------------------ ReviewCode
def test_review_code_records_what_a_students_cell_reaches_for_and_skips_the_tests():
    from graders.findings import Finding
    from graders.preprocessors import ReviewCode

    nb = new_notebook(cells=[
        new_code_cell("import ctypes\ny = 1", metadata=_meta("single_layer_sum",
                                                             solution=True)),
        new_code_cell("import ctypes  # the grader's own test cell",
                      metadata=_meta("test_single_layer_sum_shape", grade=True, points=1)),
        new_code_cell("z = torch.sum(x)")])
    nb, resources = ReviewCode().preprocess(nb, _resources())
    findings = [Finding.from_json(f) for f in resources["graders"]["findings"]]
    assert [(f.kind, f.where["cell"], f.where["line"]) for f in findings] == [("review", 0, 1)]
    assert nb.cells[0].metadata["graders"]["review"][0]["line"] == 1
    assert "graders" not in nb.cells[1].metadata and "graders" not in nb.cells[2].metadata
    assert resources["graders"]["review"] == [findings[0].text]
