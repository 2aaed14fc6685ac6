"""`nbgrader export --exporter graders.lms.…`: the Canvas and Moodle import files, cell by cell.

Grading the corpus would take minutes, so the gradebook is built once with nbgrader's own API
(``nbgrader.api.Gradebook``): the ``tensors`` assignment, four grade cells worth 15 points, and
nine students covering every case (full marks, fractional points, a late penalty, a submitted
zero, no submission, students the LMS does not know). Every test copies it into a scratch course
with the course's ``nbgrader_config.py`` and runs the real ``nbgrader export`` command, then reads
the written CSV. The LMS files come from ``tests/fixtures/lms/``: a Canvas gradebook export (a
Manual Posting row, a Points Possible row, totals, a custom column, an excused student and the
Test Student) and a Moodle grade export with its usual columns; variants (semicolons, a byte-order
mark, decimal commas, other points) are derived from them in the tests.
"""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import pytest
from conftest import ASSIGNMENT, ROOT, course_env, run_nbgrader
from nbgrader.api import Gradebook

pytestmark = pytest.mark.xdist_group("lms")

FIXTURES = ROOT / "tests" / "fixtures" / "lms"
CANVAS = FIXTURES / "canvas_gradebook.csv"
ROSTER = FIXTURES / "moodle_roster.csv"
COLUMN = "Tensors in PyTorch (88102)"
COURSE_ID = "intro-to-pytorch"

CELLS = {"ex1": 3, "ex2": 4, "ex3": 4, "ex4": 4}  # 15 points
# student: (points per cell, or None for no submission; late penalty; email)
STUDENTS = {
    "ada": ([3, 4, 4, 4], 0, "ada.lovelace@uni.example"),  # 15
    "ben": ([3, 4, 2.5, 0], 0, None),  # 9.5
    "cy": ([3, 1, 0, 0], 1, None),  # 4 - 1 late = 3
    "dee": ([0, 0, 0, 0], 0, None),  # submitted, 0
    "eve": (None, 0, None),  # no submission
    "hal": (None, 0, None),  # no submission; Canvas has a manual 7
    "ivy": ([3, 4, 4, 1], 0, None),  # 12; excused in Canvas
    "finn": ([3, 4, 4, 0], 0, "finn@uni.example"),  # 11; in neither LMS file
    "jo": ([3, 2, 0, 0], 0, None),  # 5; in neither LMS file, one cell left to grade by hand
}


#: The comment the engine writes for dee (the demo student who replaced torch.allclose): the
#: student's words after the code, a review line the student never sees.
TAMPERING_TEXT = ("torch.allclose has been replaced in this notebook. Grading cannot trust a "
                  "notebook that redefines the library's comparison and tensor functions, so no "
                  "check after that line can pass. Remove the line that assigns to "
                  "torch.allclose and run all cells again.")
TAMPERING = (f"[tampering] single_layer_sum.tampering: {TAMPERING_TEXT}\n"
             "[review] monkeypatching: cell 7, line 1: assigns to torch.allclose\n"
             f"[tampering] multilayer.tampering: {TAMPERING_TEXT}")


@pytest.fixture(scope="session")
def lms_gradebook(tmp_path_factory) -> Path:
    """The gradebook, built once with nbgrader's API (nbgrader runs `alembic`: PATH has it)."""
    db = tmp_path_factory.mktemp("lms") / "gradebook.db"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setenv("PATH", course_env()["PATH"])
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notes from add_submission
        with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
            gb.add_assignment(ASSIGNMENT)
            gb.add_notebook(ASSIGNMENT, ASSIGNMENT)
            for cell, points in CELLS.items():
                gb.add_grade_cell(cell, ASSIGNMENT, ASSIGNMENT, max_score=points,
                                  cell_type="code")
            gb.add_solution_cell("answer", ASSIGNMENT, ASSIGNMENT)  # holds the comments
            for student, (points, penalty, email) in STUDENTS.items():
                gb.add_student(student, email=email)
                if points is None:
                    continue
                gb.add_submission(ASSIGNMENT, student)
                for cell, score in zip(CELLS, points, strict=True):
                    grade = gb.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student)
                    grade.auto_score = score
                    grade.needs_manual_grade = student == "jo" and cell == "ex4"
                notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
                notebook.late_submission_penalty = penalty
                if student == "dee":  # flagged as the engine flags tampering (gradebook.py)
                    notebook.flagged = True
                    notebook.comments[0].auto_comment = TAMPERING
                gb.db.commit()
    return db


@pytest.fixture
def course(tmp_path, lms_gradebook) -> Path:
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copy(lms_gradebook, course / "gradebook.db")
    return course


