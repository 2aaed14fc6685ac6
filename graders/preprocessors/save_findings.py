"""SaveFindings: write what the grader found into nbgrader's gradebook (an nbgrader stage).

Runs after nbgrader's ``SaveAutoGrades`` (which resets the comments it owns) and writes each
finding of this notebook where instructors and tools read them: the auto-comment of the
exercise's answer cell (formgrader shows it next to the cell), one line per finding:

* ``[diagnosis] <code>: <message>``: a failed test and its stable code
  (``single_layer_sum.no_bias``), from ``VerifyAnswers``;
* ``[tampering] <code>: <message>``: a replaced library function; the notebook is flagged;
* ``[review] ...``: a line of the student's code worth a look, from ``ReviewCode`` (no points
  are taken for it);
* ``[problem] ...``: the grader's own re-runs could not finish (the notebook is flagged);
* ``[autograder] ...``: what a sanitising stage changed before the notebook ran (text kept as
  an escape by ``CleanText``, nbgrader metadata put back by ``RestoreCellMetadata``), read from
  the notebook's metadata (``metadata.graders.sanitized``), since stock nbgrader gives its
  sanitising pass other ``resources``; flagged when the finding says so.

nbgrader's gradebook has no other place for text per submission; these prefixes are the format
``graders report`` reads.
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from .clean_text import escape_surrogates

FLAGGING = {"tampering", "problem"}


def add_comment_line(comment, line: str) -> None:
    line = escape_surrogates(line)  # SQLite stores UTF-8: a lone surrogate as its escape
    lines = [x for x in (comment.auto_comment or "").splitlines() if x]
    if line not in lines:
        comment.auto_comment = "\n".join([*lines, line])


class SaveFindings(NbGraderPreprocessor):
    """Store ``resources["graders"]["findings"]`` in the gradebook (see the module docstring)."""

    def preprocess(self, nb, resources):
        findings = [*(nb.metadata.get("graders", {}).get("sanitized") or []),
                    *(resources.get("graders", {}).get("findings") or [])]
        if not findings:
            return nb, resources
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_submission_notebook(info["notebook"], info["assignment"],
                                                   info["student"])
            comments = {c.name: c for c in notebook.comments}
            first = notebook.comments[0] if notebook.comments else None
            for finding in findings:
                comment = comments.get(finding.get("cell")) or first
                code = f" {finding['code']}:" if finding.get("code") else ""
                line = f"[{finding['kind']}]{code} {finding['text']}"
                if comment is not None:
                    add_comment_line(comment, line)
                if finding["kind"] in FLAGGING or finding.get("flag"):
                    notebook.flagged = True
            try:
                gb.db.commit()
            except MissingEntry:  # pragma: no cover - a notebook removed meanwhile
                gb.db.rollback()
        return nb, resources
