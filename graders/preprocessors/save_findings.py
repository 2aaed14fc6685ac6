"""SaveFindings: keep what the grader found with the notebook and in nbgrader's gradebook (an
nbgrader stage).

Runs after nbgrader's ``SaveAutoGrades`` (which resets the comments it owns). The findings of
this notebook (:class:`graders.findings.Finding`: those the stages put in ``resources``, and
those the sanitising stages kept in the notebook's ``metadata.graders.sanitized``, since stock
nbgrader gives its sanitising pass other ``resources``) go to two places:

* the notebook's metadata, ``metadata.graders.findings``, as plain data: what ``graders
  report`` and Gradescope read back (:func:`graders.findings.stored`);
* the auto-comment of the exercise's answer cell (formgrader shows it next to the cell, and
  nbgrader's feedback keeps it), one line per finding, ``[kind] code: text``
  (:meth:`graders.findings.Finding.line`); a finding that flags (tampering, a problem, a cell's
  metadata put back: :attr:`graders.findings.Finding.flags`) flags the notebook.

The kinds and codes are listed in :mod:`graders.findings` (and ``docs/codes.md``).

Leans on nbgrader's gradebook API (its comments and flags). Written by hand: the findings, which
nbgrader has no place for but a free-text comment.
"""

from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from ..findings import Finding, store
from .clean_text import escape_surrogates
from .gradebook_rows import notebook_comments


def add_comment_line(comment, line: str | Finding) -> None:
    """Add a finding (or a line) to a gradebook comment, once."""
    if isinstance(line, Finding):
        line = line.line()
    line = escape_surrogates(line)  # SQLite stores UTF-8: a lone surrogate as its escape
    lines = [x for x in (comment.auto_comment or "").splitlines() if x]
    if line not in lines:
        comment.auto_comment = "\n".join([*lines, line])


class SaveFindings(NbGraderPreprocessor):
    """Store the notebook's findings in it and in the gradebook (see the module docstring)."""

    def preprocess(self, nb, resources):
        findings = [Finding.from_json(f) for f in [
            *(nb.metadata.get("graders", {}).get("sanitized") or []),
            *(resources.get("graders", {}).get("findings") or [])]]
        store(nb, findings)
        if not findings:
            return nb, resources
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            # find_submission_notebook and its comments, read with three SQL statements
            notebook_id, rows = notebook_comments(gb, info["notebook"], info["assignment"],
                                                  info["student"])
            comments = {c.name: c for c in rows}
            first = rows[0] if rows else None
            before = {c.id: c.auto_comment for c in rows}
            flagged = False
            for finding in findings:
                comment = comments.get(finding.exercise) or first
                if comment is not None:
                    add_comment_line(comment, finding)
                if finding.flags:
                    flagged = True
            conn = gb.db.connection()
            changed = [(c.auto_comment, c.id) for c in rows if c.auto_comment != before[c.id]]
            if changed:
                conn.exec_driver_sql("UPDATE comment SET auto_comment = ? WHERE comment.id = ?",
                                     changed)
            if flagged:
                conn.exec_driver_sql("UPDATE submitted_notebook SET flagged = 1 "
                                     "WHERE submitted_notebook.id = ?", (notebook_id,))
            gb.db.commit()
        return nb, resources
