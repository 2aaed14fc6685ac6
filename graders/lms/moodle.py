"""Moodle: write a file for Moodle's "Import grades from CSV", using a roster exported from Moodle.

nbgrader already provides ``nbgrader export``, which loads this plugin with
``--exporter graders.lms.MoodleExportPlugin`` and passes ``--to``, ``--assignment`` and
``--student`` (see :mod:`graders.lms.common` for what is shared with the Canvas plugin).

Written by hand here, following Moodle's grade import (``grade/import/csv`` in moodle/moodle):

* read the roster CSV exported from Moodle (the gradebook's "Export → Plain text file", or the
  participants download): columns like ``First name, Last name (or Surname), ID number,
  Institution, Department, Email address, ...``; comma, semicolon, tab or colon separated;
* find each nbgrader student in the roster by ``roster_id_column`` (default "ID number"; case and
  surrounding spaces ignored) and take their Moodle identifier from ``identifier_column``
  (default "Email address"; or "ID number", "Username"...); a student missing from the roster
  falls back to the email nbgrader has for them, when the identifier is an email address;
* write ``<identifier>, <grade>[, <feedback>]``: one row per nbgrader student that has an
  identifier. In Moodle's import page, map the identifier column to the matching user field
  ("Email address", "ID number", "Username") and the grade column to the grade item.
* never invent a grade: no submission leaves the grade empty (0 with ``missing_as_zero``). Moodle
  reads an empty grade as "no grade", so it clears a grade already in that grade item; Moodle
  aborts the whole import when one identifier matches no Moodle user, which is why students it
  cannot place are left out and reported rather than written with a guessed identifier.
"""

from __future__ import annotations

from nbgrader.api import Gradebook
from traitlets import Float, Unicode

from ..feedback_text import gradebook_lines
from .common import (
    LmsExportError,
    LmsExportPlugin,
    format_points,
    quoted,
    read_lms_csv,
    write_lms_csv,
)

#: Moodle refuses grades above this unless the site raises it (``$CFG->gradepointmax``).
MOODLE_DEFAULT_MAX_GRADE = 100.0


