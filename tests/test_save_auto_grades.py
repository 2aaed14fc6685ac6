"""SaveAutoGradesAtOnce: nbgrader's SaveAutoGrades scores, written in one commit per notebook,
and none of them when the stage fails half-way."""

from __future__ import annotations

import nbformat
import pytest
from conftest import ASSIGNMENT, make_course, run_nbgrader
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy import event
from sqlalchemy.engine import Engine

from graders.preprocessors import SaveAutoGradesAtOnce

STUDENT = "s1"
# nbgrader's update_or_create_submission trips SQLAlchemy's autoflush warning (benign; the engine
# silences it the same way).
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("save"))
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    return course


def _release(course):
    """The release notebook: its test cells have no error output, so nbgrader scores them as
    passed."""
    return nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def _commits(work) -> int:
    """How many transactions ``work()`` committed."""
    commits = []

    def count(conn):
        commits.append(conn)

    event.listen(Engine, "commit", count)
    try:
        work()
    finally:
        event.remove(Engine, "commit", count)
    return len(commits)


def _save(course, stage_class, student: str, nb) -> int:
    """Run the stage on ``nb`` as ``student``'s; returns its commits beyond those of opening
    and closing a Gradebook (nbgrader checks the course on each open)."""
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(ASSIGNMENT, student)
    resources = {"nbgrader": {"notebook": ASSIGNMENT, "assignment": ASSIGNMENT,
                              "student": student, "db_url": db_url}}
    opening = _commits(lambda: Gradebook(db_url).close())
    return _commits(lambda: stage_class()(nb, resources)) - opening


def _scores(course, student: str) -> dict:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades}


def test_the_same_scores_as_nbgrader_in_one_commit(course):
    stock = _save(course, SaveAutoGrades, "stock", _release(course))
    ours = _save(course, SaveAutoGradesAtOnce, STUDENT, _release(course))
    assert ours == 1 and stock > 10  # nbgrader's: one per grade and comment cell
    assert _scores(course, STUDENT) == _scores(course, "stock")
    assert any(score for score, _ in _scores(course, STUDENT).values())


def test_a_failure_half_way_saves_none_of_the_notebooks_scores(course):
    nb = _release(course)
    grade_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    grade_cells[-1].metadata.nbgrader.grade_id = "not_in_the_gradebook"
    with pytest.raises(MissingEntry):
        _save(course, SaveAutoGradesAtOnce, "half", nb)
    assert all(score is None for score, _ in _scores(course, "half").values())
