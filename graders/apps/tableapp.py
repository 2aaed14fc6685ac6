"""``graders table``: print each student's score from the gradebook (after grading, in
``make grade``).

Leans on traitlets (:mod:`.baseapp`) for its flags; the work is :mod:`graders.grade_table`
(nbgrader's gradebook API).
"""

from __future__ import annotations

from traitlets import Unicode

from .baseapp import GradersBase


class TableApp(GradersBase):
    name = "graders-table"
    description = "Print each student's score from the gradebook."

    db = Unicode("gradebook.db", help="The gradebook file (from the course folder).").tag(
        config=True)

    aliases = {**GradersBase.aliases, "assignment": "GradersBase.assignment",
               "db": "TableApp.db"}
    takes_assignment = False

    def run(self) -> int:
        from ..grade_table import print_table

        return print_table(str(self.path(self.db)), self.assignment)
