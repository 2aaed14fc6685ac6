"""WarningsAreNotErrors: a warning written to stderr in a test cell costs no points (an nbgrader
stage, after ``Execute``).

nbgrader scores a test cell 0 when any of its outputs is on stderr (``nbgrader.utils.
determine_grade``), and Python writes warnings there. So a right answer lost the test's points
when the test merely touched it in a way a library warns about: ``float(y)`` on a ``y`` that
requires grad (an ``nn.Linear`` with the weights loaded, an ``nn.Parameter``) makes torch warn.
This stage looks at each test cell's stderr text: when it is warnings only (it starts as Python
prints a warning, ``<file>:<line>: <Category>Warning: <message>``, and the rest is that
warning's message and source line, or more warnings), it is moved to stdout, with a note saying
so, and the cell is scored on its errors as nbgrader does otherwise. Any other text on stderr
keeps nbgrader's rule.

What it can change: only a test cell without an error output, i.e. one whose visible asserts
passed and whose hidden part ``VerifyAnswers`` (which runs after it) has not failed; a failed
verdict adds an error output, which costs the points whatever stderr says. So a student who
writes warning-like text to stderr gains nothing a right answer would not have earned.

Leans on nbgrader's preprocessor interface and its scoring rule. Written by hand: nbgrader's
``IgnorePattern`` drops lines that match one pattern, but cannot tell a whole warning (its message
and source line) from other text on stderr.
"""

from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

WARNING = re.compile(r"[^\n]*:\d+: (?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*Warning: ")
NOTE = ("[grader] the warning below was written to stderr; it is shown here, on stdout, "
        "because a warning costs no points\n")


def is_warnings_only(text: str) -> bool:
    return bool(WARNING.match(text))


class WarningsAreNotErrors(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        stderr = [o for o in cell.outputs
                  if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        if stderr and is_warnings_only("".join(o.get("text", "") for o in stderr)):
            for output in stderr:
                output.name = "stdout"
            stderr[0].text = NOTE + stderr[0].text
        return cell, resources
