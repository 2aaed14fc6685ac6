"""Gradebook rows: what nbgrader's stages look up cell by cell, read in a few SQL statements.

nbgrader's stages ask the gradebook one cell at a time through its ORM (``find_source_cell``,
``find_graded_cell``, ``find_grade``, ``find_comment``): about 1 ms of SQLAlchemy each, some 30
lookups a notebook. The same rows come here from one statement per table, as plain read-only
records, through the session of a ``Gradebook`` (so the engine's cached connection is used when
there is one, and a plain ``nbgrader autograde`` works the same):

* :func:`release_cells`: the release's cells of one notebook (the source cells, and which are
  grade, solution and task cells), read afresh each time a stage asks, so an assignment generated
  again while ``graders serve`` keeps running is seen at once; it answers the lookups
  ``OverwriteCells`` makes (:class:`ReleaseCells` has its ``find_source_cell``,
  ``find_graded_cell`` and ``find_notebook``);
* :func:`submission_rows`: a submitted notebook's grade and comment rows, by cell name.

Each query mirrors the nbgrader 0.9.6 ``Gradebook`` method named next to it (check them on an
nbgrader upgrade): the same rows, in the order the ORM's relationship loads them (a scan of the
table, in the order the rows were written), and the same ``MissingEntry`` messages.

Leans on nbgrader's ``Gradebook`` (its session and models) and SQLAlchemy. Written by hand because
nbgrader's API has no bulk lookups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbgrader import api
from nbgrader.api import MissingEntry
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound


@dataclass(frozen=True)
class SourceCell:
    """A row of ``source_cell`` (nbgrader's ``SourceCell``), as the stages read it."""

    name: str
    cell_type: str
    locked: bool
    source: str | None
    checksum: str | None


@dataclass(frozen=True)
class GradedCell:
    """A row of ``base_cell`` with its ``grade_cells``, ``solution_cells`` or ``task_cells`` row
    (``GradeCell``, ``SolutionCell``, ``TaskCell``; a solution cell has no score)."""

    id: str
    name: str
    max_score: float | None = None
    cell_type: str | None = None


@dataclass
class ReleaseCells:
    """One notebook of the release as the gradebook holds it (``Notebook`` and its cells)."""

    assignment: str
    notebook: str
    found: bool = True
    source_cells: list[SourceCell] = field(default_factory=list)
    grade_cells: list[GradedCell] = field(default_factory=list)
    solution_cells: list[GradedCell] = field(default_factory=list)
    task_cells: list[GradedCell] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._source = {c.name: c for c in self.source_cells}
        self._grade = {c.name: c for c in self.grade_cells}
        self._task = {c.name: c for c in self.task_cells}

    # The Gradebook methods OverwriteCells calls (nbgrader 0.9.6), for this notebook only.
    def find_notebook(self, notebook: str, assignment: str) -> ReleaseCells:
        if not self.found or (notebook, assignment) != (self.notebook, self.assignment):
            raise MissingEntry(f"No such notebook: {assignment}/{notebook}")
        return self

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> SourceCell:
        cell = self._source.get(name) if (notebook, assignment) == (
            self.notebook, self.assignment) else None
        if cell is None:
            raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}")
        return cell

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> GradedCell:
        mine = (notebook, assignment) == (self.notebook, self.assignment)
        cell = (self._grade.get(name) or self._task.get(name)) if mine else None
        if cell is None:
            raise MissingEntry(f"No such grade cell: {assignment}/{notebook}/{name}")
        return cell


def _notebook_id(conn, notebook: str, assignment: str):
    row = conn.exec_driver_sql(
        "SELECT notebook.id FROM notebook JOIN assignment ON assignment.id = "
        "notebook.assignment_id WHERE notebook.name = ? AND assignment.name = ?",
        (notebook, assignment)).first()
    return row[0] if row else None


def release_cells(gb, notebook: str, assignment: str) -> ReleaseCells:
    """The release's cells of ``notebook`` (mirrors ``Gradebook.find_notebook`` and the
    ``source_cells`` and ``_base_cells`` it loads, whose ``grade_cells``, ``solution_cells`` and
    ``task_cells`` keep the order of ``base_cell``'s rows)."""
    conn = gb.db.connection()
    nb_id = _notebook_id(conn, notebook, assignment)
    if nb_id is None:
        return ReleaseCells(assignment, notebook, found=False)
    return _cells(conn, nb_id, assignment, notebook)