def export(course: Path, exporter: str, *args: str, check: bool = True):
    return run_nbgrader(course, "export", "--exporter", f"graders.lms.{exporter}", *args,
                        check=check)


def read_csv(path: Path, delimiter: str = ",") -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def write_variant(path: Path, rows: list[list[str]], delimiter: str = ",",
                  bom: bool = False) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def canvas_with(tmp_path: Path, points_possible: str | None = None,
                cells: dict[str, str] | None = None, **renames: str) -> Path:
    """The Canvas fixture with another Points Possible for the column, other cells in it
    (by SIS Login ID), or renamed columns."""
    rows = read_csv(CANVAS)
    col, login = rows[0].index(COLUMN), rows[0].index("SIS Login ID")
    if points_possible is not None:
        rows[2][col] = points_possible
    for row in rows[3:]:
        row[col] = (cells or {}).get(row[login], row[col])
    rows[0] = [renames.get(name, name) for name in rows[0]]
    return write_variant(tmp_path / "canvas_variant.csv", rows)


def warnings_of(proc) -> str:
    return "\n".join(line for line in proc.stderr.splitlines() if "| WARNING]" in line)


def assignment_cells(path: Path, delimiter: str = ",") -> dict[str, str]:
    """Canvas import file → {SIS Login ID or student name: the assignment's cell}."""
    rows = read_csv(path, delimiter)
    key = rows[0].index("SIS Login ID")
    return {row[key] or row[0]: row[-1] for row in rows[1:]}


# -- Canvas ---------------------------------------------------------------------------------------

def test_canvas_fills_the_assignment_column_and_keeps_what_it_must(course):
    proc = export(course, "CanvasExportPlugin", f"--CanvasExportPlugin.canvas_csv={CANVAS}",
                  "--CanvasExportPlugin.assignment_column=Tensors in PyTorch",
                  "--to", "canvas_import.csv")
    rows = read_csv(course / "canvas_import.csv")
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", COLUMN],
        ["", "", "", "", "", "Manual Posting"],
        ["    Points Possible", "", "", "", "", "15.00"],
        ["Lovelace, Ada", "40101", "S1001", "ada", "PyTorch 101 - A", "15"],
        ["Núñez, Benjamín", "40102", "S1002", "ben", "PyTorch 101 - A", "9.5"],  # was 6.00
        ["Yilmaz, Cy", "40103", "S1003", "CY", "PyTorch 101 - B", "3"],  # late penalty 1
        ["Okafor, Dee", "40104", "S1004", "dee", "PyTorch 101 - B", "0"],  # a real zero
        ["Ito, Eve", "40105", "S1005", "eve", "PyTorch 101 - A", ""],  # no submission
        ["Berg, Gus", "40106", "S1006", "gus", "PyTorch 101 - B", "12.00"],  # Canvas only
        ["Hale, Hal", "40107", "S1007", "hal", "PyTorch 101 - A", "7.00"],  # Canvas's kept
        ["Ivanova, Ivy", "40108", "S1008", "ivy", "PyTorch 101 - B", "EX"],  # excused kept
        ["Student, Test", "40199", "", "", "PyTorch 101 - A", ""],
    ]
    warned = warnings_of(proc)
    assert "No submission in nbgrader, grade left empty (1): eve" in warned
    assert "Canvas's value kept (2): hal (Canvas has 7.00), ivy (EX in Canvas" in warned
    assert ("In the Canvas export but not in nbgrader's gradebook (nothing collected from them, "
            "or another id): cell left as it was (2): Berg, Gus (SIS Login ID gus), Student, "
            "Test (SIS Login ID empty)") in warned
    assert ("In nbgrader's gradebook but not in the Canvas export (matched by SIS Login ID): "
            "not written (2): finn, jo") in warned
    assert "Still to be graded by hand in nbgrader (the score is incomplete) (1): jo" in warned
    assert "Manual Posting" in proc.stderr and "rescale" not in proc.stderr
    assert (f"Wrote canvas_import.csv for Canvas column '{COLUMN}': 4 scores, 1 without "
            "submission, 2 kept from Canvas, 2 in Canvas only, 2 in nbgrader only") in proc.stderr


