"""The ``graders`` command (also ``python -m graders``): the course's own steps around
nbgrader, one subcommand each.

traitlets launches the subcommands and prints the help; nothing else is written here.
"""

from __future__ import annotations

import os
import sys
from textwrap import dedent

import traitlets.log
from traitlets import TraitError
from traitlets.config.loader import ArgumentError

from .baseapp import GradersBase, UsageError, fail, one_line

SUBCOMMANDS = {
    "reference": ("graders.apps.referenceapp.ReferenceApp",
                  "Run the source solution; store the seeded answers the hidden tests use."),
    "demo": ("graders.apps.demoapp.DemoApp",
             "Copy the demo submissions into submitted/ (a fresh clone's set)."),
    "autograde": ("graders.apps.autogradeapp.EngineAutogradeApp",
                  "Grade submitted/ fast, in parallel, fault-proof: nbgrader's autograde, run "
                  "by the sealed engine."),
    "serve": ("graders.apps.serveapp.ServeApp",
              "Grade each submission as it arrives in the exchange and release its feedback."),
    "table": ("graders.apps.tableapp.TableApp",
              "Print each student's score from the gradebook."),
    "report": ("graders.apps.reportapp.ReportApp",
               "Write the instructor's report: reports/<assignment>/index.html."),
    "gradescope": ("graders.apps.gradescopeapp.GradescopeApp",
                   "Write the Gradescope autograder zip (dist/<assignment>-gradescope.zip)."),
}


class GradersApp(GradersBase):
    name = "graders"
    description = ("The course's own steps around nbgrader. Each subcommand reads the course's "
                   "nbgrader_config.py; its flags are configuration (run `graders <subcommand> "
                   "--help-all` to see every setting).")
    examples = dedent("""
        graders autograde tensors          # grade submitted/ (make grade)
        graders autograde tensors --GradingEngine.workers=4
        graders serve tensors              # feedback as students submit
        graders report tensors             # reports/tensors/index.html
    """).strip()
    subcommands = SUBCOMMANDS

    def print_help(self, classes: bool = False) -> None:
        if classes:  # --help-all: every subcommand's settings (imports them all, so only here)
            from traitlets.utils.importstring import import_item

            found = [type(self)]
            for path, _ in SUBCOMMANDS.values():
                for cls in (import_item(path), *import_item(path).classes):
                    if cls not in found:
                        found.append(cls)
            self.classes = found
        super().print_help(classes)

    def run(self) -> int:
        listing = "\n".join(f"  {name:<11} {help_}" for name, (_, help_) in SUBCOMMANDS.items())
        if self.unknown:
            print(f"graders: unknown subcommand {self.unknown!r}. The subcommands:\n"
                  f"{listing}\nSee `graders --help`.", file=sys.stderr)
        else:
            print(f"graders: no subcommand given. The subcommands:\n{listing}\n"
                  f"See `graders --help`.", file=sys.stderr)
        return 2

    def initialize(self, argv=None) -> None:
        self.parse_command_line(argv)
        self.unknown = self.extra_args[0] if self.extra_args else ""


def main(argv: list[str] | None = None) -> int:
    """Run ``graders`` with ``argv`` (default: the command line); return the exit code."""
    app = GradersApp()
    try:
        app.initialize(argv)
        app.start()
    except SystemExit as stop:  # --help, or a subcommand's exit code
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)  # the engine's own "what to do" (as Python prints it)
        return 1
    except BrokenPipeError:  # `graders --help | head`: the reader is gone, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (UsageError, ArgumentError, TraitError) as err:
        return fail(app.subapp or app, one_line(err))
    except Exception as err:
        if type(err).__name__ != "MissingEntry":  # nbgrader's: not in the gradebook
            raise
        return _missing(app.subapp or app, err)
    finally:
        shared = sys.modules.get("graders.engine.template_control")
        if shared is not None:  # started ahead by graders autograde, which failed before it ran
            shared.stop_shared(kill=True)
        traitlets.log._logger = None  # nbgrader's classes log through the app's logger till now
        for instance in (app, app.subapp):
            if instance is not None:
                type(instance).clear_instance()
    return 0


def _missing(app: GradersBase, err: Exception) -> int:
    text = str(err)
    if text.startswith("No such assignment"):
        text = (f"the gradebook has no assignment {app.assignment!r}: run `nbgrader "
                f"generate_assignment {app.assignment}` (or `make release`) first")
    print(f"{app.command}: {text}", file=sys.stderr)
    return 1