class MoodleExportPlugin(LmsExportPlugin):
    """Write a Moodle grade import file for one nbgrader assignment."""

    roster_csv = Unicode(
        "", help="The roster CSV exported from Moodle (Grades → Export → Plain text file, or "
                 "Participants → Download table data as CSV). Required.",
    ).tag(config=True)
    roster_id_column = Unicode(
        "ID number", help="The roster column that holds nbgrader's student ids.",
    ).tag(config=True)
    identifier_column = Unicode(
        "Email address", help="The roster column whose value identifies the student to Moodle's "
                              "import ('Email address', 'ID number', 'Username'); also the name "
                              "of the identifier column written.",
    ).tag(config=True)
    grade_column = Unicode(
        "", help="Name of the grade column written. Default: the nbgrader assignment id.",
    ).tag(config=True)
    feedback_column = Unicode(
        "", help="Also write a feedback column with this name (the points, any late penalty, "
                 "and what the feedback page says about each failed test). Default: no "
                 "feedback column.",
    ).tag(config=True)
    grade_max = Float(
        0.0, help="Rescale points so that full marks are this grade (e.g. 100 for a Moodle grade "
                  "item out of 100). Default 0: write nbgrader's points.",
    ).tag(config=True)

    lms = "Moodle"
    default_to = "{assignment}_moodle_import.csv"

    def write_import(self, gradebook: Gradebook) -> None:
        setting = "MoodleExportPlugin.roster_csv"
        table = read_lms_csv(self.roster_csv, "Moodle roster", setting, (",", ";", "\t", ":"))
        header = table.header
        for option, name in (("roster_id_column", self.roster_id_column),
                             ("identifier_column", self.identifier_column)):
            if name not in header:
                raise LmsExportError(
                    f"The Moodle roster {table.path} has no '{name}' column (the "
                    f"MoodleExportPlugin.{option} setting). Its columns: {quoted(header)}. "
                    "A Moodle export has columns like 'First name', 'Last name', 'ID number', "
                    f"'Email address': set MoodleExportPlugin.{option} to one of its columns, "
                    "or export the roster from Moodle again (Grades → Export → Plain text file).")
        id_col = header.index(self.roster_id_column)
        ident_col = header.index(self.identifier_column)
        if not any(row[id_col].strip() for row in table.rows) and table.rows:
            raise LmsExportError(
                f"The '{self.roster_id_column}' column of the Moodle roster {table.path} is empty "
                "for every student (Moodle leaves it empty unless your site fills it): set "
                "MoodleExportPlugin.roster_id_column to the column that holds nbgrader's student "
                "ids, e.g. 'Email address' or 'Username'.")

        roster: dict[str, list[str]] = {}
        for number, row in enumerate(table.rows, start=2):
            key = row[id_col].strip().casefold()
            if not key:
                continue
            if key in roster:
                raise LmsExportError(
                    f"The Moodle roster {table.path} has '{row[id_col].strip()}' twice in its "
                    f"'{self.roster_id_column}' column (record {number}): set "
                    "MoodleExportPlugin.roster_id_column to a column that is unique.")
            roster[key] = row

        scores = self.load_scores(gradebook)
        dest = self.destination(scores.name, table.path)
        factor = 1.0
        if self.grade_max > 0:
            if scores.max_score <= 0:
                raise LmsExportError(f"nbgrader's max score for '{scores.name}' is "
                                     f"{format_points(scores.max_score)}: cannot rescale to "
                                     "MoodleExportPlugin.grade_max.")
            factor = self.grade_max / scores.max_score
            self.log.info("Moodle: points rescaled so that %s (nbgrader's max score) is %s.",
                          format_points(scores.max_score), format_points(self.grade_max))

        out_header = [self.identifier_column, self.grade_column or scores.name]
        if self.feedback_column:
            out_header.append(self.feedback_column)
        rows, used = [], {}
        missing, by_email, unplaced, too_high = [], [], [], []
        for student in scores.students:
            row = roster.get(student.student_id.strip().casefold())
            identifier = row[ident_col].strip() if row else ""
            if not identifier:
                if "email" in self.identifier_column.casefold() and student.email.strip():
                    identifier = student.email.strip()
                    by_email.append(f"{student.student_id} ({identifier})")
                else:
                    where = "has no " + self.identifier_column if row else "is not in the roster"
                    unplaced.append(f"{student.student_id} ({where})")
                    continue
            if identifier.casefold() in used:
                raise LmsExportError(
                    f"nbgrader students '{used[identifier.casefold()]}' and "
                    f"'{student.student_id}' both get the Moodle identifier '{identifier}': fix "
                    "the roster or nbgrader's student records.")
            used[identifier.casefold()] = student.student_id
            if student.points is None:
                grade = "0" if self.missing_as_zero else ""
                missing.append(student.student_id)
            else:
                grade = format_points(student.points * factor)
                if student.points * factor > MOODLE_DEFAULT_MAX_GRADE:
                    too_high.append(f"{student.student_id} ({grade})")
            out = [identifier, grade]
            if self.feedback_column:  # the points, then what the feedback page says
                lines = gradebook_lines(gradebook, scores.name, student.student_id)
                out.append(" ".join([self.feedback(student, scores.max_score, " ".join(lines)),
                                     *lines]))
            rows.append(out)

        nbgrader_keys = {s.strip().casefold() for s in scores.all_student_ids}
        roster_only = [self.roster_name(row, header, id_col) for row in table.rows
                       if row[id_col].strip().casefold() not in nbgrader_keys]
        write_lms_csv(dest, out_header, rows)

        empty = "written as 0" if self.missing_as_zero else "grade left empty (Moodle: no grade)"
        self.report(f"No submission in nbgrader, {empty}", missing)
        self.report(f"Not in the roster under '{self.roster_id_column}': written with the email "
                    "nbgrader has for them (Moodle aborts the import if no user has it)", by_email)
        self.report("In nbgrader's gradebook but not placeable in Moodle: not written", unplaced)
        self.report("In the Moodle roster but not in nbgrader's gradebook (nothing collected "
                    "from them, or another id): not written", roster_only)
        self.report(f"Above {format_points(MOODLE_DEFAULT_MAX_GRADE)}, which Moodle refuses "
                    "unless the site allows higher grades (see MoodleExportPlugin.grade_max)",
                    too_high)
        self.warn_about_grading(scores)
        self.log.info(
            "Wrote %s: %d rows (%d without submission), %d nbgrader students not written, %d "
            "roster students not in nbgrader. In Moodle: Grades → Import → CSV file; map '%s' to "
            "the user field it holds and '%s' to the grade item.", dest, len(rows), len(missing),
            len(unplaced), len(roster_only), out_header[0], out_header[1])

    def roster_name(self, row: list[str], header: list[str], id_col: int) -> str:
        """"Ada Lovelace (ada)", or "Kim Park (no ID number)" for a row without an id."""
        parts = [row[header.index(c)].strip() for c in ("First name", "Last name", "Surname")
                 if c in header]
        name = " ".join(p for p in parts if p) or "?"
        return f"{name} ({row[id_col].strip() or 'no ' + self.roster_id_column})"

    @staticmethod
    def feedback(student, max_score: float, said: str = "") -> str:
        """The points, and for a flagged submission that it was flagged and why (the reasons
        that ``said``, the feedback page's own lines written after it, does not give)."""
        if student.points is None:
            return "No submission received."
        text = (f"Autograded: {format_points(student.points)} of {format_points(max_score)} "
                "points")
        if student.late_penalty:
            text += f" (after a late penalty of {format_points(student.late_penalty)})"
        text += "."
        if student.flagged:  # a score of 0 with no word of why reads as a grader's bug
            reasons = [r for r in student.flag_reasons if r.rstrip(".!?") not in said]
            why = " ".join(r if r.endswith((".", "!", "?")) else r + "." for r in reasons)
            text += " Your submission was flagged for your instructor to review" + (
                f": {why}" if why else "." if said else
                ": the grader recorded no reason; ask your instructor.")
        return text
