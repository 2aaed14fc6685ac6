"""What the report reads, before any counting: nbgrader's gradebook and the autograded notebooks.

* nbgrader's gradebook, through nbgrader's own models (``nbgrader.api``), in a few bulk
  queries (not one per student): the assignment's test cells and their points, each
  submission's score per test cell and its flags;
* each submission's findings (:class:`graders.findings.Finding`): those ``SaveFindings`` kept
  in the autograded notebook (``metadata.graders.findings``), and those only the gradebook's
  comments hold (a notebook the engine could not grade has no autograded notebook; a grading
  that failed after the notebook was written), read back with
  :func:`graders.findings.parse_comment`;
* the autograded notebooks' test cells: the code each verdict recorded
  (``metadata.graders.code``) and, when ``graders autograde`` graded the notebook, the grading
  time (notebook ``metadata.graders.seconds``; stock ``nbgrader autograde`` records none);
* the names of the notebooks in ``submitted/`` (a renamed or extra notebook is reported by the
  engine's summary only, not in the gradebook).

Leans on nbgrader's gradebook API (``nbgrader.api``, its models and session) and
:mod:`graders.findings`. Written by hand: the bulk queries, since nbgrader's API reads one student
at a time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..checks.exercises import TESTS
from ..course import course_directory, renamed_notebook
from ..findings import Finding, parse_comment, stored


@dataclass(frozen=True)
class AssignmentTestCell:
    """A test cell of the assignment, as the gradebook knows it."""

    name: str
    notebook: str
    points: float
    exercise: str  # the exercise's grade id, or "" for a cell the Exercise table does not know


@dataclass
class ReviewHit:
    student: str
    cell: int
    line: int
    category: str
    what: str
    code: str


@dataclass
class FlagReason:
    category: str  # "kernel died", "notebook missing", "tampering"...
    detail: str


@dataclass
class StudentResult:
    """One student's submission: scores, findings and grading time."""

    student: str
    scores: dict[str, float] = field(default_factory=dict)  # test cell -> points
    flagged: bool = False
    codes: dict[str, str] = field(default_factory=dict)  # diagnosis code -> first message
    test_codes: dict[str, str] = field(default_factory=dict)  # test cell -> code (notebook)
    problems: list[FlagReason] = field(default_factory=list)
    review: list[ReviewHit] = field(default_factory=list)
    seconds: float | None = None  # grading time, when graders autograde recorded it

    @property
    def score(self) -> float:
        return sum(self.scores.values())


@dataclass
class CourseResults:
    """Everything the report shows, as read."""

    assignment: str
    tests: list[AssignmentTestCell]
    submissions: list[StudentResult]
    without_submission: list[str]
    source: str  # the gradebook's URL

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests)


