"""SaveAutoGradesAtOnce: nbgrader's ``SaveAutoGrades``, written in one statement per table and one
commit per notebook.

nbgrader 0.9.6's ``SaveAutoGrades`` looks up each grade and comment through the ORM
(``find_grade``, ``find_comment``: six joins each) and commits after every grade and comment
cell. Each commit of a changed row is a write transaction that SQLite syncs to disk: 16 of them a
notebook in this course, and the lookups and the ORM's bookkeeping cost about 16 ms of CPU a
notebook even with the commits deferred. This stage decides every cell with nbgrader's own rules
(``utils.determine_grade`` for the score, the checksum for "No response.", the same cells in the
same order), reads the notebook's grade and comment rows in one statement each
(:func:`graders.preprocessors.gradebook_rows.submission_rows`), and writes the scores and
comments with one ``UPDATE`` statement each (run for all the rows) in one transaction: the same
rows and values as nbgrader's, written together, so a crash or a missing row in the middle
leaves none of the notebook's scores half-saved. Used in place of ``SaveAutoGrades``
(``nbgrader_config.py``) by both ``nbgrader autograde`` and ``graders autograde``.

Written by hand because nbgrader has no setting for it; what it mirrors is
``SaveAutoGrades.preprocess``, ``_add_score`` and ``_add_comment`` of nbgrader 0.9.6 (check them
on an nbgrader upgrade).
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades

from .gradebook_rows import submission_rows


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """``SaveAutoGrades`` in one transaction per notebook."""

    def preprocess(self, nb, resources):
        # Mirrors nbgrader 0.9.6 SaveAutoGrades.preprocess.
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        key = (self.notebook_id, self.assignment_id, self.student_id)
        with Gradebook(self.db_url) as gb:
            rows = submission_rows(gb, *key)
            grades: dict[str, tuple] = {}  # row id -> (auto_score, needs_manual_grade)
            comments: dict[str, str | None] = {}  # row id -> auto_comment
            for cell in nb.cells:  # NbGraderPreprocessor.preprocess: preprocess_cell in order
                if utils.is_grade(cell):  # _add_score
                    row_id, manual_score = rows.grade(cell.metadata["nbgrader"]["grade_id"], *key)
                    auto_score, _ = utils.determine_grade(cell, self.log)
                    grades[row_id] = (auto_score,
                                      manual_score is not None or auto_score is None)
                if utils.is_solution(cell):
                    self._comment(cell, rows, key, comments)
                if utils.is_task(cell):
                    self._comment(cell, rows, key, comments)
            conn = gb.db.connection()
            if grades:
                conn.exec_driver_sql(
                    "UPDATE grade SET auto_score = ?, needs_manual_grade = ? WHERE grade.id = ?",
                    [(score, int(manual), row_id) for row_id, (score, manual) in grades.items()])
            if comments:
                conn.exec_driver_sql("UPDATE comment SET auto_comment = ? WHERE comment.id = ?",
                                     [(text, row_id) for row_id, text in comments.items()])
            gb.db.commit()
        return nb, resources

    def _comment(self, cell, rows, key, comments: dict) -> None:
        """Mirrors nbgrader 0.9.6 SaveAutoGrades._add_comment."""
        (row_id,) = rows.comment(cell.metadata["nbgrader"]["grade_id"], *key)
        if (cell.metadata.nbgrader.get("checksum", None) == utils.compute_checksum(cell)
                and not utils.is_task(cell)):
            comments[row_id] = "No response."
        else:
            comments[row_id] = None
