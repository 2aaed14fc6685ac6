"""Code that runs inside the student's process: treat everything it reports as untrusted.

* :mod:`graders.kernel.template`: the warm template process that imports torch, numpy and IPython
  once and forks one child per submission;
* :mod:`graders.kernel.runner`: the child: seals itself (:mod:`graders.kernel.confine`), runs
  the notebook's cells in IPython and reports outputs as plain JSON;
* :mod:`graders.kernel.instrument`: in the grader's own re-runs, swaps in the inputs the grading
  side chose, traces matrix products and reads the student's answers back as plain data
  (numbers, shapes, dtypes).

Nothing here decides a grade: :mod:`graders.checks` does, in the grading process, from the plain
data these modules send. This module itself holds what a hidden test cell runs in a notebook.

Standard library only, so a hidden test cell's import is cheap in any kernel. Written by hand:
nbgrader has no notion of a test decided outside the kernel; the pending marker is this project's.
"""

from __future__ import annotations

import os


class PendingVerification(Exception):  # noqa: N818 - the name is what instructors see
    """Raised by a hidden test cell while a notebook is autograded: the test's points are decided
    afterwards, outside the student's kernel, by the ``VerifyAnswers`` stage, which removes this
    error and puts its own verdict in its place."""


def hidden_test(exercise: str, part: str) -> None:
    """What the hidden part of a test cell runs.

    During ``nbgrader autograde`` or ``graders autograde`` (``NBGRADER_EXECUTION=autograde``) it
    raises :class:`PendingVerification`, so that a course whose configuration lacks the
    ``VerifyAnswers`` stage scores the test 0 instead of passing it unchecked. Anywhere else (an
    instructor running the source notebook, ``nbgrader validate``) it does nothing: the checks
    need the grader's own re-runs of the student's code, which happen at grading time.
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        raise PendingVerification(
            f"{exercise}/{part} is decided outside this kernel by the graders.preprocessors."
            f"VerifyAnswers stage; add it to c.Autograde.autograde_preprocessors (see the "
            f"course's nbgrader_config.py)."
        )
