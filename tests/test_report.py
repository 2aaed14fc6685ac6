"""``graders report``: the instructor's report holds the gradebook's numbers.

Three gradebooks: a dozen submissions graded by ``graders autograde`` (corpus and mistake files,
a kernel death, tampering, a renamed, an invalid and a missing notebook), two graded by stock
``nbgrader autograde`` (no grading time recorded), and 5,000 synthetic submissions written with
nbgrader's own models (the page must stay small and quick to make). Each time the real command
runs, and what the page shows (its tables, read back from the HTML), the CSV files and
``report.json`` are compared with the gradebook, the autograded notebooks and the cell files'
``# expect-code`` lines.
"""

from __future__ import annotations

import csv
import json
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import (
    ASSIGNMENT,
    CORPUS,
    REPORT_CASES,
    GradedCourse,
    add_submissions,
    course_env,
    expected_codes,
    make_course,
    run_nbgrader,
)
from nbgrader.api import Gradebook

from graders.checks.exercises import EXERCISES, TESTS
from graders.report import SHOWN_IDS, SHOWN_ROWS

pytestmark = pytest.mark.xdist_group("report")


def run_report(course: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "graders", "report", ASSIGNMENT, *args],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


class Tables(HTMLParser):
    """Every table of the page by id: its rows as (data-* attributes, cell texts)."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[str]]]] = {}
        self.paragraphs: dict[str, str] = {}
        self._table = self._row = self._cell = self._para = None
        self.images: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = ({k: v for k, v in attrs.items() if k.startswith("data-")}, [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "p" and attrs.get("id"):
            self._para = (attrs["id"], [])
        elif tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row[1] and self._table is not None:
                self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "p" and self._para is not None:
            self.paragraphs[self._para[0]] = " ".join("".join(self._para[1]).split())
            self._para = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._para is not None:
            self._para[1].append(data)

    def body(self, table: str) -> list[tuple[dict, list[str]]]:
        return self.tables[table][1:]  # without the header row


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


class Report:
    def __init__(self, course: Path, proc: subprocess.CompletedProcess, seconds: float):
        self.folder = course / "reports" / ASSIGNMENT
        self.stdout, self.seconds = proc.stdout, seconds
        self.html = (self.folder / "index.html").read_text(encoding="utf-8")
        self.page = Tables(self.html)
        self.data = json.loads((self.folder / "report.json").read_text(encoding="utf-8"))

    def csv(self, name: str) -> list[dict]:
        return read_csv(self.folder / name)


def made(course: Path, *args: str) -> Report:
    start = time.monotonic()
    proc = run_report(course, *args)
    return Report(course, proc, time.monotonic() - start)


@pytest.fixture(scope="module")
def report(report_course) -> Report:
    return made(report_course.path)


def gradebook_scores(course: GradedCourse) -> dict[str, dict[str, float]]:
    with Gradebook(course.db_url) as gb:
        out = {}
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            nb = sub.notebooks[0]
            out[sub.student_id] = {g.name: g.score for g in nb.grades}
            out[sub.student_id]["total"] = sub.score
        return out


def students(course: GradedCourse) -> list[str]:
    return sorted(gradebook_scores(course))


# --- a course graded by the engine ------------------------------------------------------------


def test_score_distribution_is_the_gradebooks(report, report_course):
    scores = gradebook_scores(report_course)
    expected = Counter(int(s["total"]) for s in scores.values())
    assert report.data["scores"]["distribution"] == {str(k): v for k, v in
                                                     sorted(expected.items())}
    assert report.data["submissions"] == len(scores) == 14
    shown = report.page.paragraphs["score-summary"]
    for score, count in expected.items():
        assert f"{score}: {count}" in shown
    rows = {r["student"]: float(r["score"]) for r in report.csv("students.csv")}
    assert rows == {s: v["total"] for s, v in scores.items()}
    page_rows = {cells[0]: float(cells[1]) for _, cells in report.page.body("students-table")}
    assert page_rows == rows


def test_pass_rates_per_test_cell_and_exercise_are_the_gradebooks(report, report_course):
    scores = gradebook_scores(report_course)
    n = len(scores)
    rows = {attrs["data-test"]: cells for attrs, cells in report.page.body("tests-table")
            if "data-test" in attrs}
    assert list(rows) == list(TESTS)  # every test cell, in the Exercise table's order
    for test, (ex, part) in TESTS.items():
        points = ex.parts[part].points
        passed = sum(1 for s in scores.values() if s[test] >= points)
        assert rows[test][1:4] == [f"{points:g}", str(passed), f"{100 * passed / n:.1f}%"], test
    exercises = {attrs["data-exercise"]: cells for attrs, cells in report.page.body("tests-table")
                 if "data-exercise" in attrs}
    for grade_id, ex in EXERCISES.items():
        ids = [ex.test_id(p) for p in ex.parts]
        all_passed = sum(1 for s in scores.values()
                         if all(s[t] >= ex.parts[t.rsplit("_", 1)[1]].points for t in ids))
        assert exercises[grade_id][2:4] == [str(all_passed), f"{100 * all_passed / n:.1f}%"]


def test_mistakes_name_the_students_who_made_them(report, report_course):
    # from the autograded notebooks (metadata.graders.code of each test cell): an independent
    # record of the same verdicts the gradebook's comments hold
    by_code = defaultdict(set)
    for student in students(report_course):
        path = report_course.path / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        if path.exists():
            for code in report_course.cell_codes(student).values():
                if not code.endswith(".tampering"):
                    by_code[code].add(student)
    reported = {m["code"]: set(m["students"]) for m in report.data["mistakes"]}
    assert reported == by_code
    # and each cell file's expected diagnosis is there, with its student
    for case in REPORT_CASES:
        for code in expected_codes(case).values():
            if not code.endswith(".tampering"):
                assert case.stem in reported[code], (case.stem, code)
    assert reported["numpy_bridge.copy"] == {"19_torch_tensor_copy", "69_clone_copy"}
    # the page: one row per code, most students first, the catalogue's sentence and the ids
    rows = {attrs["data-code"]: cells for attrs, cells in report.page.body("mistakes-table")}
    assert set(rows) == set(reported)
    counts = [len(reported[code]) for code in rows]
    assert counts == sorted(counts, reverse=True)
    for code, cells in rows.items():
        grade_id, _, what = code.rpartition(".")
        mistake = next((m for m in EXERCISES[grade_id].mistakes if m.code == what), None)
        if mistake is not None:
            # the catalogue's `code` spans are <code> on the page, without their backticks
            assert cells[1] == mistake.says.replace("`", "") and "mistake" in cells[0]
        else:
            assert "general" in cells[0] and cells[1]
        assert cells[2].startswith(f"{len(reported[code])} (")
        for student in reported[code]:
            assert student in cells[3]
    csv_rows = defaultdict(set)
    for row in report.csv("mistakes.csv"):
        csv_rows[row["code"]].add(row["student"])
    assert csv_rows == reported


def test_flagged_submissions_say_why(report, report_course):
    with Gradebook(report_course.db_url) as gb:
        flagged = {sub.student_id for sub in gb.find_assignment(ASSIGNMENT).submissions
                   if any(nb.flagged for nb in sub.notebooks)}
    rows = {attrs["data-student"]: cells for attrs, cells in report.page.body("flagged-table")}
    assert {s for s, cells in rows.items() if cells[1] == "yes"} == flagged
    why = {s: cells[3] for s, cells in rows.items()}
    assert why == {
        "16_patched_torch_allclose": "tampering",
        "40_kernel_exit_ex2": "kernel died",
        "51_invalid_json": "invalid notebook",
        "52_no_notebook": "notebook missing",
        "50_renamed_notebook": "renamed notebook",  # a note: the gradebook does not flag it
    }
    assert rows["50_renamed_notebook"][1] == "no"
    assert "tensors (1).ipynb" in rows["50_renamed_notebook"][4]
    assert "exited with code 1" in rows["40_kernel_exit_ex2"][4]
    assert report.data["flagged"]["count"] == len(flagged) == 4


def test_tampering_is_not_counted_among_a_tests_mistakes(report):
    """Mistakes says tampering is not a mistake; the tests table agrees: its diagnoses column
    lists mistakes, and tampering apart, as a link to Flagged."""
    rows = {attrs["data-test"]: cells for attrs, cells in report.page.body("tests-table")
            if "data-test" in attrs}
    tampered = [test for test, cells in rows.items() if "tampering" in cells[6]]
    assert tampered  # 16_patched_torch_allclose failed its value tests for it
    for test, cells in rows.items():
        assert ".tampering" not in cells[6], (test, cells[6])
        assert all(".tampering" not in code for code, _ in next(
            r["top_codes"] for r in report.data["tests"] if r["test"] == test))
    for test in tampered:
        assert "tampering 1: see Flagged" in rows[test][6]
    assert report.html.count('href="#flagged" class="tag tampering"') == len(tampered)


def test_what_the_student_did_reads_as_text(report):
    """No literal backticks: the catalogue's `code` spans are set as code."""
    for _, cells in report.page.body("mistakes-table"):
        assert "`" not in cells[1], cells[1]
    assert "<code>raise NotImplementedError()</code>" in report.html