def test_canvas_rescales_to_its_points_possible(course, tmp_path):
    """Canvas's column is out of 10; dee is not assigned this assignment in Canvas (N/A)."""
    gradebook = canvas_with(tmp_path, points_possible="10.00", cells={"dee": "N/A"})
    proc = export(course, "CanvasExportPlugin", f"--CanvasExportPlugin.canvas_csv={gradebook}",
                  f"--CanvasExportPlugin.assignment_column={COLUMN}")
    cells = assignment_cells(course / "tensors_canvas_import.csv")  # the default --to
    assert cells == {
        "    Points Possible": "10.00", "ada": "10", "ben": "6.33", "CY": "2", "dee": "N/A",
        "eve": "", "gus": "12.00", "hal": "7.00", "ivy": "EX", "Student, Test": "",
        "": "Manual Posting",
    }
    assert ("Canvas's Points Possible for 'Tensors in PyTorch (88102)' is 10, nbgrader's max "
            "score is 15: points rescaled to Canvas's") in warnings_of(proc)
    assert "dee (N/A in Canvas, nbgrader has 0)" in warnings_of(proc)


def test_canvas_settings_from_nbgrader_config_rescale_off_and_zero_for_missing(course, tmp_path):
    gradebook = canvas_with(tmp_path, points_possible="10.00")
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(f"\nc.CanvasExportPlugin.canvas_csv = {str(gradebook)!r}\n"
                 f"c.CanvasExportPlugin.assignment_column = {COLUMN!r}\n"
                 "c.CanvasExportPlugin.rescale = False\n"
                 "c.CanvasExportPlugin.missing_as_zero = True\n")
    proc = export(course, "CanvasExportPlugin", "--to", "out.csv")
    cells = assignment_cells(course / "out.csv")
    assert [cells[s] for s in ("ada", "ben", "CY", "dee", "eve", "hal", "ivy")] == [
        "15", "9.5", "3", "0", "0", "7.00", "EX"]
    warned = warnings_of(proc)
    assert "writing nbgrader's points unchanged (CanvasExportPlugin.rescale is off)" in warned
    assert "No submission in nbgrader, written as 0 (1): eve" in warned


