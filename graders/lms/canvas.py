"""Canvas: fill one assignment's column of a Canvas gradebook export, ready for Canvas "Import".

nbgrader already provides ``nbgrader export``, which loads this plugin with
``--exporter graders.lms.CanvasExportPlugin`` and passes ``--to``, ``--assignment`` and
``--student`` (see :mod:`graders.lms.common` for what is shared with the Moodle plugin).

Written by hand here, following the file format of Canvas's own exporter and importer
(``lib/gradebook_exporter.rb`` and ``lib/gradebook_importer.rb`` in instructure/canvas-lms):

* read the gradebook CSV from Canvas (Grades → Export): header ``Student, ID, SIS User ID,
  SIS Login ID, [Integration ID, Root Account,] Section``, then custom and assignment columns
  (``Tensors in PyTorch (12345)``) and read-only totals; a "Manual Posting"/"Muted" row and a
  "    Points Possible" row may come before the students. Comma or semicolon separated;
* find the assignment's column: ``assignment_column`` if set, otherwise the column whose title
  (without Canvas's ``(12345)`` id) equals the nbgrader assignment id, ignoring case;
* match each Canvas row to an nbgrader student by ``id_column`` ("SIS Login ID", "SIS User ID" or
  "ID"; case and surrounding spaces ignored) and write their points; rescale when Canvas's points
  possible differ from nbgrader's max score (``rescale``);
* keep only what the import needs: the identity columns (Canvas matches students by them), the
  assignment column, and the Points Possible row (and the Manual Posting row when it concerns
  this assignment); other columns would only show up as changes to review;
* never invent a grade: no submission leaves the cell empty (or 0 with ``missing_as_zero``), a
  value already in Canvas for a student without submission is kept, and "EX" (excused) and
  "N/A" (not assigned to the student) are kept; students in Canvas but not in nbgrader keep
  their cell as it was. Every such case is reported by name.
"""

from __future__ import annotations

import re

from nbgrader.api import Gradebook
from traitlets import Bool, Unicode

from .common import (
    LmsExportError,
    LmsExportPlugin,
    format_points,
    parse_number,
    quoted,
    read_lms_csv,
    write_lms_csv,
)

#: The columns Canvas's importer reads as student identity (its GRADEBOOK_IMPORTER_RESERVED_NAMES).
IDENTITY_COLUMNS = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID",
                    "Integration ID", "Root Account", "Section")
ID_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")
#: Read-only totals Canvas appends (also with "Unposted", an assignment group or a period).
TOTALS = re.compile(r"(Current|Final|Override) (Score|Points|Grade|Status)")
CANVAS_ID = re.compile(r"^(?P<title>.*?)\s*\(\d+\)$")
HIDDEN_CELL = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)


def title_of(column: str) -> str:
    """A Canvas column's title without the ``(12345)`` assignment id Canvas appends."""
    match = CANVAS_ID.match(column)
    return match.group("title") if match else column