def test_one_mean_on_the_card_in_the_text_and_the_summary(report):
    mean = report.data["scores"]["mean"]
    shown = f"{mean:g}"
    assert f"<b>{shown} / 15</b>" in report.html
    assert f"Mean {shown}," in report.page.paragraphs["score-summary"]
    assert f"mean {shown} / 15" in report.stdout
    assert len({m for m in re.findall(r"[Mm]ean (?:score )?(\d+\.?\d*)", report.stdout)}) == 1


def test_review_list_has_student_cell_line_and_category(report, report_course):
    rows = [cells for _, cells in report.page.body("review-table")]
    with Gradebook(report_course.db_url) as gb:
        lines = [(sub.student_id, line) for sub in gb.find_assignment(ASSIGNMENT).submissions
                 for c in sub.notebooks[0].comments for line in (c.auto_comment or "").split("\n")
                 if line.startswith("[review] ")]
    assert len(rows) == len(lines) == len(report.csv("review.csv"))
    assert ["30_patched_grader_module", "7", "1", "the grader's package",
            "imports graders.kernel", "import graders.kernel"] in rows
    assert any(r[0] == "40_kernel_exit_ex2" and r[3] == "processes" and "os._exit" in r[5]
               for r in rows)


def test_time_per_submission_is_the_engines(report, report_course):
    recorded = {}
    for student in students(report_course):
        path = report_course.path / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        if path.exists():
            recorded[student] = nbformat.read(path, as_version=4).metadata["graders"]["seconds"]
    assert len(recorded) == 12  # all but the invalid and the missing notebook
    rows = {r["student"]: r["seconds"] for r in report.csv("students.csv")}
    assert {s: float(v) for s, v in rows.items() if v} == recorded
    assert rows["52_no_notebook"] == rows["51_invalid_json"] == ""
    assert report.data["time"]["recorded"] == 12 and report.data["time"]["not_recorded"] == 2
    assert "Median" in report.page.paragraphs["time-summary"]
    assert len(report.page.body("slowest-table")) == 10


