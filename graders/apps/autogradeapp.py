"""``graders autograde``: nbgrader's autograde, run by the fast, sealed, fault-proof engine of
:mod:`graders.autograde`.

(Named ``EngineAutogradeApp``, not ``AutogradeApp``: nbgrader reads ``c.AutogradeApp`` in
nbgrader_config.py as an old spelling of its own ``c.Autograde``.)

Leans on traitlets (:mod:`.baseapp`) for its flags; the work is
:func:`graders.autograde.autograde`.
"""

from __future__ import annotations

import signal
import sys
from textwrap import dedent

from traitlets import Bool, List, Unicode

from ..engine import template_control
from ..engine.settings import GradingEngine
from .baseapp import GradersBase, check_value

aliases = {
    **GradersBase.aliases,
    "assignment": "GradersBase.assignment",
    "student": "EngineAutogradeApp.students",
    "workers": "GradingEngine.workers",
    "memory-cap": "GradingEngine.memory_cap_gib",
    "scheduler": "GradingEngine.scheduler",
}
flags = {
    "force": ({"EngineAutogradeApp": {"force": True}},
              "Regrade students already graded."),
    "no-sandbox": ({"GradingEngine": {"sandbox": False}},
                   "Run submissions without the sandbox (to debug only)."),
    "require-sandbox": ({"GradingEngine": {"require_sandbox": True}},
                        "Refuse to grade if this kernel lacks part of the sandbox."),
}


class EngineAutogradeApp(GradersBase):
    name = "graders-autograde"
    description = "Grade submitted/ fast, in parallel, fault-proof (nbgrader's autograde)."
    examples = dedent("""
        graders autograde tensors                     # every new submission
        graders autograde tensors --force --student ada --student ben
        graders autograde tensors --workers 4         # or c.GradingEngine.workers = 4
        graders autograde tensors --scheduler tcp://host:8786
    """).strip()

    students = List(Unicode(), help="Grade only these students (--student ID, repeatable); "
                                    "empty: everyone in submitted/.").tag(config=True)
    force = Bool(False, help="Regrade students already graded.").tag(config=True)

    aliases = aliases
    flags = flags
    classes = [GradingEngine]

    def load_course_config(self) -> None:
        # The course's nbgrader_config.py imports nbgrader (most of the command's start-up), so
        # before it: jsonschema goes without rfc3987_syntax (1 s of CPU here, as in
        # graders.engine.nbgrader_caching), and the batch's one template starts, to import
        # torch on the other core meanwhile (autograde stops it; run stops it if the course
        # turns out to send its runs to a Dask cluster).
        sys.modules.setdefault("rfc3987_syntax", None)
        if not self.cli_config.get("GradingEngine", {}).get("scheduler"):
            template_control.start_shared()
        super().load_course_config()

    def run(self) -> int:
        try:
            check_value(GradingEngine, self.config)
            if GradingEngine(config=self.config).scheduler:
                template_control.stop_shared(kill=True)
            return self._run()
        finally:
            template_control.stop_shared(kill=True)  # if autograde failed before it ran

    def _run(self) -> int:
        from ..autograde import autograde, interrupt
        from ..engine.progress import Progress, summary

        signal.signal(signal.SIGTERM, interrupt)  # a clean stop, as on Ctrl-C
        try:
            report = autograde(self.course_root, self.assignment, students=self.students or None,
                               force=self.force, progress=Progress(), config=self.overrides())
        except KeyboardInterrupt:
            print("\nInterrupted. Every submission finished so far is recorded; run the same "
                  "command again to grade the rest.", file=sys.stderr)
            return 130
        print(summary(report))
        return 1 if any(o.status == "failed" for o in report.outcomes.values()) else 0