class CanvasExportPlugin(LmsExportPlugin):
    """Write a Canvas gradebook import file for one nbgrader assignment."""

    canvas_csv = Unicode(
        "", help="The gradebook CSV exported from Canvas (Grades → Export → Export Entire "
                 "Gradebook). Required.",
    ).tag(config=True)
    assignment_column = Unicode(
        "", help="The Canvas column to fill, e.g. 'Tensors in PyTorch (12345)' (the '(12345)' "
                 "may be left out). Default: the column titled like the nbgrader assignment id, "
                 "ignoring case.",
    ).tag(config=True)
    id_column = Unicode(
        "SIS Login ID", help="The Canvas column that holds nbgrader's student ids: "
                             "'SIS Login ID', 'SIS User ID' or 'ID' (Canvas's own user id).",
    ).tag(config=True)
    rescale = Bool(
        True, help="When Canvas's Points Possible differ from nbgrader's max score, rescale the "
                   "points to Canvas's (12 of 15 → 8 of 10). Off: write nbgrader's points.",
    ).tag(config=True)

    lms = "Canvas"
    default_to = "{assignment}_canvas_import.csv"

    def write_import(self, gradebook: Gradebook) -> None:
        setting = "CanvasExportPlugin.canvas_csv"
        table = read_lms_csv(self.canvas_csv, "Canvas gradebook export", setting, (",", ";"))
        header = table.header
        has_names = "Student" in header or {"LastName", "FirstName"} <= set(header)
        if not (has_names and "ID" in header and "Section" in header):
            raise LmsExportError(
                f"{table.path} is not a Canvas gradebook export: Canvas's have the columns "
                f"'Student', 'ID' and 'Section' first, this one has {quoted(header[:8])}"
                f"{'...' if len(header) > 8 else ''}. In Canvas: Grades → Export → Export "
                f"Entire Gradebook, then set {setting} to the downloaded file.")
        if self.id_column not in ID_COLUMNS:
            raise LmsExportError(f"CanvasExportPlugin.id_column is '{self.id_column}': it must "
                                 f"be one of {quoted(ID_COLUMNS)}.")
        if self.id_column not in header:
            present = [c for c in ID_COLUMNS if c in header]
            raise LmsExportError(
                f"The Canvas export {table.path} has no '{self.id_column}' column, the one "
                f"CanvasExportPlugin.id_column says holds nbgrader's student ids (Canvas leaves "
                f"out the SIS columns for users who may not see them). It has "
                f"{quoted(present)}: set CanvasExportPlugin.id_column to the one that matches "
                "nbgrader's student ids.")

        scores = self.load_scores(gradebook)
        column = self.find_column(header, scores.name, table.path)
        col = header.index(column)
        key_col = header.index(self.id_column)
        dest = self.destination(scores.name, table.path)

        points_row = next((r for r in table.rows if "Points Possible" in r[0]), None)
        if points_row is not None and "read only" in points_row[col]:
            raise LmsExportError(f"The Canvas column '{column}' is read-only (a total): set "
                                 "CanvasExportPlugin.assignment_column to an assignment column.")
        factor = self.scale(scores.max_score, points_row[col] if points_row else None, column)

        by_key = {s.student_id.strip().casefold(): s for s in scores.students}
        all_keys = {s.strip().casefold() for s in scores.all_student_ids}
        seen: dict[str, int] = {}
        written, missing, kept, not_in_nbgrader = 0, [], [], []
        out_cols = [i for i, name in enumerate(header) if name in IDENTITY_COLUMNS] + [col]
        out_rows = []
        for number, row in enumerate(table.rows, start=2):
            if row is points_row:
                out_rows.append([row[i] for i in out_cols])
                continue
            if all(HIDDEN_CELL.match(cell) for cell in row):  # the Muted / Manual Posting row
                if row[col].strip():
                    self.log.info("Canvas: '%s' is set to %s: students see the imported grades "
                                  "once you post them.", column, row[col].strip())
                    out_rows.append([row[i] for i in out_cols])
                continue
            row = list(row)
            key = row[key_col].strip().casefold()
            who = f"{row[0].strip() or '?'} ({self.id_column} {row[key_col].strip() or 'empty'})"
            if key and key in seen:
                raise LmsExportError(
                    f"The Canvas export {table.path} has '{row[key_col]}' in its "
                    f"'{self.id_column}' column twice (records {seen[key]} and {number}): "
                    "choose another CanvasExportPlugin.id_column.")
            seen[key] = number
            student = by_key.get(key) if key else None
            existing = row[col].strip()
            if student is None:
                if key not in all_keys:  # (students left out with --student are not reported)
                    not_in_nbgrader.append(who)
            elif student.points is None:
                if existing in ("", "-"):
                    row[col] = "0" if self.missing_as_zero else ""
                    missing.append(student.student_id)
                else:
                    kept.append(f"{student.student_id} (Canvas has {existing})")
            elif existing.upper() == "EX" or existing == "N/A":
                kept.append(f"{student.student_id} ({existing} in Canvas, nbgrader has "
                            f"{format_points(student.points)})")
            else:
                row[col] = format_points(student.points * factor)
                written += 1
            out_rows.append([row[i] for i in out_cols])

        not_in_canvas = [s.student_id for s in scores.students
                         if s.student_id.strip().casefold() not in seen]
        write_lms_csv(dest, [header[i] for i in out_cols], out_rows, table.delimiter, table.bom)

        empty = "written as 0" if self.missing_as_zero else "grade left empty"
        self.report(f"No submission in nbgrader, {empty}", missing)
        self.report("No submission in nbgrader, or excused (EX) or not assigned (N/A) in "
                    "Canvas: Canvas's value kept", kept)
        self.report("In the Canvas export but not in nbgrader's gradebook (nothing collected "
                    "from them, or another id): cell left as it was", not_in_nbgrader)
        self.report(f"In nbgrader's gradebook but not in the Canvas export (matched by "
                    f"{self.id_column}): not written", not_in_canvas)
        self.warn_about_grading(scores)
        self.log.info(
            "Wrote %s for Canvas column '%s': %d scores, %d without submission, %d kept from "
            "Canvas, %d in Canvas only, %d in nbgrader only. In Canvas: Grades → Import, choose "
            "this file and check the changes it lists before saving.",
            dest, column, written, len(missing), len(kept), len(not_in_nbgrader),
            len(not_in_canvas))

    def find_column(self, header: list[str], assignment: str, path) -> str:
        columns = [c for c in header if c not in IDENTITY_COLUMNS and not TOTALS.search(c)]
        wanted = self.assignment_column.strip()
        if wanted:
            matches = [c for c in columns if c == wanted] or [
                c for c in columns
                if wanted.casefold() in (c.casefold(), title_of(c).casefold())]
            how = f"CanvasExportPlugin.assignment_column is '{wanted}'"
        else:
            matches = [c for c in columns if title_of(c).casefold() == assignment.casefold()]
            how = (f"no column of it is titled '{assignment}' (the nbgrader assignment id, "
                   "ignoring case and Canvas's '(12345)' id)")
        if len(matches) == 1:
            return matches[0]
        example = next((c for c in columns if assignment.casefold() in c.casefold()),
                       columns[0] if columns else "Tensors in PyTorch (12345)")
        fix = ("Say which column to fill: --CanvasExportPlugin.assignment_column="
               f"\"{example}\" on the command line, or c.CanvasExportPlugin.assignment_column = "
               f"\"{example}\" in nbgrader_config.py.")
        if matches:
            raise LmsExportError(f"The Canvas export {path} has {len(matches)} columns that "
                                 f"could be '{assignment}' ({quoted(matches)}). {fix}")
        raise LmsExportError(f"Cannot find the assignment's column in the Canvas export {path}: "
                             f"{how}. Its columns: {quoted(columns) or 'none'}. {fix}")

    def scale(self, max_score: float, points_possible: str | None, column: str) -> float:
        possible = parse_number(points_possible) if points_possible is not None else None
        if possible is None:
            self.log.info("Canvas: no Points Possible for '%s' in the export: writing nbgrader's "
                          "points (out of %s).", column, format_points(max_score))
            return 1.0
        if abs(possible - max_score) < 1e-9:
            return 1.0
        if not self.rescale:
            self.log.warning("Canvas's Points Possible for '%s' is %s, nbgrader's max score is %s: "
                             "writing nbgrader's points unchanged (CanvasExportPlugin.rescale is "
                             "off), so Canvas will show them out of %s.", column,
                             format_points(possible), format_points(max_score),
                             format_points(possible))
            return 1.0
        if max_score <= 0:
            raise LmsExportError(f"nbgrader's max score for this assignment is "
                                 f"{format_points(max_score)}: cannot rescale to Canvas's "
                                 f"{format_points(possible)} points; set "
                                 "CanvasExportPlugin.rescale = False.")
        self.log.warning("Canvas's Points Possible for '%s' is %s, nbgrader's max score is %s: "
                         "points rescaled to Canvas's (full marks = %s; set "
                         "CanvasExportPlugin.rescale = False to write nbgrader's points).",
                         column, format_points(possible), format_points(max_score),
                         format_points(possible))
        return possible / max_score
