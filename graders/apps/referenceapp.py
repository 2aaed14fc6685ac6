"""``graders reference``: run the source solution and store the seeded answers the hidden tests
use (:mod:`graders.reference`).

Leans on traitlets (:mod:`.baseapp`) for its flags; the work is :mod:`graders.reference`
(nbclient).
"""

from __future__ import annotations

from traitlets import Unicode

from .baseapp import GradersBase


class ReferenceApp(GradersBase):
    name = "graders-reference"
    description = "Run the source solution; store the seeded answers the hidden tests use."

    source = Unicode("", help="The source notebook (default: "
                              "source/<assignment>/<assignment>.ipynb in the course folder)."
                     ).tag(config=True)
    output = Unicode("", help="Where to write the values (default: the package's "
                              "graders/checks/reference_values.json).").tag(config=True)

    aliases = {**GradersBase.aliases, "assignment": "GradersBase.assignment",
               "source": "ReferenceApp.source", "output": "ReferenceApp.output"}
    takes_assignment = False

    def run(self) -> int:
        from pathlib import Path

        from .. import reference

        source = (self.path(self.source) if self.source
                  else self.path(f"source/{self.assignment}/{self.assignment}.ipynb"))
        values = reference.compute(source)
        problems = reference.published_mismatches(values)
        if problems:
            print("The source solution no longer reproduces the lesson's published values:")
            for problem in problems:
                print(f"  {problem}")
            print("Fix the solution in the source notebook; nothing was written.")
            return 1
        path = (reference.write(values, Path(self.output)) if self.output
                else reference.write(values))
        print(f"Wrote reference values to {path}")
        for exercise, name, value in reference.answers(values):
            print(f"  {exercise}.{name} = {value}")
        return 0
