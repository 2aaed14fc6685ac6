"""``graders demo``: copy the bundled demo submissions into ``submitted/`` (a fresh clone's
set).

Leans on traitlets (:mod:`.baseapp`) for its flags and on :mod:`graders.submission_builder`
(nbformat) for the notebooks.
"""

from __future__ import annotations

import sys

from traitlets import Bool, Unicode

from .baseapp import GradersBase


class DemoApp(GradersBase):
    name = "graders-demo"
    description = "Copy the demo submissions into submitted/."

    demo = Unicode("demo", help="Folder of demo cell files.").tag(config=True)
    release = Unicode("", help="The release notebook the submissions are made from (default: "
                               "release/<assignment>/<assignment>.ipynb).").tag(config=True)
    into = Unicode("submitted", help="Where the submissions go.").tag(config=True)
    force = Bool(False, help="Replace existing demo students.").tag(config=True)

    aliases = {**GradersBase.aliases, "assignment": "GradersBase.assignment",
               "demo": "DemoApp.demo", "release": "DemoApp.release", "into": "DemoApp.into"}
    flags = {"force": ({"DemoApp": {"force": True}}, "Replace existing demo students.")}
    takes_assignment = False

    def run(self) -> int:
        from ..submission_builder import build_submission, read_cell_file, write_submission

        assignment = self.assignment
        release = (self.path(self.release) if self.release
                   else self.path(f"release/{assignment}/{assignment}.ipynb"))
        if not release.exists():
            print(f"No release notebook at {release}: run `nbgrader generate_assignment "
                  f"{assignment}` (or `make release`) first.", file=sys.stderr)
            return 2
        files = sorted(self.path(self.demo).glob("*.py"))
        if not files:
            print(f"No demo cell files in {self.demo}.", file=sys.stderr)
            return 2
        submitted = self.path(self.into)
        for cell_file in map(read_cell_file, files):
            target_dir = submitted / cell_file.student / assignment
            if target_dir.exists() and not self.force:
                print(f"  kept     {cell_file.student}: {target_dir} exists "
                      f"(use --force to replace)")
                continue
            nb = build_submission(release, cell_file)
            path = write_submission(nb, submitted, cell_file.student, assignment, assignment)
            print(f"  demo     {cell_file.student}: {cell_file.description} -> {path}")
        return 0
