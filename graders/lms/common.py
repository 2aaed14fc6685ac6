"""What the Canvas and Moodle export plugins share.

nbgrader already provides the plugin interface (``nbgrader.plugins.ExportPlugin``: the ``--to``,
``--assignment`` and ``--student`` options, and the ``export(gradebook)`` call made by
``nbgrader export``), the gradebook API, and the score arithmetic this module repeats on purpose
(score minus late penalty, never below 0, as nbgrader's own ``CsvExportPlugin`` computes it).

Written by hand here: choosing the one assignment an LMS file is about, collecting each student's
points (``None`` when nothing was submitted, never a silent 0), reading an LMS CSV whatever its
delimiter and with a byte-order mark or not, writing the import file atomically, formatting
points the way LMSs print them, and turning bad input into one readable message:
:class:`LmsExportError` is logged as a single error line and ``nbgrader export`` exits with
status 1, instead of nbgrader's traceback and "report it as an nbgrader bug" text.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, TraitError

from ..findings import parse_comment

#: The kinds of finding that say why a submission is flagged (:mod:`graders.findings`).
FLAG_KINDS = ("tampering", "autograder", "problem")


def flag_reasons(submission) -> list[str]:
    """The reasons of a flagged submission, once each, from the findings its notebooks'
    comments hold (:func:`graders.findings.parse_comment`; codes left out)."""
    reasons = []
    for notebook in submission.notebooks:
        for comment in notebook.comments:
            for finding in parse_comment(comment.auto_comment):
                text = finding.text.strip()
                if finding.kind in FLAG_KINDS and text and text not in reasons:
                    reasons.append(text)
    return reasons


class LmsExportError(Exception):
    """Bad input or settings: the message says what is wrong and what to do."""


@dataclass
class StudentScore:
    student_id: str
    first_name: str
    last_name: str
    email: str
    points: float | None  # None: no submission
    late_penalty: float = 0.0
    flagged: bool = False
    needs_manual_grade: bool = False
    #: Why the submission is flagged, in the words the student's feedback uses (the gradebook's
    #: ``[tampering]``, ``[autograder]`` and ``[problem]`` comment lines; codes left out).
    flag_reasons: list[str] = field(default_factory=list)


@dataclass
class AssignmentScores:
    name: str
    max_score: float
    students: list[StudentScore]  # the students to export, by id
    all_student_ids: set[str] = field(default_factory=set)  # every student nbgrader knows


@dataclass
class CsvTable:
    path: Path
    header: list[str]
    rows: list[list[str]]  # each as long as the header
    delimiter: str
    bom: bool


def quoted(names) -> str:
    return ", ".join(f"'{name}'" for name in names)


def format_points(value: float) -> str:
    """Points as an LMS prints them: at most two decimals, no trailing zeros (12, 9.5, 6.33)."""
    text = f"{Decimal(repr(float(value))).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_NUMBER = re.compile(r"^-?[0-9.,]+$")


def parse_number(text: str) -> float | None:
    """A number as an LMS exports it, "15.00" or, in some locales, "15,00"; None otherwise."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    head, _, tail = text.replace(",", ".").rpartition(".")
    try:
        return float(f"{head.replace('.', '')}.{tail}" if head else tail)
    except ValueError:
        return None