def test_page_is_one_file_with_four_charts(report):
    images = report.page.images
    assert len(images) == 4 and all(src.startswith("data:image/png;base64,") for src in images)
    for forbidden in ("<script", "http://", "https://", "<link", "@import", "url("):
        assert forbidden not in report.html, forbidden
    assert "&lt;" not in report.html  # no markup of the page's own escaped as text


def test_summary_is_printed(report):
    out = report.stdout
    assert out.startswith("Report: reports/tensors/index.html")
    assert "14 submissions: mean" in out
    assert "flagged: 4 (" in out and "kernel died 1" in out
    assert "time per submission: median" in out
    print(f"\ngraders report on 14 submissions: {report.seconds:.1f} s")


# --- stock nbgrader autograde --------------------------------------------------------------


def test_report_after_stock_nbgrader_says_time_not_recorded(tmp_path):
    course = make_course(tmp_path)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    add_submissions(course, [CORPUS / "01_reference.py", CORPUS / "07_missing_bias_ex1.py"])
    run_nbgrader(course, "autograde", ASSIGNMENT)
    rep = made(course)
    assert "time per submission: not recorded" in rep.stdout
    assert rep.page.paragraphs["time-summary"].startswith("Not recorded")
    assert rep.data["time"] == {"recorded": 0, "not_recorded": 2}
    assert len(rep.page.images) == 3  # scores, pass rates, mistakes; no time chart
    assert rep.data["scores"]["distribution"] == {"13": 1, "15": 1}
    assert [m["code"] for m in rep.data["mistakes"]] == ["single_layer_sum.no_bias"]
    assert rep.data["mistakes"][0]["students"] == ["07_missing_bias_ex1"]
    value = next(cells for attrs, cells in rep.page.body("tests-table")
                 if attrs.get("data-test") == "test_single_layer_sum_value")
    assert value[2:4] == ["1", "50.0%"] and "single_layer_sum.no_bias 1" in value[6]
    assert rep.data["flagged"]["submissions"] == [] and rep.data["review"]["hits"] == 0


# --- 5,000 submissions ----------------------------------------------------------------------

SYNTHETIC = 5000


