"""``graders report``: the instructor's report (:mod:`graders.report`),
``reports/<assignment>/``, the last step of ``make grade``.

Leans on traitlets (:mod:`.baseapp`) for its flags; the work is :mod:`graders.report`.
"""

from __future__ import annotations

from traitlets import Unicode

from .baseapp import GradersBase


class ReportApp(GradersBase):
    name = "graders-report"
    description = "Write the instructor's report: reports/<assignment>/index.html."

    db = Unicode("", help="The gradebook: a file or a database URL (default: the course's, "
                          "c.CourseDirectory.db_url).").tag(config=True)
    out = Unicode("", help="Folder to write (default: <root>/reports/<assignment>).").tag(
        config=True)

    aliases = {**GradersBase.aliases, "assignment": "GradersBase.assignment",
               "db": "ReportApp.db", "out": "ReportApp.out"}

    def run(self) -> int:
        from ..report import main as report

        return report(self.root, self.assignment, out=self.out or None, db=self.db or None)
