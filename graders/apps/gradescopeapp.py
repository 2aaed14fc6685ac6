"""``graders gradescope``: write the autograder zip for a Gradescope programming assignment
(:mod:`graders.gradescope`).

Leans on traitlets (:mod:`.baseapp`) for its flags; the work is :mod:`graders.gradescope.build`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from traitlets import Enum, Unicode

from .baseapp import GradersBase


class GradescopeApp(GradersBase):
    name = "graders-gradescope"
    description = "Write the Gradescope autograder zip (dist/<assignment>-gradescope.zip)."

    out = Unicode("", help="Where to write the zip (default: "
                           "dist/<assignment>-gradescope.zip).").tag(config=True)
    visibility = Enum(
        ["split", "after_published", "after_due_date", "visible", "hidden"], "split",
        help="When students see each test on Gradescope: split (type and shape tests at "
             "once, the others after the grades are published), or one setting for all "
             "(hidden is refused: Gradescope shows the total while tests are hidden).",
    ).tag(config=True)
    venv = Unicode("/opt/graders-venv", help="Where setup.sh installs the grading environment "
                                             "on Gradescope's image.").tag(config=True)

    aliases = {**GradersBase.aliases, "assignment": "GradersBase.assignment",
               "out": "GradescopeApp.out", "visibility": "GradescopeApp.visibility",
               "venv": "GradescopeApp.venv"}

    def run(self) -> int:
        from ..gradescope.build import BuildError, build, describe

        try:
            path = build(self.course_root, self.assignment, Path(self.out) if self.out else None,
                         visibility=self.visibility, venv=self.venv)
        except BuildError as err:
            print(f"{err}\nNothing was written.", file=sys.stderr)
            return 2
        print(describe(path))
        print(f"\nUpload it on Gradescope: the programming assignment's Configure Autograder "
              f"page, Zip file upload (see docs/gradescope.md). Students submit "
              f"{self.assignment}.ipynb.")
        return 0
