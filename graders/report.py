"""The instructor's report: ``graders report <assignment>`` writes ``reports/<assignment>/``.

One page, ``index.html``, says how the assignment went: the score distribution; each exercise's
and each test cell's pass rate; the mistakes, by how many students made them (the mistake's
sentence from :mod:`graders.checks.exercises`, the students' ids); the flagged submissions and
why (kernel died, missing or invalid notebook, tampering, failed grading); the review list; and
the time each submission took to grade. It is one self-contained file: the charts are PNGs
embedded as ``data:`` URIs, the styles are inline, nothing is fetched (no script, font or CDN),
so it opens from disk, offline, and can be mailed. Next to it: CSV files with the full lists
(``students.csv``, ``tests.csv``, ``mistakes.csv``, ``flagged.csv``, ``review.csv``) and
``report.json`` with every number the page shows. Long lists are cut on the page (the first
ids, then "and N more") and kept whole in the CSVs, so the page stays small and readable for
5,000 students as for 4.

Where the data comes from:

* nbgrader's gradebook, through nbgrader's own models (``nbgrader.api``): the assignment's test
  cells and their points, each submission's score per test cell, the flags, and the comment lines
  ``SaveFindings`` and the engine write (``[diagnosis] <code>: ...``, ``[tampering] ...``,
  ``[review] ...``, ``[problem] ...``, ``[autograder] ...``; see
  :mod:`graders.preprocessors.save_findings`). A few bulk queries, not one per student;
* the autograded notebooks (``autograded/<student>/<assignment>/``): the code each test cell's
  verdict recorded (``metadata.graders.code``) and, when ``graders autograde`` graded the
  notebook, the grading time (notebook ``metadata.graders.seconds``; stock ``nbgrader
  autograde`` records none: "not recorded");
* the names of the notebooks in ``submitted/`` (a renamed or extra notebook is reported by the
  engine's summary only, not in the gradebook).

Written by hand: the reading of those comment lines, the numbers, the page and its CSS, the CSV
files. matplotlib (Agg backend, no display) draws the charts; nbgrader's ``CourseDirectory``
and configuration say where the gradebook and the folders are.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .checks.exercises import EXERCISES, TESTS

CONFIG_FILE = "nbgrader_config.py"
SHOWN_IDS = 20  # student ids shown per mistake before "and N more"
SHOWN_ROWS = 50  # rows of the flagged, review and submissions tables before the CSV takes over
ALL_SUBMISSIONS_UP_TO = 50  # the page lists every submission up to this many

#: What the general codes mean (the catalogued mistakes say it in :mod:`graders.checks.exercises`).
GENERAL = {
    "wrong_value": "a wrong value that matches none of the exercise's known mistakes",
    "wrong_on_new_inputs": "right on the lesson's data, wrong on the grader's new inputs",
    "wrong_shape": "the wrong shape, matching no known mistake",
    "not_tensor": "not a torch.Tensor (and not a Python number either)",
    "not_real": "complex numbers instead of real ones",
    "typed_in": "the answer does not change with the inputs: typed in, or computed from data "
                "the student made up",
    "random": "the answer changes by itself: two runs of the exercise's cells on the same "
              "inputs gave different answers (random numbers, values from outside)",
    "outside": "a thread started in an earlier cell was still running when the exercise "
               "began: the grader cannot tell which code made the answer",
    "not_done": "not done: `raise NotImplementedError()` left in the exercise",
    "not_assigned": "the variable is never assigned",
    "error": "the exercise's code raised an error",
    "stopped_kernel": "the exercise's code stopped the kernel when the grader ran it",
    "tampering": "a library or comparison function was replaced (torch.allclose...): no check "
                 "after it can pass; the notebook is flagged",
    "rerun_failed": "the grader's re-runs of the notebook could not reach this test",
    "gradebook": "the notebook changed the gradebook while it ran (undone; flagged)",
}
_LINE = re.compile(r"^\[(diagnosis|tampering|review|problem|autograder)\]\s?(.*)$")
_CODED = re.compile(r"^([\w.]+):\s(.*)$", re.S)
_REVIEW = re.compile(r"^(?P<category>[^:]+): cell (?P<cell>\d+), line (?P<line>\d+): (?P<rest>.*)$",
                     re.S)


# --------------------------------------------------------------------------- what is read
@dataclass(frozen=True)
class TestCell:
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
class Problem:
    category: str  # "kernel died", "notebook missing", "tampering"...
    detail: str


@dataclass
class Submission:
    student: str
    scores: dict[str, float] = field(default_factory=dict)  # test cell -> points
    flagged: bool = False
    codes: dict[str, str] = field(default_factory=dict)  # code -> first message (gradebook)
    test_codes: dict[str, str] = field(default_factory=dict)  # test cell -> code (notebook)
    problems: list[Problem] = field(default_factory=list)
    review: list[ReviewHit] = field(default_factory=list)
    seconds: float | None = None  # grading time, when graders autograde recorded it

    @property
    def score(self) -> float:
        return sum(self.scores.values())


@dataclass
class Gradebook:
    """What the report reads, before any counting."""

    assignment: str
    tests: list[TestCell]
    submissions: list[Submission]
    without_submission: list[str]
    source: str  # the gradebook's URL

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests)


def load_config(root: Path):
    """nbgrader's configuration as nbgrader loads it: Jupyter's config folders, then the course
    (the same order as :func:`graders.engine.batch.load_config`)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in dict.fromkeys([*reversed(jupyter_config_path()), str(root)]):
        if os.path.isfile(os.path.join(folder, CONFIG_FILE)):
            config.merge(PyFileConfigLoader(CONFIG_FILE, path=folder).load_config())
    return config


