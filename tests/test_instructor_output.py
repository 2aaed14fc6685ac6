"""What the instructor reads at the end of ``make grade``: one table, problems that point to
where the reason is, and no warning that fires on every normal run.

``graders autograde``'s summary lists the submissions with a problem under a heading (the score
table that ends ``make grade`` is the only table); ``make release`` twice in a scratch course
prints no nbgrader warning (its ``--force`` used to warn "Removing existing assignment" on
every run). The grade table's pointer to the report is checked on a graded course in
``tests/test_report.py``.
"""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

from conftest import ASSIGNMENT, BIN, ROOT, course_env, make_course

from graders.engine.progress import summary


def _outcome(student, status="graded", score=15.0, notes=(), review=()):
    return SimpleNamespace(student=student, status=status, score=score, max_score=15.0,
                           notes=list(notes), review=list(review), sandbox_ms=[])


def test_the_summary_lists_problems_under_a_heading_not_as_a_second_table():
    outcomes = {o.student: o for o in [
        _outcome("ada"),
        _outcome("dee", score=0.0, notes=["tampering: torch.allclose has been replaced"]),
        _outcome("eve", status="failed", score=None, notes=["could not record the result"]),
    ]}
    text = summary(SimpleNamespace(outcomes=outcomes, wall=2.0, sandbox=[], repaired=[],
                                   engine=[]))
    lines = text.splitlines()
    assert not [line for line in lines if line.split()[:2] == ["student", "status"]], text
    heading = next(i for i, line in enumerate(lines) if line.startswith("Problems and notes"))
    assert "(2 of 3 submissions;" in lines[heading] and "Flagged" in lines[heading]
    assert lines[heading + 1] == "dee: graded, 0 / 15: tampering: torch.allclose has been replaced"
    assert lines[heading + 2] == "eve: failed: could not record the result"
    assert not any(line.startswith("ada") for line in lines)
    assert lines[-1].startswith("graded 2, skipped 0 (already graded; --force regrades), failed 1")


def test_make_release_twice_prints_no_warning(tmp_path):
    course = make_course(tmp_path)
    command = ["make", "--no-print-directory", "-C", str(course), "-f", str(ROOT / "Makefile"),
               "release", f"NBGRADER={BIN / 'nbgrader'}", "STAMP="]
    for run in (1, 2):  # the second finds release/tensors from the first
        proc = subprocess.run(command, env=course_env(), capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "WARNING" not in proc.stdout + proc.stderr, (run, proc.stdout + proc.stderr)
    assert (course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