def _cells(conn, nb_id: str, assignment: str, notebook: str) -> ReleaseCells:
    source = [SourceCell(name, cell_type, bool(locked), text, checksum)
              for name, cell_type, locked, text, checksum in conn.exec_driver_sql(
                  "SELECT name, cell_type, locked, source, checksum FROM source_cell "
                  "WHERE ? = source_cell.notebook_id", (nb_id,))]
    base = conn.exec_driver_sql("SELECT id, name, type FROM base_cell "
                                "WHERE ? = base_cell.notebook_id", (nb_id,)).all()
    scores = {}
    for table in ("grade_cells", "task_cells"):
        scores[table] = {row_id: (float(score), cell_type)
                         for row_id, score, cell_type in conn.exec_driver_sql(
                             f"SELECT {table}.id, {table}.max_score, {table}.cell_type FROM "
                             f"{table} JOIN base_cell ON base_cell.id = {table}.id "
                             f"WHERE base_cell.notebook_id = ?", (nb_id,))}
    kinds = {"GradeCell": [], "SolutionCell": [], "TaskCell": []}
    for row_id, name, kind in base:
        table = {"GradeCell": "grade_cells", "TaskCell": "task_cells"}.get(kind)
        if kind in kinds:
            kinds[kind].append(GradedCell(row_id, name, *scores[table][row_id]) if table
                               else GradedCell(row_id, name))
    return ReleaseCells(assignment, notebook, True, source, kinds["GradeCell"],
                        kinds["SolutionCell"], kinds["TaskCell"])


@dataclass
class SubmissionRows:
    """A submitted notebook's grade and comment rows (``Grade``, ``Comment``), by cell name and
    the cell's kind (``GradeCell``, ``TaskCell``, ``SolutionCell``)."""

    grades: dict[tuple[str, str], tuple] = field(default_factory=dict)
    comments: dict[tuple[str, str], tuple] = field(default_factory=dict)

    def grade(self, name: str, notebook: str, assignment: str, student: str) -> tuple:
        """(id, manual_score) of the grade; mirrors ``Gradebook.find_grade``."""
        row = self.grades.get(("GradeCell", name)) or self.grades.get(("TaskCell", name))
        if row is None:
            raise MissingEntry(f"No such grade: {assignment}/{notebook}/{name} for {student}")
        return row

    def comment(self, name: str, notebook: str, assignment: str, student: str) -> tuple:
        """(id,) of the comment; mirrors ``Gradebook.find_comment``."""
        row = self.comments.get(("SolutionCell", name)) or self.comments.get(("TaskCell", name))
        if row is None:
            raise MissingEntry(f"No such taskcomment: {assignment}/{notebook}/{name} for "
                               f"{student}")
        return row


#: A submission's rows of ``grade`` or ``comment`` ({t}) with their cells. nbgrader's schema
#: has no index on ``{t}.notebook_id``, only the unique (cell_id, notebook_id): found through
#: the release's cells (a few dozen rows), each row is one index lookup, where joining on
#: ``notebook_id`` scanned the whole table (23,100 grades at 2,100 submissions: 16 ms a lookup
#: there against 0.6 ms, and a batch slowed down as its gradebook grew). ``CROSS JOIN`` is
#: SQLite's way to fix the order of the loops. Parameters: assignment, student.
_SUBMISSION = (
    "FROM assignment CROSS JOIN submitted_assignment CROSS JOIN notebook "
    "CROSS JOIN submitted_notebook CROSS JOIN base_cell CROSS JOIN {t} "
    "WHERE assignment.name = ? AND submitted_assignment.assignment_id = assignment.id "
    "AND submitted_assignment.student_id = ? AND notebook.assignment_id = assignment.id "
    "AND submitted_notebook.notebook_id = notebook.id "
    "AND submitted_notebook.assignment_id = submitted_assignment.id "
    "AND base_cell.notebook_id = notebook.id AND {t}.cell_id = base_cell.id "
    "AND {t}.notebook_id = submitted_notebook.id")
#: The same rows of one submitted notebook. Parameters: assignment, student, notebook.
_SUBMITTED = _SUBMISSION + " AND notebook.name = ?"


def submission_rows(gb, notebook: str, assignment: str, student: str) -> SubmissionRows:
    """The grade and comment rows of one submitted notebook."""
    conn = gb.db.connection()
    key = (assignment, student, notebook)
    grades = {(kind, name): (row_id, manual) for row_id, kind, name, manual in conn.exec_driver_sql(
        "SELECT grade.id, base_cell.type, base_cell.name, grade.manual_score "
        + _SUBMITTED.format(t="grade"), key)}
    comments = {(kind, name): (row_id,) for row_id, kind, name in conn.exec_driver_sql(
        "SELECT comment.id, base_cell.type, base_cell.name "
        + _SUBMITTED.format(t="comment"), key)}
    return SubmissionRows(grades, comments)