def course_directory(root: Path, db: str | None = None):
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=load_config(root))
    if not coursedir.root or Path(coursedir.root).resolve() == Path.cwd().resolve():
        coursedir.root = str(root.resolve())
    if db:
        coursedir.db_url = db if "://" in db else f"sqlite:///{Path(db).resolve()}"
    return coursedir


def parse_comment(text: str) -> list[tuple[str, str, str]]:
    """The findings in one gradebook comment: (kind, code or review category, text)."""
    out = []
    for line in (text or "").splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        kind, rest = match.groups()
        coded = _CODED.match(rest) if kind in ("diagnosis", "tampering") else None
        if coded:
            out.append((kind, coded.group(1), coded.group(2)))
        else:
            out.append((kind, "", rest))
    return out


def _problem(kind: str, text: str) -> Problem:
    if kind == "tampering":
        return Problem("tampering", text)
    if "kernel died" in text:
        return Problem("kernel died", text)
    if kind == "autograder":
        for words, category in (("is missing", "notebook missing"),
                                ("not a valid notebook", "invalid notebook"),
                                ("could not prepare", "notebook could not be prepared")):
            if words in text:
                return Problem(category, text)
        return Problem("grading problem", text)
    if text.startswith("grading failed"):
        return Problem("grading failed", text)
    return Problem("grader's re-run failed", text)


def _review_hit(student: str, text: str) -> ReviewHit:
    match = _REVIEW.match(text)
    if not match:
        return ReviewHit(student, -1, -1, "other", text, "")
    category = match["category"]
    what, _, code = match["rest"].partition(f" ({category}): ")
    return ReviewHit(student, int(match["cell"]), int(match["line"]), category, what, code)


def read(root: Path, assignment: str, db: str | None = None) -> Gradebook:
    """Everything the report shows, read from the gradebook, the autograded notebooks and the
    names of the submitted notebooks (see the module docstring)."""
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

    coursedir = course_directory(root, db)
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
        tests = sorted((TestCell(cell, notebook, float(points or 0),
                                 TESTS[cell][0].grade_id if cell in TESTS else "")
                        for notebook, cell, points in cells),
                       key=lambda t: (order.get(t.name, len(order)), t.notebook, t.name))
        by_student: dict[str, Submission] = {}
        for (student,) in (session.query(SubmittedAssignment.student_id)
                           .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                           .filter(Assignment.name == assignment)):
            by_student[student] = Submission(student)

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
        comments = per_notebook(Comment.auto_comment).join(
            Comment, Comment.notebook_id == SubmittedNotebook.id).filter(
            Comment.auto_comment.isnot(None))
        for student, _notebook, text in comments:
            sub = by_student[student]
            for kind, code, message in parse_comment(text):
                if kind in ("diagnosis", "tampering") and code:
                    sub.codes.setdefault(code, message)
                if kind == "review":
                    sub.review.append(_review_hit(student, message))
                elif kind != "diagnosis":
                    sub.problems.append(_problem(kind, message))
        everyone = {s for (s,) in session.query(Student.id)}
    source = coursedir.db_url  # shown relative to the course folder when it is in it
    if source.startswith("sqlite:///"):
        db_path = Path(source.removeprefix("sqlite:///")).resolve()
        root_path = Path(coursedir.root).resolve()
        source = str(db_path.relative_to(root_path) if db_path.is_relative_to(root_path)
                     else db_path)
    notebooks = sorted({t.notebook for t in tests})
    for sub in by_student.values():
        _read_notebooks(coursedir, assignment, notebooks, sub)
        _read_submitted_names(coursedir, assignment, notebooks, sub)
    submissions = sorted(by_student.values(), key=lambda s: s.student)
    return Gradebook(assignment, tests, submissions, sorted(everyone - set(by_student)), source)


def _read_notebooks(coursedir, assignment: str, notebooks: list[str], sub: Submission) -> None:
    folder = Path(coursedir.format_path(coursedir.autograded_directory, sub.student, assignment))
    seconds = []
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
        recorded = (nb.get("metadata", {}).get("graders") or {}).get("seconds")
        if isinstance(recorded, (int, float)):
            seconds.append(float(recorded))
    if seconds:
        sub.seconds = sum(seconds)


def _read_submitted_names(coursedir, assignment: str, notebooks: list[str],
                          sub: Submission) -> None:
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
    said = " ".join(p.detail for p in sub.problems)
    renamed = []
    for name in missing:
        stem = name[:-len(".ipynb")].lower()
        candidates = [n for n in others if n.lower().startswith(stem)]
        if len(candidates) == 1 and "is missing" not in said:
            renamed.append(candidates[0])
            sub.problems.append(Problem("renamed notebook",
                                        f"graded {candidates[0]!r} as {name}"))
    extra = [n for n in others if n not in renamed]
    if extra:
        sub.problems.append(Problem("extra notebooks", "not graded: " + ", ".join(extra)))


