"""SaveAutoGradesAtOnce: nbgrader's ``SaveAutoGrades``, with one commit per notebook.

nbgrader 0.9.6's ``SaveAutoGrades`` commits after every grade and comment cell. Each commit of a
changed row is a write transaction that SQLite syncs to disk: 16 of them a notebook in this
course, measured at about 7 ms each with the ORM's reload after every commit, which made them
most of the gradebook's share of a batch (and the grading processes queue for SQLite's lock at
each one). This stage runs nbgrader's own code for every cell unchanged, with the session's
``commit`` turned into a ``flush`` while it does, and commits once when the notebook is done: the
same rows and values, written together, so a crash in the middle leaves none of the notebook's
scores half-saved. Used in place of ``SaveAutoGrades`` (``nbgrader_config.py``) by both
``nbgrader autograde`` and ``graders autograde``.

Written by hand because nbgrader has no setting for it; what it mirrors is
``SaveAutoGrades.preprocess`` of nbgrader 0.9.6 (check it on an nbgrader upgrade).
"""

from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """``SaveAutoGrades`` in one transaction per notebook."""

    def preprocess(self, nb, resources):
        # Mirrors nbgrader 0.9.6 SaveAutoGrades.preprocess, with the commits deferred.
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            session = self.gradebook.db
            session.commit = session.flush  # the per-cell commits of _add_score, _add_comment
            try:
                nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            finally:
                del session.commit
            session.commit()  # only when every cell went through; an error rolls it all back
        return nb, resources
