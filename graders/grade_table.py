"""Grade table: the short per-student summary that ends ``make grade``.

Reads nbgrader's gradebook through its own API (``nbgrader.api.Gradebook``); the table layout is
ours. Every student in the gradebook is listed; one whose notebook the engine flagged (missing,
renamed, invalid, a kernel that died, tampering) says so and points to the report's Flagged
section (``reports/<assignment>/index.html#flagged``), which says why.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry


def report_anchor(assignment: str) -> str:
    """Where the instructor's report lists the flagged submissions and why (``graders
    report`` writes it; ``make grade`` runs it right after this table)."""
    return f"reports/{assignment}/index.html#flagged"


def rows(db: str, assignment: str) -> list[tuple[str, float | None, float, str]]:
    """(student, score or None when not graded, max score, note) for every student."""
    url = f"sqlite:///{Path(db).resolve()}"
    out = []
    with Gradebook(url) as gb:
        max_score = gb.find_assignment(assignment).max_score
        for student in sorted(s.id for s in gb.students):
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                out.append((student, None, max_score, "no submission"))
                continue
            flagged = any(nb.flagged for nb in submission.notebooks)
            note = f"flagged: see {report_anchor(assignment)}" if flagged else ""
            out.append((student, submission.score, max_score, note))
    return out


def print_table(db: str, assignment: str) -> int:
    if not Path(db).exists():
        print(f"No gradebook at {db}: run `make grade` first.", file=sys.stderr)
        return 2
    table = rows(db, assignment)
    width = max([len("student")] + [len(r[0]) for r in table])
    print(f"{'student':<{width}}  {'score':>6}  {'max':>5}")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 5}")
    for student, score, max_score, note in table:
        shown = "-" if score is None else f"{score:g}"
        print(f"{student:<{width}}  {shown:>6}  {max_score:>5g}  {note}".rstrip())
    return 0