# --------------------------------------------------------------------------- the numbers
def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _sentence(code: str) -> tuple[str, str]:
    """(kind, what it means) of a diagnosis code: the Exercise table's sentence for a
    catalogued mistake, a general description otherwise."""
    exercise, _, what = code.rpartition(".")
    ex = EXERCISES.get(exercise)
    if ex is not None:
        for mistake in ex.mistakes:
            if mistake.code == what:
                return "mistake", mistake.says
    if what == "tampering" or code == "gradebook":
        return "tampering", GENERAL[what or code]
    return "general", GENERAL.get(what, "")


def _exercise_label(grade_id: str) -> str:
    ex = EXERCISES.get(grade_id)
    return f"{ex.number} {grade_id}" if ex else (grade_id or "other")


def numbers(book: Gradebook) -> dict:
    """Every number the page shows, as plain data (``report.json``)."""
    subs, tests = book.submissions, book.tests
    n = len(subs)
    max_score = book.max_score
    scores = [s.score for s in subs]
    integral = all(float(x).is_integer() for x in scores) and max_score <= 60
    distribution = Counter(int(x) if integral else round(x, 2) for x in scores)

    test_rows = []
    codes_per_test: dict[str, Counter] = defaultdict(Counter)
    for sub in subs:
        for test, code in sub.test_codes.items():
            codes_per_test[test][code] += 1
    for t in tests:
        got = [s.scores.get(t.name, 0.0) for s in subs]
        passed = sum(1 for g in got if g >= t.points - 1e-9)
        partial = sum(1 for g in got if 0 < g < t.points - 1e-9)
        test_rows.append({
            "test": t.name, "notebook": t.notebook, "exercise": t.exercise,
            "points": t.points, "passed": passed, "partial": partial,
            "failed": n - passed - partial, "pass_rate": _pct(passed, n),
            "mean_points": round(sum(got) / n, 2) if n else 0.0,
            # Mistakes only: tampering is not one (Mistakes says so); it has its own count.
            "top_codes": [(code, count) for code, count in codes_per_test[t.name].most_common()
                          if _sentence(code)[0] != "tampering"][:3],
            "tampering": sum(count for code, count in codes_per_test[t.name].items()
                             if _sentence(code)[0] == "tampering"),
        })
    exercise_rows = []
    for grade_id in dict.fromkeys(t.exercise for t in tests):
        mine = [t for t in tests if t.exercise == grade_id]
        points = sum(t.points for t in mine)
        all_passed = sum(1 for s in subs
                         if all(s.scores.get(t.name, 0.0) >= t.points - 1e-9 for t in mine))
        got = sum(s.scores.get(t.name, 0.0) for s in subs for t in mine)
        exercise_rows.append({
            "exercise": grade_id, "label": _exercise_label(grade_id),
            "tests": [t.name for t in mine], "points": points, "all_passed": all_passed,
            "pass_rate": _pct(all_passed, n),
            "mean_points": round(got / n, 2) if n else 0.0,
        })

    students_per_code: dict[str, list[str]] = defaultdict(list)
    for sub in subs:
        for code in sub.codes:
            students_per_code[code].append(sub.student)
    mistakes, tampered = [], set()
    for code, students in sorted(students_per_code.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        kind, says = _sentence(code)
        if kind == "tampering":  # not a mistake: listed with the flagged submissions
            tampered.update(students)
            continue
        exercise = code.rpartition(".")[0]
        mistakes.append({"code": code, "exercise": exercise, "kind": kind, "says": says,
                         "count": len(students), "share": _pct(len(students), n),
                         "students": students})

    flagged = []
    categories: Counter = Counter()
    for sub in subs:
        if not (sub.flagged or sub.problems):
            continue
        reasons = list(dict.fromkeys(p.category for p in sub.problems))
        if sub.flagged and not reasons:
            reasons = ["flagged, no reason recorded"]
        categories.update(reasons)
        flagged.append({"student": sub.student, "flagged": sub.flagged, "reasons": reasons,
                        "details": list(dict.fromkeys(p.detail for p in sub.problems)),
                        "score": sub.score})
    review = [hit for sub in subs for hit in sub.review]

    recorded = [(s.seconds, s.student) for s in subs if s.seconds is not None]
    seconds = sorted(x for x, _ in recorded)
    times = {"recorded": len(recorded), "not_recorded": n - len(recorded)}
    if seconds:
        times.update({
            "median": round(statistics.median(seconds), 3),
            "p90": round(seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))], 3),
            "mean": round(statistics.fmean(seconds), 3), "max": round(seconds[-1], 3),
            "min": round(seconds[0], 3), "total": round(sum(seconds), 1),
            "slowest": [{"student": s, "seconds": round(x, 3)}
                        for x, s in sorted(recorded, key=lambda r: (-r[0], r[1]))[:10]],
        })
    return {
        "assignment": book.assignment, "gradebook": book.source, "max_score": max_score,
        "submissions": n, "without_submission": book.without_submission,
        "scores": {
            "distribution": {str(k): v for k, v in sorted(distribution.items())},
            "mean": round(statistics.fmean(scores), 2) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "full_marks": sum(1 for x in scores if x >= max_score - 1e-9),
            "zero": sum(1 for x in scores if x <= 1e-9),
        },
        "tests": test_rows, "exercises": exercise_rows, "mistakes": mistakes,
        "tampering": sorted(tampered),
        "flagged": {"count": sum(1 for f in flagged if f["flagged"]),
                    "by_reason": dict(categories.most_common()), "submissions": flagged},
        "review": {"hits": len(review), "submissions": len({h.student for h in review}),
                   "by_category": dict(Counter(h.category for h in review).most_common()),
                   "rows": [vars(h) for h in review]},
        "time": times,
    }