def enter_submission(gb, assignment: str, student: str, timestamp=None) -> None:
    """The student and their submission in the gradebook, in one transaction: mirrors
    ``gb.update_or_create_student(student)`` then ``gb.update_or_create_submission(assignment,
    student[, timestamp=timestamp])`` of nbgrader 0.9.6, whose ``add_submission`` writes the
    submission's rows (a submitted notebook per notebook of the assignment, in its
    ``notebooks`` order, with a grade row per grade cell, a comment row per solution cell and a
    comment and a grade row per task cell) through the ORM; here with one ``INSERT`` statement
    per table, the same rows in the same order, the ids made by nbgrader's ``new_uuid``."""
    if gb.authenticator is not None:  # nbgrader's own calls tell the authenticator
        gb.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        gb.update_or_create_submission(assignment, student, **kwargs)
        return
    conn = gb.db.connection()
    when = {"timestamp": api.utils.parse_utc(timestamp)} if timestamp else {}
    if conn.exec_driver_sql("SELECT id FROM student WHERE student.id = ?",
                            (student,)).first() is None:
        conn.execute(api.Student.__table__.insert(), [{"id": student}])
    found = conn.exec_driver_sql(
        "SELECT submitted_assignment.id FROM submitted_assignment JOIN assignment ON "
        "assignment.id = submitted_assignment.assignment_id WHERE assignment.name = ? AND "
        "submitted_assignment.student_id = ?", (assignment, student)).first()
    if found is not None:
        if when:
            table = api.SubmittedAssignment.__table__
            conn.execute(table.update().where(table.c.id == found[0]).values(**when))
        gb.db.commit()
        return
    row = conn.exec_driver_sql("SELECT id FROM assignment WHERE assignment.name = ?",
                               (assignment,)).first()
    if row is None:
        raise MissingEntry(f"No such assignment: {assignment}")
    submission = {"id": api.new_uuid(), "assignment_id": row[0], "student_id": student, **when}
    notebooks, grades, comments = [], [], []
    for nb_id, name in conn.exec_driver_sql(
            "SELECT id, name FROM notebook WHERE ? = notebook.assignment_id ORDER BY "
            "notebook.name", (row[0],)).all():
        cells = _cells(conn, nb_id, assignment, name)
        notebook = {"id": api.new_uuid(), "notebook_id": nb_id, "assignment_id":
                    submission["id"]}
        notebooks.append(notebook)
        for cell in cells.grade_cells:
            grades.append({"id": api.new_uuid(), "cell_id": cell.id, "notebook_id": notebook["id"]})
        for cell in cells.solution_cells:
            comments.append({"id": api.new_uuid(), "cell_id": cell.id,
                             "notebook_id": notebook["id"]})
        for cell in cells.task_cells:
            comments.append({"id": api.new_uuid(), "cell_id": cell.id,
                             "notebook_id": notebook["id"]})
            grades.append({"id": api.new_uuid(), "cell_id": cell.id, "notebook_id": notebook["id"]})
    conn.execute(api.SubmittedAssignment.__table__.insert(), [submission])
    for table, rows in ((api.SubmittedNotebook, notebooks), (api.Grade, grades),
                        (api.Comment, comments)):
        if rows:
            conn.execute(table.__table__.insert(), rows)
    gb.db.commit()


@dataclass
class CommentRow:
    """A row of ``comment`` with its cell's name (``Comment``); ``auto_comment`` may be set."""

    id: str
    name: str
    auto_comment: str | None