def build_synthetic_course(root: Path, n: int, seed: int = 7) -> dict:
    """A gradebook with ``n`` graded submissions, written in bulk with nbgrader's models, and
    small autograded notebooks (the metadata the report reads). Returns what was written."""
    from nbgrader.api import (
        Comment,
        Grade,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
    )

    from graders.findings import JUDGE

    rng = random.Random(seed)
    (root / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "synthetic"\n')
    truth = {"scores": {}, "codes": defaultdict(set), "flagged": {}, "review": 0,
             "seconds": {}}
    general = ["wrong_value", "not_done", "error", "typed_in"]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "synthetic") as gb:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(ASSIGNMENT, ASSIGNMENT)
        cells, solutions = {}, {}
        for ex in EXERCISES.values():
            solutions[ex.grade_id] = gb.add_solution_cell(ex.grade_id, ASSIGNMENT, ASSIGNMENT).id
            for part, spec in ex.parts.items():
                cells[ex.test_id(part)] = gb.add_grade_cell(
                    ex.test_id(part), ASSIGNMENT, ASSIGNMENT, max_score=spec.points,
                    cell_type="code").id
        assignment = gb.find_assignment(ASSIGNMENT)
        notebook_id = assignment.notebooks[0].id
        rows = defaultdict(list)
        for i in range(n):
            student = f"s{i:05d}"
            sa, sn = uuid.uuid4().hex, uuid.uuid4().hex
            rows[Student].append({"id": student})
            rows[SubmittedAssignment].append({"id": sa, "assignment_id": assignment.id,
                                              "student_id": student})
            comments = defaultdict(list)
            scores = {}
            for ex in EXERCISES.values():
                failed, code = [], None
                roll = rng.random()
                if roll < 0.25 and ex.mistakes:
                    mistake = rng.choice(ex.mistakes)
                    code, failed = ex.code(mistake.code), [rng.choice(list(ex.parts))]
                elif roll < 0.32:
                    code, failed = ex.code(rng.choice(general)), list(ex.parts)
                if code:
                    truth["codes"][code].add(student)
                    says = JUDGE.get(code.rpartition(".")[2], ("a message",))[0]
                    comments[ex.grade_id].append(f"[diagnosis] {code}: {says}")
                for part, spec in ex.parts.items():
                    scores[ex.test_id(part)] = 0.0 if part in failed else float(spec.points)
            flagged = rng.random() < 0.03
            if flagged:
                reason = rng.choice(["kernel died", "tampering"])
                truth["flagged"][student] = reason
                comments["single_layer_sum"].append(
                    "[autograder] kernel_died: cell 13: kernel died (the process exited with "
                    "code 1)"
                    if reason == "kernel died" else
                    "[tampering] single_layer_sum.tampering: torch.allclose has been replaced")
            if rng.random() < 0.04:
                truth["review"] += 1
                comments["multilayer"].append(
                    "[review] introspection: cell 9, line 2: imports gc (introspection): "
                    "import gc")
            rows[SubmittedNotebook].append({"id": sn, "assignment_id": sa,
                                            "notebook_id": notebook_id, "flagged": flagged})
            for test, score in scores.items():
                rows[Grade].append({"id": uuid.uuid4().hex, "notebook_id": sn,
                                    "cell_id": cells[test], "auto_score": score,
                                    "needs_manual_grade": False})
            for grade_id, cell_id in solutions.items():
                rows[Comment].append({"id": uuid.uuid4().hex, "notebook_id": sn,
                                      "cell_id": cell_id,
                                      "auto_comment": "\n".join(comments[grade_id]) or None})
            truth["scores"][student] = sum(scores.values())
            seconds = round(rng.lognormvariate(-0.3, 0.35), 3)
            truth["seconds"][student] = seconds
            folder = root / "autograded" / student / ASSIGNMENT
            folder.mkdir(parents=True)
            (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps({
                "cells": [], "metadata": {"graders": {"engine": "graders autograde",
                                                      "seconds": seconds}},
                "nbformat": 4, "nbformat_minor": 5}))
        for model in (Student, SubmittedAssignment, SubmittedNotebook, Grade, Comment):
            gb.db.execute(model.__table__.insert(), rows[model])
        gb.db.commit()
    return truth


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    start = time.monotonic()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", course_env()["PATH"])  # nbgrader runs `alembic` for a new gradebook
        truth = build_synthetic_course(root, SYNTHETIC)
    built = time.monotonic() - start
    rep = made(root)
    print(f"\n{SYNTHETIC} synthetic submissions: gradebook written in {built:.1f} s, "
          f"graders report took {rep.seconds:.1f} s, index.html is "
          f"{len(rep.html.encode()) / 1024:.0f} KiB")
    return truth, rep