def read_lms_csv(path_text: str, what: str, setting: str,
                 delimiters: tuple[str, ...] = (",", ";", "\t")) -> CsvTable:
    """Read an LMS export, or raise :class:`LmsExportError` saying what is wrong with it.

    ``what`` names the file for messages ("Canvas gradebook export"), ``setting`` is the option
    that points at it. The delimiter is the candidate that splits the header into most columns.
    """
    if not path_text:
        raise LmsExportError(f"No {what} given: set {setting} (in nbgrader_config.py, or "
                             f"--{setting}=FILE on the command line).")
    path = Path(path_text).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LmsExportError(f"The {what} {path} does not exist (looked in {Path.cwd()}): "
                             f"check {setting}.") from None
    except IsADirectoryError:
        raise LmsExportError(f"The {what} {path} is a folder, not a CSV file: "
                             f"check {setting}.") from None
    except OSError as exc:
        raise LmsExportError(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise LmsExportError(f"The {what} {path} is a spreadsheet (Excel or OpenDocument), not "
                             "a CSV file: export it from the LMS as CSV (plain text), or save it "
                             "as 'CSV UTF-8' and point to that file.")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LmsExportError(f"The {what} {path} is not UTF-8 text (was it saved by a "
                             "spreadsheet in another encoding?): use the file the LMS exported, "
                             "or save it as 'CSV UTF-8'.") from None
    if not text.strip():
        raise LmsExportError(f"The {what} {path} is empty: export it from the LMS again.")
    first_line = text.splitlines()[0]
    delimiter = max(delimiters, key=lambda d: len(next(csv.reader([first_line], delimiter=d))))
    try:
        records = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                   if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise LmsExportError(f"The {what} {path} is not a readable CSV file ({exc}).") from None
    header = [name.strip() for name in records[0]]
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
            raise LmsExportError(
                f"The {what} {path} is not a clean CSV export: record {number} has "
                f"{len(record)} fields but the header has {len(header)}. Export it from the LMS "
                "again rather than editing it.")
        rows.append((record + [""] * len(header))[:len(header)])
    return CsvTable(path, header, rows, delimiter, bom)


def write_lms_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",",
                  bom: bool = False) -> None:
    """Write the import file in one step: a failure never leaves half a file behind."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LmsExportError(f"Cannot write {path}: the folder {folder} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise LmsExportError(f"Cannot write in {folder}: {exc.strerror}.") from None
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary file, not mkstemp's 0600
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise LmsExportError(f"Cannot write {path}: {exc.strerror}.") from None


class LmsExportPlugin(ExportPlugin):
    """Base of the LMS export plugins: subclasses implement :meth:`write_import`."""

    missing_as_zero = Bool(
        False,
        help="Write 0 for a student with no submission (default: leave the grade empty, so "
             "the LMS shows the work as missing rather than as a zero).",
    ).tag(config=True)

    #: the LMS's name in messages, and the default output file name (``--to`` overrides it)
    lms = "LMS"
    default_to = "{assignment}_lms.csv"

    def __init__(self, **kwargs) -> None:
        # A setting of the wrong type (--CanvasExportPlugin.rescale=maybe) fails while traitlets
        # loads the config, before export() runs: say which one, without a traceback.
        try:
            super().__init__(**kwargs)
        except TraitError as exc:
            parent = kwargs.get("parent")
            log = parent.log if parent is not None else logging.getLogger(__name__)
            log.error("Bad setting: %s", exc)
            log.error("Nothing was written.")
            sys.exit(1)

    def export(self, gradebook: Gradebook) -> None:
        try:
            self.write_import(gradebook)
        except LmsExportError as exc:
            self.log.error("%s", exc)
            self.log.error("Nothing was written.")
            sys.exit(1)

    def write_import(self, gradebook: Gradebook) -> None:
        raise NotImplementedError

    # -- nbgrader's side -------------------------------------------------------------------------

    def choose_assignment(self, gradebook: Gradebook) -> str:
        names = sorted(a.name for a in gradebook.assignments)
        wanted = [str(a) for a in self.assignment]
        if len(wanted) > 1:
            raise LmsExportError(
                f"An {self.lms} import file holds one assignment, and {len(wanted)} were given "
                f"({quoted(wanted)}): run the export once per assignment, each with its own --to.")
        if wanted:
            if wanted[0] not in names:
                raise LmsExportError(f"The gradebook has no assignment '{wanted[0]}'. Its "
                                     f"assignments: {quoted(names) or 'none'}.")
            return wanted[0]
        if not names:
            raise LmsExportError("The gradebook has no assignments: run `nbgrader "
                                 "generate_assignment` and grade the submissions first.")
        if len(names) > 1:
            raise LmsExportError(f"The gradebook has {len(names)} assignments ({quoted(names)}): "
                                 f"choose one with --assignment={names[0]}.")
        return names[0]

    def load_scores(self, gradebook: Gradebook) -> AssignmentScores:
        """Each student's points for the assignment: score minus late penalty, at least 0."""
        name = self.choose_assignment(gradebook)
        assignment = gradebook.find_assignment(name)
        students = {s.id: s for s in gradebook.students}
        wanted = [str(s) for s in self.student]
        unknown = [s for s in wanted if s not in students]
        if unknown:
            self.log.warning("--student: not in the gradebook, skipped: %s", ", ".join(unknown))
        scores = []
        for student_id in sorted(students):
            if wanted and student_id not in wanted:
                continue
            student = students[student_id]
            entry = StudentScore(student_id, student.first_name or "", student.last_name or "",
                                 student.email or "", None)
            try:
                submission = gradebook.find_submission(name, student_id)
            except MissingEntry:
                scores.append(entry)
                continue
            entry.late_penalty = submission.late_submission_penalty or 0.0
            entry.points = max(0.0, submission.score - entry.late_penalty)
            entry.flagged = any(nb.flagged for nb in submission.notebooks)
            if entry.flagged:
                entry.flag_reasons = flag_reasons(submission)
            entry.needs_manual_grade = bool(submission.needs_manual_grade)
            scores.append(entry)
        return AssignmentScores(name, assignment.max_score, scores, set(students))

    def warn_about_grading(self, scores: AssignmentScores) -> None:
        flagged = [s.student_id for s in scores.students if s.flagged]
        manual = [s.student_id for s in scores.students if s.needs_manual_grade]
        self.report("Flagged in nbgrader's gradebook (read its comments before importing)",
                    flagged)
        self.report("Still to be graded by hand in nbgrader (the score is incomplete)", manual)

    # -- output ----------------------------------------------------------------------------------

    def destination(self, assignment: str, *inputs: Path) -> Path:
        dest = Path(self.to or self.default_to.format(assignment=assignment)).expanduser()
        for source in inputs:
            if dest.resolve() == source.resolve():
                raise LmsExportError(f"--to {dest} is the {self.lms} export it reads: write the "
                                     "import file elsewhere (keep the export as it came).")
        return dest

    def report(self, problem: str, items: list[str]) -> None:
        """One warning line per kind of problem, listing every student concerned."""
        if items:
            self.log.warning("%s (%d): %s", problem, len(items), ", ".join(items))
