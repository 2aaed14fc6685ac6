"""AssignLatePenaltiesAtOnce: nbgrader's ``AssignLatePenalties``, with an on-time notebook
settled in one query.

nbgrader 0.9.6's ``AssignLatePenalties`` loads the submission and the submitted notebook through
the ORM (with their deferred scores) to learn whether the submission was late, for every
notebook: about 3 ms of the grading process's CPU a notebook, measured in a batch. This stage
reads the due date, the submission's timestamp and extension and the notebook's penalty in one
statement; when the submission is not late by nbgrader's rule (``total_seconds_late``: no
timestamp, no due date, or not after the due date with its extension) it sets the penalty to
none as nbgrader does, and otherwise (or if the notebook is not in the gradebook) it runs
nbgrader's own ``preprocess``, plugin and all. ``graders autograde`` uses it in place of
``AssignLatePenalties`` (its settings, e.g. ``c.AssignLatePenalties.plugin_class``, apply).

Written by hand because nbgrader has no setting for it; what it mirrors is
``AssignLatePenalties.preprocess`` and ``SubmittedAssignment.total_seconds_late`` of nbgrader
0.9.6 (check them on an nbgrader upgrade).
"""

from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import AssignLatePenalties

from .gradebook_rows import lateness


class AssignLatePenaltiesAtOnce(AssignLatePenalties):
    """``AssignLatePenalties`` with the on-time case read in one statement."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.init_plugin()
        with Gradebook(info["db_url"]) as gb:
            row = lateness(gb, info["notebook"], info["assignment"], info["student"])
            if row is not None:
                duedate, timestamp, extension, notebook_id, penalty = row
                on_time = extension is None or duedate is not None  # else nbgrader's TypeError
                if extension is not None and duedate is not None:
                    duedate = duedate + extension  # SubmittedAssignment.duedate
                if on_time and (timestamp is None or duedate is None or timestamp <= duedate):
                    if penalty is not None:  # "reset to None (zero)"
                        gb.db.connection().exec_driver_sql(
                            "UPDATE submitted_notebook SET late_submission_penalty = NULL "
                            "WHERE submitted_notebook.id = ?", (notebook_id,))
                        gb.db.commit()
                    return nb, resources
        return super().preprocess(nb, resources)  # late, or not found: nbgrader's own way