def test_report_on_5000_submissions_is_right_small_and_quick(synthetic):
    truth, rep = synthetic
    # a sanity bound only (speed is the benchmarks' business); about 15 s here on 2 cores
    assert rep.seconds < 180
    assert len(rep.html.encode()) < 2 * 1024 * 1024
    assert rep.data["submissions"] == SYNTHETIC
    expected = Counter(int(s) for s in truth["scores"].values())
    assert rep.data["scores"]["distribution"] == {str(k): v for k, v in sorted(expected.items())}
    reported = {m["code"]: set(m["students"]) for m in rep.data["mistakes"]}
    assert reported == dict(truth["codes"])
    # the page shows counts and the first ids, the CSV every id
    top = rep.data["mistakes"][0]
    row = next(cells for attrs, cells in rep.page.body("mistakes-table")
               if attrs["data-code"] == top["code"])
    assert f"and {top['count'] - SHOWN_IDS} more" in row[3] and top["students"][0] in row[3]
    assert top["students"][SHOWN_IDS] not in row[3]
    assert sum(1 for r in rep.csv("mistakes.csv") if r["code"] == top["code"]) == top["count"]
    flagged = rep.data["flagged"]
    assert flagged["count"] == len(truth["flagged"])
    assert flagged["by_reason"] == dict(Counter(truth["flagged"].values()))
    assert len(rep.page.body("flagged-table")) == SHOWN_ROWS < len(truth["flagged"])
    assert f"Showing {SHOWN_ROWS} of {len(truth['flagged'])} submissions" in rep.html
    assert rep.data["review"]["hits"] == truth["review"]
    assert len(rep.page.body("review-table")) == SHOWN_ROWS < truth["review"]
    assert len(rep.page.body("students-table")) == 20  # the lowest scores; the rest in the CSV
    assert len(rep.csv("students.csv")) == SYNTHETIC
    assert rep.data["time"]["recorded"] == SYNTHETIC
    assert rep.data["time"]["max"] == max(truth["seconds"].values())


def test_the_grade_table_points_flagged_students_to_the_reports_flagged_section(report,
                                                                                 report_course):
    from graders.grade_table import rows

    table = {student: note for student, _, _, note in
             rows(str(report_course.path / "gradebook.db"), ASSIGNMENT)}
    flagged = {s for s, note in table.items() if note}
    assert flagged == {"16_patched_torch_allclose", "40_kernel_exit_ex2", "51_invalid_json",
                       "52_no_notebook"}
    for student in flagged:
        assert table[student] == f"flagged: see reports/{ASSIGNMENT}/index.html#flagged"
    # the anchor exists on the page, and each of them is listed there
    assert '<h2 id="flagged">' in report.html
    listed = {attrs["data-student"] for attrs, _ in report.page.body("flagged-table")}
    assert flagged <= listed


def test_the_page_escapes_what_the_gradebook_holds():
    """The template autoescapes: a student id, a message or a line of code is text on the page,
    and the page's own CSS is kept as written."""
    import importlib

    from graders.report.gradebook_reader import (
        AssignmentTestCell,
        CourseResults,
        FlagReason,
        ReviewHit,
        StudentResult,
    )

    numbers = importlib.import_module("graders.report.numbers").numbers
    render = importlib.import_module("graders.report.render").render
    tests = [AssignmentTestCell(t, ASSIGNMENT, float(ex.parts[p].points), ex.grade_id)
             for t, (ex, p) in TESTS.items()]
    student = StudentResult("<b>eve</b>", {t.name: 0.0 for t in tests}, flagged=True,
                            codes={"single_layer_sum.no_bias": "x"},
                            problems=[FlagReason("tampering", "<script>alert(1)</script>")],
                            review=[ReviewHit("<b>eve</b>", 3, 1, "dynamic code", "calls exec()",
                                              "exec('<i>')")])
    num = numbers(CourseResults(ASSIGNMENT, tests, [student], [], "gradebook.db"))
    num["students"] = [{"student": student.student, "score": 0.0, "flagged": True,
                        "seconds": None, "codes": ["single_layer_sum.no_bias"]}]
    page = render(num, {}, "<title>", "now")
    assert "<b>eve" not in page and "<script" not in page and "<i>" not in page
    assert "&lt;b&gt;eve&lt;/b&gt;" in page and "&lt;script&gt;" in page
    assert 'content: attr(data-label) ": ";' in page  # the CSS, not escaped
    assert "<code>raise NotImplementedError()</code>" not in page  # no such mistake here