def test_canvas_semicolons_bom_and_decimal_commas_round_trip(course, tmp_path):
    """A Canvas export in a locale with decimal commas: ';', a byte-order mark, "15,00"."""
    rows = read_csv(CANVAS)
    rows[2] = [cell.replace(".", ",") for cell in rows[2]]
    gradebook = write_variant(tmp_path / "canvas_de.csv", rows, delimiter=";", bom=True)
    export(course, "CanvasExportPlugin", f"--CanvasExportPlugin.canvas_csv={gradebook}",
           "--CanvasExportPlugin.assignment_column=tensors in pytorch", "--to", "out.csv")
    data = (course / "out.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    cells = assignment_cells(course / "out.csv", delimiter=";")  # utf-8 reader keeps the BOM
    assert cells["    Points Possible"] == "15,00"  # 15 = nbgrader's 15: no rescaling
    assert [cells[s] for s in ("ada", "ben", "CY", "dee", "eve")] == ["15", "9.5", "3", "0", ""]


def test_canvas_matches_the_nbgrader_assignment_id_and_another_id_column(course, tmp_path):
    """No assignment_column: the column titled like the assignment id, here 'Tensors (88102)';
    ids in 'SIS User ID' instead of 'SIS Login ID'."""
    rows = read_csv(CANVAS)
    rows[0][rows[0].index(COLUMN)] = "Tensors (88102)"
    user, login = rows[0].index("SIS User ID"), rows[0].index("SIS Login ID")
    for row in rows[3:]:
        row[user], row[login] = row[login], f"{row[login]}@uni.example" if row[login] else ""
    gradebook = write_variant(tmp_path / "canvas.csv", rows)
    export(course, "CanvasExportPlugin", f"--CanvasExportPlugin.canvas_csv={gradebook}",
           "--CanvasExportPlugin.id_column=SIS User ID", "--to", "out.csv")
    out = read_csv(course / "out.csv")
    assert out[0][-1] == "Tensors (88102)"
    cells = {row[2]: row[-1] for row in out[3:]}
    assert cells == {"ada": "15", "ben": "9.5", "CY": "3", "dee": "0", "eve": "", "gus": "12.00",
                     "hal": "7.00", "ivy": "EX", "": ""}


def test_canvas_student_option_exports_only_those_students(course):
    proc = export(course, "CanvasExportPlugin", f"--CanvasExportPlugin.canvas_csv={CANVAS}",
                  f"--CanvasExportPlugin.assignment_column={COLUMN}", "--student=ada",
                  "--student=eve", "--to", "out.csv")
    cells = assignment_cells(course / "out.csv")
    assert [cells[s] for s in ("ada", "ben", "CY", "eve", "hal")] == ["15", "6.00", "", "", "7.00"]
    warned = warnings_of(proc)
    assert "grade left empty (1): eve" in warned and "not in the Canvas export" not in warned


def _zip_file(tmp_path):
    path = tmp_path / "grades.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    return path


def _nbgrader_grades_csv(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("assignment,duedate,timestamp,student_id,last_name,first_name,email,"
                    "raw_score,late_submission_penalty,score,max_score\n"
                    "tensors,,,ada,,,,15.0,0.0,15.0,15.0\n", encoding="utf-8")
    return path


def _two_columns(tmp_path):
    return canvas_with(tmp_path, **{"Autograd Lab (88103)": "Tensors in PyTorch (99999)"})


def _no_sis_columns(tmp_path):
    rows = [[cell for i, cell in enumerate(row) if i not in (2, 3)] for row in read_csv(CANVAS)]
    return write_variant(tmp_path / "no_sis.csv", rows)


def _second_assignment(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        gb.add_assignment("autograd")


@pytest.mark.parametrize(("make_csv", "args", "message"), [
    (lambda tmp: tmp / "nowhere.csv", [],
     "The Canvas gradebook export {csv} does not exist"),
    (_nbgrader_grades_csv, [],
     "{csv} is not a Canvas gradebook export: Canvas's have the columns 'Student', 'ID' and "
     "'Section' first, this one has 'assignment', 'duedate'"),
    (_zip_file, [], "is a spreadsheet (Excel or OpenDocument), not a CSV file"),
    (lambda tmp: CANVAS, [],
     "Cannot find the assignment's column in the Canvas export {csv}: no column of it is "
     "titled 'tensors' (the nbgrader assignment id, ignoring case and Canvas's '(12345)' id). "
     "Its columns: 'Notes', 'Week 1 Quiz (88101)', 'Tensors in PyTorch (88102)', 'Autograd Lab "
     "(88103)'. Say which column to fill: --CanvasExportPlugin.assignment_column=\"Tensors in "
     "PyTorch (88102)\""),
    (_two_columns, ["--CanvasExportPlugin.assignment_column=Tensors in PyTorch"],
     "has 2 columns that could be 'tensors' ('Tensors in PyTorch (88102)', 'Tensors in PyTorch "
     "(99999)')"),
    (_no_sis_columns, [f"--CanvasExportPlugin.assignment_column={COLUMN}"],
     "has no 'SIS Login ID' column, the one CanvasExportPlugin.id_column says holds nbgrader's "
     "student ids"),
    (lambda tmp: CANVAS, [f"--CanvasExportPlugin.assignment_column={COLUMN}", "--to", str(CANVAS)],
     "is the Canvas export it reads"),
    ("second assignment", [f"--CanvasExportPlugin.assignment_column={COLUMN}"],
     "The gradebook has 2 assignments ('autograd', 'tensors'): choose one with "
     "--assignment=autograd"),
    (lambda tmp: CANVAS, ["--CanvasExportPlugin.rescale=maybe"],
     "Bad setting: The 'rescale' trait of a CanvasExportPlugin instance expected a boolean, not "
     "the str 'maybe'."),
], ids=["missing-file", "not-canvas", "spreadsheet", "no-column", "ambiguous-column",
        "no-id-column", "overwrite-input", "two-assignments", "bad-setting"])
def test_canvas_bad_input_is_one_clear_error(course, tmp_path, make_csv, args, message):
    if make_csv == "second assignment":
        _second_assignment(course)
        path = CANVAS
    else:
        path = make_csv(tmp_path)
    before = sorted(p.name for p in course.iterdir())
    proc = export(course, "CanvasExportPlugin", f"--CanvasExportPlugin.canvas_csv={path}", *args,
                  check=False)
    assert proc.returncode == 1
    assert message.format(csv=path) in proc.stderr
    assert "Traceback" not in proc.stderr and "nbgrader bug" not in proc.stderr
    assert "Nothing was written." in proc.stderr
    assert sorted(p.name for p in course.iterdir()) == before
    assert CANVAS.read_bytes().startswith(b"Student,ID,SIS User ID")  # the fixture untouched


# -- Moodle ---------------------------------------------------------------------------------------

def test_moodle_writes_identifier_grade_and_feedback(course):
    proc = export(course, "MoodleExportPlugin", f"--MoodleExportPlugin.roster_csv={ROSTER}",
                  "--MoodleExportPlugin.feedback_column=Feedback", "--to", "moodle.csv")
    assert read_csv(course / "moodle.csv") == [
        ["Email address", "tensors", "Feedback"],
        ["ada.lovelace@uni.example", "15", "Autograded: 15 of 15 points."],
        ["b.nunez@uni.example", "9.5", "Autograded: 9.5 of 15 points."],  # roster has "Ben"
        ["cy.yilmaz@uni.example", "3", "Autograded: 3 of 15 points (after a late penalty of 1)."],
        ["dee.okafor@uni.example", "0", "Autograded: 0 of 15 points. Your submission was "
         "flagged for your instructor to review. " + TAMPERING_TEXT],  # once, no codes
        ["eve.ito@uni.example", "", "No submission received."],
        ["finn@uni.example", "11", "Autograded: 11 of 15 points."],  # nbgrader's email
        ["hal.hale@uni.example", "", "No submission received."],
        # ivy: in the roster without an email; jo: in neither, no email in nbgrader
    ]
    warned = warnings_of(proc)
    assert "No submission in nbgrader, grade left empty (Moodle: no grade) (2): eve, hal" in warned
    assert ("Not in the roster under 'ID number': written with the email nbgrader has for them "
            "(Moodle aborts the import if no user has it) (1): finn (finn@uni.example)") in warned
    assert ("In nbgrader's gradebook but not placeable in Moodle: not written (2): "
            "ivy (has no Email address), jo (is not in the roster)") in warned
    assert ("In the Moodle roster but not in nbgrader's gradebook (nothing collected from them, "
            "or another id): not written (2): Gus Berg (gus), Kim Park (no ID number)") in warned
    assert "Wrote moodle.csv: 7 rows (2 without submission)" in proc.stderr


def test_moodle_id_number_semicolon_roster_and_grade_max(course, tmp_path):
    roster = write_variant(tmp_path / "roster.csv", read_csv(ROSTER), delimiter=";", bom=True)
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(f"\nc.MoodleExportPlugin.roster_csv = {str(roster)!r}\n"
                 "c.MoodleExportPlugin.identifier_column = 'ID number'\n"
                 "c.MoodleExportPlugin.grade_column = 'Tensors in PyTorch'\n"
                 "c.MoodleExportPlugin.grade_max = 100\n")
    proc = export(course, "MoodleExportPlugin", "--to", "moodle.csv")
    assert read_csv(course / "moodle.csv") == [
        ["ID number", "Tensors in PyTorch"],
        ["ada", "100"], ["Ben", "63.33"], ["cy", "20"], ["dee", "0"], ["eve", ""], ["hal", ""],
        ["ivy", "80"],
    ]
    warned = warnings_of(proc)
    assert "not written (2): finn (is not in the roster), jo (is not in the roster)" in warned
    assert "Above 100" not in warned


def _roster_without_ids(tmp_path):
    rows = read_csv(ROSTER)
    for row in rows[1:]:
        row[2] = ""
    return write_variant(tmp_path / "roster.csv", rows)


def _duplicate_roster(tmp_path):
    rows = read_csv(ROSTER)
    return write_variant(tmp_path / "roster.csv", rows + [rows[1]])


def _latin1_roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.read_text(encoding="utf-8").encode("latin-1"))
    return path


@pytest.mark.parametrize(("make_csv", "args", "message"), [
    (None, [], "No Moodle roster given: set MoodleExportPlugin.roster_csv (in nbgrader_config.py, "
               "or --MoodleExportPlugin.roster_csv=FILE on the command line)."),
    (lambda tmp: tmp / "roster.csv", [], "The Moodle roster {csv} does not exist"),
    (lambda tmp: CANVAS, [],
     "The Moodle roster {csv} has no 'ID number' column (the MoodleExportPlugin.roster_id_column "
     "setting). Its columns: 'Student', 'ID'"),
    (lambda tmp: ROSTER, ["--MoodleExportPlugin.identifier_column=Username"],
     "has no 'Username' column (the MoodleExportPlugin.identifier_column setting)"),
    (_roster_without_ids, [], "column of the Moodle roster {csv} is empty for every student"),
    (_duplicate_roster, [],
     "The Moodle roster {csv} has 'ada' twice in its 'ID number' column (record 11)"),
    (_latin1_roster, [], "is not UTF-8 text"),
], ids=["not-set", "missing-file", "canvas-file", "no-identifier-column", "empty-id-column",
        "duplicate-id", "not-utf8"])
def test_moodle_bad_input_is_one_clear_error(course, tmp_path, make_csv, args, message):
    path = make_csv(tmp_path) if make_csv else None
    roster = [f"--MoodleExportPlugin.roster_csv={path}"] if path else []
    proc = export(course, "MoodleExportPlugin", *roster, *args, check=False)
    assert proc.returncode == 1
    assert message.format(csv=path) in proc.stderr
    assert "Traceback" not in proc.stderr and "nbgrader bug" not in proc.stderr
    assert not (course / "tensors_moodle_import.csv").exists()