# --------------------------------------------------------------------------- the charts
BLUE, GREY, RED = "#3b6ea8", "#9aa5b1", "#c0504d"
#: Inches at 100 dpi: 680 px, shown at that width on a wide screen and scaled down at most to
#: 0.8 at 600 px, so that text of 9 points or more stays about 10 px or more (a chart drawn for
#: the whole 1,100 px column was halved there, its 8-point labels to 6 px).
CHART_WIDTH = 6.8
SMALL, LABEL, TITLE = 9, 10, 11  # font sizes in points (1 point = 1.39 px at 100 dpi)
EXERCISE_COLOURS = ["#3b6ea8", "#5b9a5b", "#c07a2c", "#8a5aa8", "#4a9aa8", "#a85a6a"]


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, facecolor="white")
    return buffer.getvalue()


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=LABEL)


def chart_scores(num: dict) -> bytes:
    dist = {float(k): v for k, v in num["scores"]["distribution"].items()}
    max_score = num["max_score"]
    fig = _figure(CHART_WIDTH, 2.8)
    ax = fig.add_subplot()
    if all(k.is_integer() for k in dist) and max_score <= 60:
        xs = list(range(int(max_score) + 1))
        ys = [dist.get(float(x), 0) for x in xs]
        bars = ax.bar(xs, ys, color=BLUE, width=0.8)
        ax.set_xticks(xs if len(xs) <= 31 else xs[::5])
        if len(xs) <= 31:
            ax.bar_label(bars, labels=[str(y) if y else "" for y in ys], fontsize=SMALL, padding=1)
    else:
        values = [k for k, v in dist.items() for _ in range(v)]
        ax.hist(values, bins=20, range=(0, max_score), color=BLUE)
    ax.set_xlabel(f"score (of {max_score:g})", fontsize=LABEL)
    ax.set_ylabel("submissions", fontsize=LABEL)
    ax.set_title(f"Scores of {_n(num['submissions'], 'submission')}", fontsize=TITLE, loc="left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.margins(y=0.15)
    _style(ax)
    return _png(fig)


def chart_pass_rates(num: dict) -> bytes:
    labels, rates, colours, weights = [], [], [], []
    for i, ex in enumerate(num["exercises"]):
        colour = EXERCISE_COLOURS[i % len(EXERCISE_COLOURS)]
        labels.append(f"Exercise {ex['label']}: all tests")
        rates.append(ex["pass_rate"])
        colours.append(colour)
        weights.append("bold")
        for row in (r for r in num["tests"] if r["exercise"] == ex["exercise"]):
            labels.append(f"{row['test']} ({row['points']:g} pt)")
            rates.append(row["pass_rate"])
            colours.append(colour + "99")
            weights.append("normal")
    fig = _figure(CHART_WIDTH, 0.7 + 0.27 * len(labels))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    bars = ax.barh(ys, rates, color=colours, height=0.72)
    ax.bar_label(bars, labels=[f"{r:.0f}%" for r in rates], fontsize=SMALL, padding=2)
    ax.set_yticks(ys, labels, fontsize=SMALL)
    for tick, weight in zip(ax.get_yticklabels(), weights, strict=True):
        tick.set_fontweight(weight)
    ax.set_xlim(0, 108)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_title("Passed (full marks), by exercise and test cell", fontsize=TITLE, loc="left")
    _style(ax)
    return _png(fig)


def chart_mistakes(num: dict, top: int = 15) -> bytes | None:
    rows = num["mistakes"][:top]
    if not rows:
        return None
    fig = _figure(CHART_WIDTH, 0.9 + 0.27 * len(rows))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    colours = [BLUE if r["kind"] == "mistake" else GREY for r in rows]
    bars = ax.barh(ys, [r["count"] for r in rows], color=colours, height=0.72)
    ax.bar_label(bars, labels=[str(r["count"]) for r in rows], fontsize=SMALL, padding=2)
    ax.set_yticks(ys, [r["code"] for r in rows], fontsize=SMALL)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.margins(x=0.1)
    more = len(num["mistakes"]) - len(rows)
    ax.set_title("Students per diagnosis code" + (f" (top {len(rows)}; {more} more in the "
                                                  "table)" if more > 0 else ""),
                 fontsize=TITLE, loc="left")
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color=BLUE, label="catalogued mistake"),
                        Patch(color=GREY, label="general code")],
               fontsize=SMALL, frameon=False, loc="outside upper right", ncols=2)
    ax.set_xlabel("students", fontsize=LABEL)
    _style(ax)
    return _png(fig)