def read(root: Path, assignment: str, db: str | None = None) -> CourseResults:
    """Read the gradebook, the autograded notebooks and the names of the submitted notebooks
    (see the module docstring)."""
    from nbgrader.api import (
        Assignment,
        BaseCell,
        Comment,
        Grade,
        GradeCell,
        MissingEntry,
        Notebook,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from nbgrader.api import Gradebook as NbgraderGradebook

    coursedir = course_directory(root, db=db)
    path = coursedir.db_url.removeprefix("sqlite:///")
    if coursedir.db_url.startswith("sqlite:///") and not os.path.exists(path):
        # nbgrader would create an empty gradebook there
        raise SystemExit(f"No gradebook at {path}: grade first (`make grade`).")
    with NbgraderGradebook(coursedir.db_url) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"The gradebook {coursedir.db_url} has no assignment "
                             f"{assignment!r}.") from None
        session = gb.db
        cells = (session.query(Notebook.name, GradeCell.name, GradeCell.max_score)
                 .join(GradeCell, GradeCell.notebook_id == Notebook.id)
                 .join(Assignment, Notebook.assignment_id == Assignment.id)
                 .filter(Assignment.name == assignment).all())
        order = {test: i for i, test in enumerate(TESTS)}
        tests = sorted((AssignmentTestCell(cell, notebook, float(points or 0),
                                           TESTS[cell][0].grade_id if cell in TESTS else "")
                        for notebook, cell, points in cells),
                       key=lambda t: (order.get(t.name, len(order)), t.notebook, t.name))
        by_student: dict[str, StudentResult] = {}
        for (student,) in (session.query(SubmittedAssignment.student_id)
                           .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                           .filter(Assignment.name == assignment)):
            by_student[student] = StudentResult(student)

        def per_notebook(*columns):
            return (session.query(SubmittedAssignment.student_id, Notebook.name, *columns)
                    .join(SubmittedNotebook,
                          SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                    .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                    .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                    .filter(Assignment.name == assignment))

        for student, _notebook, flagged in per_notebook(SubmittedNotebook.flagged):
            by_student[student].flagged |= bool(flagged)
        grades = per_notebook(BaseCell.name, Grade.score).join(
            Grade, Grade.notebook_id == SubmittedNotebook.id).join(
            BaseCell, Grade.cell_id == BaseCell.id)
        for student, _notebook, cell, score in grades:
            by_student[student].scores[cell] = float(score or 0)
        commented: dict[tuple[str, str], list[Finding]] = {}
        comments = per_notebook(Comment.auto_comment).join(
            Comment, Comment.notebook_id == SubmittedNotebook.id).filter(
            Comment.auto_comment.isnot(None))
        for student, notebook, text in comments:
            commented.setdefault((student, notebook), []).extend(parse_comment(text))
        everyone = {s for (s,) in session.query(Student.id)}
    source = coursedir.db_url  # shown relative to the course folder when it is in it
    if source.startswith("sqlite:///"):
        db_path = Path(source.removeprefix("sqlite:///")).resolve()
        root_path = Path(coursedir.root).resolve()
        source = str(db_path.relative_to(root_path) if db_path.is_relative_to(root_path)
                     else db_path)
    notebooks = sorted({t.notebook for t in tests})
    for sub in by_student.values():
        kept = _read_notebooks(coursedir, assignment, notebooks, sub)
        for notebook in notebooks:
            findings = kept.get(notebook) or []
            lines = {f.line() for f in findings}
            findings += [f for f in commented.get((sub.student, notebook), [])
                         if f.line() not in lines]  # what only the gradebook holds
            for finding in findings:
                _add(sub, finding)
        _read_submitted_names(coursedir, assignment, notebooks, sub)
    submissions = sorted(by_student.values(), key=lambda s: s.student)
    return CourseResults(assignment, tests, submissions, sorted(everyone - set(by_student)),
                         source)


def _add(sub: StudentResult, finding: Finding) -> None:
    """A finding, where the report shows it: a diagnosis code, a review hit or a reason for
    the flag."""
    if finding.kind in ("diagnosis", "tampering") and finding.code:
        sub.codes.setdefault(finding.code, finding.text)
    if finding.kind == "review":
        where = finding.where or {}
        sub.review.append(ReviewHit(sub.student, int(where.get("cell", -1)),
                                    int(where.get("line", -1)), finding.code or "other",
                                    str(where.get("what", finding.text)),
                                    str(where.get("source", ""))))
    elif finding.kind != "diagnosis" and (finding.flags or finding.kind == "autograder"):
        sub.problems.append(FlagReason(finding.group, finding.text))


def _read_notebooks(coursedir, assignment: str, notebooks: list[str],
                    sub: StudentResult) -> dict[str, list[Finding]]:
    """Each test cell's code and the grading time; returns the findings each notebook kept."""
    folder = Path(coursedir.format_path(coursedir.autograded_directory, sub.student, assignment))
    seconds, findings = [], {}
    for notebook in notebooks:
        try:
            with open(folder / f"{notebook}.ipynb", encoding="utf-8") as fh:
                nb = json.load(fh)
        except (OSError, ValueError):
            continue
        for cell in nb.get("cells", []):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            verdict = cell.get("metadata", {}).get("graders") or {}
            if grade_id and verdict.get("code"):
                sub.test_codes[grade_id] = verdict["code"]
        findings[notebook] = stored(nb) or []
        recorded = (nb.get("metadata", {}).get("graders") or {}).get("seconds")
        if isinstance(recorded, (int, float)):
            seconds.append(float(recorded))
    if seconds:
        sub.seconds = sum(seconds)
    return findings


def _read_submitted_names(coursedir, assignment: str, notebooks: list[str],
                          sub: StudentResult) -> None:
    """A notebook saved under another name (``tensors (1).ipynb``) or extra notebooks: the
    engine grades and says so in its summary, but the gradebook does not record it."""
    folder = coursedir.format_path(coursedir.submitted_directory, sub.student, assignment)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".ipynb"))
    except OSError:
        return
    expected = {f"{nb}.ipynb" for nb in notebooks}
    others = [n for n in names if n not in expected]
    missing = [n for n in sorted(expected) if n not in names]
    said_missing = any(p.category == "notebook missing" for p in sub.problems)
    renamed = []
    for name in missing:
        graded = renamed_notebook(name[:-len(".ipynb")], others, notebooks)
        if graded and not said_missing:
            renamed.append(graded)
            sub.problems.append(FlagReason("renamed notebook", f"graded {graded!r} as {name}"))
    extra = [n for n in others if n not in renamed]
    if extra:
        sub.problems.append(FlagReason("extra notebooks", "not graded: " + ", ".join(extra)))