def notebook_comments(gb, notebook: str, assignment: str, student: str):
    """(the submitted notebook's id, its comments): mirrors ``Gradebook.find_submission_notebook``
    and its ``comments``, in the order that relationship loads them."""
    conn = gb.db.connection()
    row = conn.exec_driver_sql(
        "SELECT submitted_notebook.id FROM submitted_notebook "
        "JOIN notebook ON notebook.id = submitted_notebook.notebook_id "
        "JOIN submitted_assignment ON submitted_assignment.id = submitted_notebook.assignment_id "
        "JOIN assignment ON assignment.id = submitted_assignment.assignment_id "
        "WHERE notebook.name = ? AND assignment.name = ? AND submitted_assignment.student_id = ?",
        (notebook, assignment, student)).first()
    if row is None:
        raise MissingEntry(f"No such submitted notebook: {assignment}/{notebook} for {student}")
    # Through the release's cells (each comment one lookup of the unique (cell_id,
    # notebook_id) index: see _SUBMITTED), in the order the rows were written, which is the
    # order the relationship's scan of the table loads them.
    rows = conn.exec_driver_sql(
        "SELECT comment.id, comment.cell_id, comment.auto_comment FROM submitted_notebook "
        "CROSS JOIN base_cell CROSS JOIN comment WHERE submitted_notebook.id = ? "
        "AND base_cell.notebook_id = submitted_notebook.notebook_id "
        "AND comment.cell_id = base_cell.id AND comment.notebook_id = submitted_notebook.id "
        "ORDER BY comment.rowid", (row[0],)).all()
    names = dict(conn.exec_driver_sql(
        "SELECT base_cell.id, base_cell.name FROM base_cell JOIN notebook ON notebook.id = "
        "base_cell.notebook_id JOIN submitted_notebook ON submitted_notebook.notebook_id = "
        "notebook.id WHERE submitted_notebook.id = ?", (row[0],)).all())
    return row[0], [CommentRow(row_id, names.get(cell_id), text) for row_id, cell_id, text in rows]


def submission_score(gb, assignment: str, student: str) -> tuple[float, float]:
    """(score, max_score) of a submission: ``gb.find_submission(assignment, student)``'s
    ``score`` and ``max_score``. The max score is nbgrader's own column expression; the score
    is its ``SubmittedAssignment.score`` (the sum of each grade's ``Grade.score``: the manual
    score if set, else the automatic one, plus any extra credit) written out in SQL, so that
    the grades are found through the release's cells (see ``_SUBMISSION``) instead of a scan
    of every grade in the gradebook."""
    sub = api.SubmittedAssignment
    try:
        max_score = (gb.db.query(sub.max_score)
                     .join(api.Assignment, api.Assignment.id == sub.assignment_id)
                     .join(api.Student, api.Student.id == sub.student_id)
                     .filter(api.Assignment.name == assignment, api.Student.id == student)
                     .one())[0]
    except NoResultFound:
        raise MissingEntry(f"No such submission: {assignment} for {student}") from None
    score = gb.db.connection().exec_driver_sql(
        "SELECT COALESCE(SUM(CASE "
        "WHEN grade.manual_score IS NOT NULL "
        "THEN grade.manual_score + COALESCE(grade.extra_credit, 0.0) "
        "WHEN grade.auto_score IS NOT NULL "
        "THEN grade.auto_score + COALESCE(grade.extra_credit, 0.0) ELSE 0.0 END), 0.0) "
        + _SUBMISSION.format(t="grade"), (assignment, student)).scalar()
    return score, max_score


def lateness(gb, notebook: str, assignment: str, student: str):
    """(the assignment's due date, the submission's timestamp and extension, the submitted
    notebook's id and late_submission_penalty), or None when there is no such notebook."""
    conn = gb.db.connection()
    due = conn.execute(
        select(api.Assignment.duedate, api.SubmittedAssignment.timestamp,
               api.SubmittedAssignment.extension, api.SubmittedNotebook.id,
               api.SubmittedNotebook.late_submission_penalty)
        .select_from(api.SubmittedNotebook)
        .join(api.Notebook, api.Notebook.id == api.SubmittedNotebook.notebook_id)
        .join(api.SubmittedAssignment,
              api.SubmittedAssignment.id == api.SubmittedNotebook.assignment_id)
        .join(api.Assignment, api.Assignment.id == api.SubmittedAssignment.assignment_id)
        .where(api.Notebook.name == notebook, api.Assignment.name == assignment,
               api.SubmittedAssignment.student_id == student)).first()
    return due


def notebook_kernelspec(gb, notebook: str, assignment: str) -> str | None:
    """The release notebook's kernelspec (JSON text or None): ``gb.find_notebook(notebook,
    assignment).kernelspec`` without loading the notebook's scores."""
    row = gb.db.connection().exec_driver_sql(
        "SELECT notebook.kernelspec FROM notebook JOIN assignment ON assignment.id = "
        "notebook.assignment_id WHERE notebook.name = ? AND assignment.name = ?",
        (notebook, assignment)).first()
    if row is None:
        raise MissingEntry(f"No such notebook: {assignment}/{notebook}")
    return row[0]