def chart_times(seconds: list[float]) -> bytes | None:
    if not seconds:
        return None
    fig = _figure(CHART_WIDTH, 2.6)
    ax = fig.add_subplot()
    bins = max(5, min(40, len(seconds)))
    ax.hist(seconds, bins=bins, color=BLUE)
    median = statistics.median(seconds)
    ax.axvline(median, color=RED, linestyle="--", linewidth=1.2,
               label=f"median {median:.2f} s")
    ax.legend(fontsize=SMALL, frameon=False)
    ax.set_xlabel("seconds to grade one submission (graders autograde)", fontsize=LABEL)
    ax.set_ylabel("submissions", fontsize=LABEL)
    ax.set_title(f"Time per submission ({len(seconds)} recorded)", fontsize=TITLE, loc="left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(left=0)
    _style(ax)
    return _png(fig)


# --------------------------------------------------------------------------- the page
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 0 20px 40px; color: #1f2933;
       line-height: 1.4; }
h1 { font-size: 1.5em; margin: 0.8em 0 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #d9dee3;
     padding-bottom: 0.2em; }
.sub { color: #52606d; margin: 0 0 0.8em; font-size: 0.92em; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
nav a { margin-right: 0.8em; font-size: 0.92em; white-space: nowrap; display: inline-block; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 1em 0; }
.card { border: 1px solid #d9dee3; border-radius: 6px; padding: 6px 12px; min-width: 100px; }
.card b { display: block; font-size: 1.35em; }
.card span { color: #52606d; font-size: 0.85em; }
.card.warn { border-color: #c0504d; }
img.chart { display: block; max-width: 100%; height: auto; margin: 0.6em 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; width: 100%; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 8px; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
table.narrow { width: auto; min-width: 320px; }
td.id, th.id { white-space: nowrap; }
th { background: #f5f7fa; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.exercise td { font-weight: 600; background: #f9fafb; }
code { font-size: 0.92em; }
.tag { display: inline-block; border-radius: 3px; padding: 0 5px; font-size: 0.8em;
       background: #e4e7eb; margin: 1px 2px 1px 0; white-space: nowrap; }
.tag.mistake { background: #dbe7f5; } .tag.tampering, .tag.bad { background: #f5d9d8; }
.note { color: #52606d; font-size: 0.88em; }
details summary { cursor: pointer; }
.ids { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85em; }
a.tag { color: inherit; }
/* Narrow screens (a phone, a half-width window): each row becomes a block of "column: value"
   lines, so no table is wider than the page; charts are drawn for this width too. */
@media (max-width: 720px) {
  body { padding: 0 12px 30px; }
  table, table.narrow { min-width: 0; width: 100%; }
  table thead { display: none; }
  table, table tbody, table tr, table td { display: block; }
  table tr { border-bottom: 1px solid #c5ccd3; padding: 4px 0; }
  table td, td.num, td.id { border: none; padding: 1px 4px; text-align: left;
                            white-space: normal; overflow-wrap: anywhere; }
  table td::before { content: attr(data-label) ": "; color: #52606d; font-size: 0.9em; }
  table td[data-label=""]::before, table td:first-child::before { content: none; }
  table td:first-child { font-weight: 600; }
  table td:empty { display: none; }
  tr.exercise td { background: none; }
  tr.exercise { background: #f9fafb; }
}
"""


class Markup(str):
    """HTML made here, inserted as is by :func:`_td`."""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _img(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="chart" src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _ids(students: list[str], csv_name: str) -> Markup:
    shown = ", ".join(_e(s) for s in students[:SHOWN_IDS])
    more = len(students) - SHOWN_IDS
    if more > 0:
        shown += f' and {more} more (all in <a href="{csv_name}">{csv_name}</a>)'
    if len(students) <= 5:
        return Markup(f'<span class="ids">{shown}</span>')
    return Markup(f'<details><summary>{len(students)} students</summary>'
                  f'<span class="ids">{shown}</span></details>')


def _cut(total: int, shown: int, csv_name: str, what: str) -> str:
    if total <= shown:
        return ""
    return (f'<p class="note">Showing {shown} of {total} {what}; all of them are in '
            f'<a href="{csv_name}">{csv_name}</a>.</p>')


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _card(value, label: str, warn: bool = False) -> str:
    return (f'<div class="card{" warn" if warn else ""}"><b>{_e(value)}</b>'
            f'<span>{_e(label)}</span></div>')


def _table(table_id: str, header: list[str], rows: list[str], cls: str = "") -> str:
    """A table; ``header`` cells starting with "#" are numeric (right-aligned), with "@" ids."""
    def th(label: str) -> str:
        kind = {"#": ' class="num"', "@": ' class="id"'}.get(label[:1], "")
        return f"<th{kind}>{_e(label.lstrip('#@'))}</th>"

    labels = [_e(h.lstrip("#@")) for h in header]

    def labelled(row: str) -> str:  # each cell names its column, for the narrow layout
        cells = iter(labels)
        return re.sub(r"<td(?=[ >])", lambda m: f'<td data-label="{next(cells, "")}"', row)

    return (f'<div class="scroll"><table id="{table_id}"{f" class={cls!r}" if cls else ""}>'
            "<thead><tr>" + "".join(th(h) for h in header) + "</tr></thead><tbody>\n"
            + "\n".join(labelled(r) for r in rows) + "\n</tbody></table></div>")


def _td(value, kind: str = "") -> str:
    """One cell: ``kind`` "#" for a number, "@" for an id, "" for text; values are escaped,
    except :class:`Markup` (HTML this module made)."""
    css = {"#": ' class="num"', "@": ' class="id"'}.get(kind, "")
    return f"<td{css}>{value if isinstance(value, Markup) else _e(value)}</td>"


def _tags(items, css: str = "") -> Markup:
    return Markup(" ".join(f'<span class="tag {css}">{_e(item)}</span>' for item in items))


def _header(num: dict, title: str, generated: str) -> list[str]:
    n, sc, tm = num["submissions"], num["scores"], num["time"]
    fl, rv = num["flagged"], num["review"]
    where = num["gradebook"]
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_n(n, "submission")} in {_e(where)}; made {_e(generated)} by '
        f"<code>graders report {_e(num['assignment'])}</code>.</p>",
        "<nav>" + " ".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in (
            ("scores", "Scores"), ("tests", "Exercises and tests"), ("mistakes", "Mistakes"),
            ("flagged", "Flagged"), ("review", "Review list"), ("time", "Time"),
            ("submissions", "Submissions"))) + "</nav>",
        '<div class="cards">',
        _card(n, "submissions"),
        _card(f"{sc['mean']:g} / {num['max_score']:g}" if n else "-", "mean score"),
        _card(f"{sc['median']:g}" if n else "-", "median score"),
        _card(sc["full_marks"], "full marks"),
        _card(fl["count"], "flagged", warn=fl["count"] > 0),
        _card(rv["hits"], "review hits", warn=rv["hits"] > 0),
        _card(f"{tm['median']:.2f} s" if tm["recorded"] else "not recorded",
              "median grading time"),
        "</div>",
    ]
    missing = num["without_submission"]
    if missing:
        more = len(missing) - SHOWN_IDS
        parts.append(f'<p class="note">{_n(len(missing), "student")} in the gradebook without '
                     f"a submission: {_e(', '.join(missing[:SHOWN_IDS]))}"
                     f"{f' and {more} more' if more > 0 else ''}.</p>")
    return parts


def _scores(num: dict, charts: dict) -> list[str]:
    sc = num["scores"]
    parts = ['<h2 id="scores">Score distribution</h2>',
             _img(charts.get("scores"), "Histogram of the scores")]
    if num["submissions"]:
        per_score = ", ".join(f"{k}: {v}" for k, v in sc["distribution"].items())
        parts.append(f'<p class="note" id="score-summary">Mean {sc["mean"]:g}, median '
                     f'{sc["median"]:g}, full marks {sc["full_marks"]}, zero {sc["zero"]}. '
                     f"Submissions per score: {per_score}.</p>")
    return parts


def _tests(num: dict, charts: dict) -> list[str]:
    n, rows = num["submissions"], []
    for ex in num["exercises"]:
        rows.append(f'<tr class="exercise" data-exercise="{_e(ex["exercise"])}">'
                    + _td(f"Exercise {ex['label']} (all its tests)") + _td(f"{ex['points']:g}",
                    "#") + _td(ex["all_passed"], "#") + _td(f"{ex['pass_rate']:.1f}%", "#")
                    + _td(n - ex["all_passed"], "#") + _td(f"{ex['mean_points']:g}", "#")
                    + _td("") + "</tr>")
        for row in (r for r in num["tests"] if r["exercise"] == ex["exercise"]):
            rows.append(f'<tr data-test="{_e(row["test"])}">'
                        + _td(Markup(f"<code>{_e(row['test'])}</code>"))
                        + _td(f"{row['points']:g}", "#") + _td(row["passed"], "#")
                        + _td(f"{row['pass_rate']:.1f}%", "#")
                        + _td(row["failed"] + row["partial"], "#")
                        + _td(f"{row['mean_points']:g}", "#")
                        + _td(_diagnoses(row)) + "</tr>")
    return ['<h2 id="tests">Exercises and test cells</h2>',
            _img(charts.get("pass_rates"), "Pass rate of each exercise and test cell"),
            _table("tests-table", ["exercise / test cell", "#points", "#passed", "#pass rate",
                                   "#failed", "#mean points", "most common diagnoses"], rows)]


def _diagnoses(row: dict) -> Markup:
    """A test's most common mistakes, then how many failed it for tampering (not a mistake:
    a link to the Flagged section, where it is listed)."""
    tags = _tags(f"{code} {count}" for code, count in row["top_codes"])
    if row.get("tampering"):
        tags = Markup(f'{tags} <a href="#flagged" class="tag tampering">tampering '
                      f'{row["tampering"]}: see Flagged</a>'.strip())
    return tags


def _prose(text: str) -> Markup:
    """Text whose `code` spans (the catalogue's sentences use backticks) become <code>."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return Markup(_e(text))
    return Markup("".join(f"<code>{_e(part)}</code>" if i % 2 else _e(part)
                          for i, part in enumerate(parts)))


def _mistakes(num: dict, charts: dict) -> list[str]:
    parts = ['<h2 id="mistakes">Mistakes, by how many students made them</h2>',
             '<p class="note">Each failed test records a diagnosis code. A catalogued mistake '
             "(graders/checks/exercises.py) was recognised on the lesson's data and on the "
             "grader's new inputs; a general code says what was wrong when no known mistake "
             "matched. A student counts once per code.</p>",
             _img(charts.get("mistakes"), "Students per diagnosis code")]
    rows = [f'<tr data-code="{_e(m["code"])}">'
            + _td(Markup(f"<code>{_e(m['code'])}</code><br>{_tags([m['kind']], m['kind'])}"),
                  "@")
            + _td(_prose(m["says"])) + _td(f"{m['count']} ({m['share']:.0f}%)", "#")
            + _td(_ids(m["students"], "mistakes.csv")) + "</tr>" for m in num["mistakes"]]
    if rows:
        parts.append(_table("mistakes-table", ["@code", "what the student did", "#students",
                                               "who"], rows))
    else:
        parts.append("<p>No test failed with a diagnosis.</p>")
    if num["tampering"]:
        parts.append(f'<p class="note">Tampering ({_n(len(num["tampering"]), "submission")}) '
                     'is not counted here: see <a href="#flagged">Flagged</a>.</p>')
    return parts


def _flagged(num: dict) -> list[str]:
    fl = num["flagged"]
    parts = ['<h2 id="flagged">Flagged submissions and notes</h2>',
             '<p class="note">Flagged in the gradebook (formgrader shows the flag): kernel '
             "deaths, missing or invalid notebooks, tampering, failed grading. Notes without a "
             "flag: a notebook saved under another name, extra notebooks (read from "
             "<code>submitted/</code>).</p>"]
    subs = fl["submissions"]
    if not subs:
        return [*parts, "<p>None.</p>"]
    rows = []
    for f in subs[:SHOWN_ROWS]:
        details = "<br>".join(_e(d) for d in f["details"][:3])
        if len(f["details"]) > 3:
            details += f"<br>... and {len(f['details']) - 3} more (flagged.csv)"
        rows.append(f'<tr data-student="{_e(f["student"])}">' + _td(f["student"], "@")
                    + _td("yes" if f["flagged"] else "no") + _td(f"{f['score']:g}", "#")
                    + _td(_tags(f["reasons"], "bad")) + _td(Markup(details)) + "</tr>")
    return [*parts,
            "<p>" + _tags((f"{k}: {v}" for k, v in fl["by_reason"].items()), "bad") + "</p>",
            _table("flagged-table", ["@student", "flagged", "#score", "why", "details"], rows),
            _cut(len(subs), SHOWN_ROWS, "flagged.csv", "submissions")]


def _review(num: dict) -> list[str]:
    rv = num["review"]
    parts = ['<h2 id="review">Review list</h2>',
             '<p class="note">Lines of the students\' own code worth a look (introspection, '
             "monkeypatching, processes, files...). No points were taken for them.</p>"]
    hits = rv["rows"]
    if not hits:
        return [*parts, "<p>Nothing to review.</p>"]
    rows = ["<tr>" + _td(h["student"], "@") + _td(h["cell"], "#") + _td(h["line"], "#")
            + _td(h["category"]) + _td(h["what"]) + _td(Markup(f"<code>{_e(h['code'])}</code>"))
            + "</tr>" for h in hits[:SHOWN_ROWS]]
    return [*parts,
            "<p>" + _tags(f"{k}: {v}" for k, v in rv["by_category"].items()) + "</p>",
            _table("review-table", ["@student", "#cell", "#line", "category", "what", "code"],
                   rows),
            _cut(len(hits), SHOWN_ROWS, "review.csv", "hits")]


def _time(num: dict, charts: dict) -> list[str]:
    tm = num["time"]
    parts = ['<h2 id="time">Time per submission</h2>']
    if not tm["recorded"]:
        return [*parts, '<p id="time-summary">Not recorded: these submissions were graded by '
                "stock <code>nbgrader autograde</code>, which keeps no grading time; "
                "<code>graders autograde</code> records it in each autograded notebook.</p>"]
    unrecorded = (f" Not recorded for {_n(tm['not_recorded'], 'submission')} (graded by stock "
                  "nbgrader autograde, or no notebook to run)." if tm["not_recorded"] else "")
    rows = ["<tr>" + _td(r["student"], "@") + _td(f"{r['seconds']:.2f}", "#") + "</tr>"
            for r in tm["slowest"]]
    return [*parts, _img(charts.get("times"), "Histogram of the grading time per submission"),
            f'<p id="time-summary">Median {tm["median"]:.2f} s, 90th percentile '
            f'{tm["p90"]:.2f} s, max {tm["max"]:.2f} s; {tm["total"]:g} s in all (grading '
            f"processes run side by side, so the batch took less).{unrecorded}</p>",
            _table("slowest-table", ["@slowest", "#seconds"], rows, cls="narrow")]


def _submissions(num: dict) -> list[str]:
    subs, n = num["students"], num["submissions"]
    parts = ['<h2 id="submissions">Submissions</h2>']
    if n > ALL_SUBMISSIONS_UP_TO:
        subs = sorted(subs, key=lambda s: (s["score"], s["student"]))[:20]
        parts.append(f'<p class="note">{n} submissions: the 20 lowest scores are below; all of '
                     'them are in <a href="students.csv">students.csv</a>.</p>')
    rows = [f'<tr data-student="{_e(s["student"])}">' + _td(s["student"], "@")
            + _td(f"{s['score']:g}", "#") + _td("yes" if s["flagged"] else "")
            + _td(_tags(s["codes"]))
            + _td("-" if s["seconds"] is None else f"{s['seconds']:.2f}", "#") + "</tr>"
            for s in subs]
    files = ", ".join(f'<a href="{f}">{f}</a>' for f in [*CSV_FILES, "report.json"])
    return [*parts, _table("students-table", ["@student", "#score", "flagged", "diagnoses",
                                              "#seconds"], rows),
            f'<p class="note">Files next to this page: {files}.</p>']


def render(num: dict, charts: dict[str, bytes | None], title: str, generated: str) -> str:
    """The page: one HTML file, styles inline, charts as data URIs, no script."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
             *_header(num, title, generated), *_scores(num, charts), *_tests(num, charts),
             *_mistakes(num, charts), *_flagged(num), *_review(num), *_time(num, charts),
             *_submissions(num), "</body></html>"]
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- files
CSV_FILES = ["students.csv", "tests.csv", "mistakes.csv", "flagged.csv", "review.csv"]


def _write_csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_csvs(num: dict, out: Path) -> None:
    _write_csv(out / "students.csv", ["student", "score", "max_score", "flagged", "seconds",
                                      "diagnoses"],
               ([s["student"], f"{s['score']:g}", f"{num['max_score']:g}",
                 "yes" if s["flagged"] else "", "" if s["seconds"] is None else s["seconds"],
                 " ".join(s["codes"])] for s in num["students"]))
    _write_csv(out / "tests.csv", ["test", "exercise", "points", "passed", "partial", "failed",
                                   "pass_rate", "mean_points"],
               ([r["test"], r["exercise"], f"{r['points']:g}", r["passed"], r["partial"],
                 r["failed"], r["pass_rate"], r["mean_points"]] for r in num["tests"]))
    _write_csv(out / "mistakes.csv", ["code", "kind", "student"],
               ([m["code"], m["kind"], s] for m in num["mistakes"] for s in m["students"]))
    _write_csv(out / "flagged.csv", ["student", "flagged", "reason", "detail"],
               ([f["student"], "yes" if f["flagged"] else "no", "; ".join(f["reasons"]), d]
                for f in num["flagged"]["submissions"] for d in (f["details"] or [""])))
    _write_csv(out / "review.csv", ["student", "cell", "line", "category", "what", "code"],
               ([h["student"], h["cell"], h["line"], h["category"], h["what"], h["code"]]
                for h in num["review"]["rows"]))


def summary(num: dict, index: Path) -> str:
    """The few lines ``graders report`` prints (the end of ``make grade``)."""
    n, sc, tm = num["submissions"], num["scores"], num["time"]
    lines = [f"Report: {index}"]
    if not n:
        return "\n".join([*lines, "  no submissions yet"])
    lines.append(f"  {_n(n, 'submission')}: mean {sc['mean']:g} / {num['max_score']:g}, median "
                 f"{sc['median']:g}, full marks {sc['full_marks']}, zero {sc['zero']}")
    hardest = min(num["tests"], key=lambda r: (r["pass_rate"], r["test"]), default=None)
    if hardest:
        lines.append(f"  hardest test: {hardest['test']} ({hardest['pass_rate']:.0f}% passed)")
    if num["mistakes"]:
        top = ", ".join(f"{m['code']} ({m['count']})" for m in num["mistakes"][:3])
        lines.append(f"  most common diagnoses: {top}")
    fl = num["flagged"]
    if fl["submissions"]:
        why = ", ".join(f"{k} {v}" for k, v in fl["by_reason"].items())
        lines.append(f"  flagged: {fl['count']} ({why})")
    rv = num["review"]
    if rv["hits"]:
        lines.append(f"  review list: {_n(rv['hits'], 'line')} in "
                     f"{_n(rv['submissions'], 'submission')}")
    if tm["recorded"]:
        lines.append(f"  time per submission: median {tm['median']:.2f} s, max {tm['max']:.2f} s"
                     + (f" (not recorded for {tm['not_recorded']})" if tm["not_recorded"]
                        else ""))
    else:
        lines.append("  time per submission: not recorded (graded by stock nbgrader autograde)")
    return "\n".join(lines)


def build(root: Path, assignment: str, out: Path | None = None, db: str | None = None,
          title: str | None = None) -> tuple[Path, dict]:
    """Read, count, draw and write the report; returns ``index.html``'s path and the numbers."""
    book = read(Path(root), assignment, db)
    num = numbers(book)
    num["students"] = [{"student": s.student, "score": s.score, "flagged": s.flagged,
                        "seconds": s.seconds, "codes": sorted(s.codes)}
                       for s in book.submissions]
    seconds = [s.seconds for s in book.submissions if s.seconds is not None]
    charts = {"scores": chart_scores(num) if book.submissions else None,
              "pass_rates": chart_pass_rates(num) if book.submissions else None,
              "mistakes": chart_mistakes(num), "times": chart_times(seconds)}
    out = Path(out) if out else Path(root) / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    generated = time.strftime("%Y-%m-%d %H:%M")
    page = render(num, charts, title or f"{assignment}: instructor's report", generated)
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    write_csvs(num, out)
    (out / "report.json").write_text(json.dumps(num, indent=1), encoding="utf-8")
    return index, num


def main(root: str, assignment: str, out: str | None = None, db: str | None = None) -> int:
    root_path = Path(root)
    try:
        index, num = build(root_path, assignment, Path(out) if out else None, db)
    except SystemExit as err:
        print(err, file=sys.stderr)
        return 2
    try:
        shown = index.relative_to(Path.cwd())
    except ValueError:
        shown = index
    print(summary(num, shown))
    return 0
