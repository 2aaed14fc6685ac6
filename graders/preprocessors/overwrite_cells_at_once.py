"""OverwriteCellsAtOnce: nbgrader's ``OverwriteCells``, with the release's cells read at once.

nbgrader 0.9.6's ``OverwriteCells`` asks the gradebook for each cell of the notebook
(``find_source_cell``, and ``find_graded_cell`` for a grade cell) and for the whole notebook
once more when it puts back missing cells: about 30 ORM queries a notebook, 13 ms of the
grading process's CPU measured in a batch. This stage runs nbgrader's own code for every cell,
unchanged, with those lookups answered from the release's cells read in four statements when
the notebook starts (:func:`graders.preprocessors.gradebook_rows.release_cells`), so the rows,
their order and the ``MissingEntry`` cases are the same, and what the notebook becomes is the
same. ``graders autograde`` uses it in place of ``OverwriteCells`` (its settings, e.g.
``c.OverwriteCells.add_missing_cells``, apply).

Written by hand because nbgrader has no setting for it; what it mirrors is
``OverwriteCells.preprocess`` of nbgrader 0.9.6 (check it on an nbgrader upgrade).
"""

from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells

from .gradebook_rows import release_cells


class OverwriteCellsAtOnce(OverwriteCells):
    """``OverwriteCells`` with the release's cells read once per notebook."""

    def preprocess(self, nb, resources):
        # Mirrors nbgrader 0.9.6 OverwriteCells.preprocess; self.gradebook answers the lookups.
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        with Gradebook(self.db_url) as gb:
            self.gradebook = release_cells(gb, self.notebook_id, self.assignment_id)
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources
