"""``graders serve``: grade each submission as it arrives in the nbgrader exchange and release
its feedback (:mod:`graders.serve`).

Leans on traitlets (:mod:`.baseapp`) for its flags; the work is :mod:`graders.serve`.
"""

from __future__ import annotations

from textwrap import dedent

from traitlets import Bool

from ..engine import nbgrader_caching  # noqa: F401 - first: it trims jsonschema's imports
from ..engine.settings import GradingEngine
from ..serve import GradingService, Service
from .baseapp import GradersBase, check_value


class ServeApp(GradersBase):
    name = "graders-serve"
    description = ("Grade each submission as it arrives in the exchange and release its "
                   "feedback.")
    examples = dedent("""
        graders serve tensors            # watch the exchange until stopped
        graders serve tensors --once     # grade what is waiting, then stop
    """).strip()

    once = Bool(False, help="Grade what is waiting, then stop (instead of watching).").tag(
        config=True)

    aliases = {**GradersBase.aliases, "assignment": "GradersBase.assignment",
               "scheduler": "GradingEngine.scheduler"}
    flags = {"once": ({"ServeApp": {"once": True}},
                      "Grade what is waiting, then stop (instead of watching).")}

    classes = [GradingEngine, GradingService]

    def run(self) -> int:
        check_value(GradingEngine, self.config)
        check_value(GradingService, self.config)
        service = Service(self.course_root, self.assignment, config=self.overrides())
        return service.run(once=self.once)
