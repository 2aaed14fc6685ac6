"""RestoreCellMetadata: the nbgrader metadata of the release's cells, put back from the
gradebook (an nbgrader sanitising stage, before ``OverwriteCells``).

nbgrader's ``OverwriteCells`` puts back the source, type, lock and points of a cell only while
the cell still says it is a grade cell: a test cell whose metadata a student edited by hand
(unlocked, ``grade: false``) keeps the edit, its checksum cannot match the gradebook's, and
nbgrader fails the whole notebook ("Inconsistent checksums"); an answer cell turned into a
grade cell fails it too ("No such grade cell"). What each cell of the release is (grade,
solution, locked, task, points) is in the gradebook; this stage puts it back on every cell whose
``grade_id`` the gradebook knows, so ``OverwriteCells`` then restores the source as usual and the
rest of the notebook is graded. Cells whose id the gradebook does not know are left to
``DeduplicateCells``; a test cell that lost its id is put back by ``OverwriteCells``
(``add_missing_cells``).

Each cell put back is noted in the gradebook (``[autograder]``, through :class:`SaveFindings`).
A changed cell type (one key press in Jupyter) is noted only; changed nbgrader metadata cannot
happen by accident in the notebook interface, so the notebook is flagged for the instructor.
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from ..checks.exercises import TESTS
from ..findings import Finding
from .clean_text import note
from .gradebook_rows import release_cells


def expected_metadata(gb, notebook_id: str, assignment_id: str) -> dict[str, tuple[dict, str]]:
    """grade_id -> (nbgrader metadata of the release's cell, its cell type)."""
    source = release_cells(gb, notebook_id, assignment_id).find_notebook(notebook_id,
                                                                         assignment_id)
    grades = {c.name: c.max_score for c in source.grade_cells}
    solutions = {c.name for c in source.solution_cells}
    tasks = {c.name: c.max_score for c in source.task_cells}
    out = {}
    for cell in source.source_cells:
        meta = {"grade": cell.name in grades, "solution": cell.name in solutions,
                "locked": bool(cell.locked), "task": cell.name in tasks}
        if cell.name in grades:
            meta["points"] = float(grades[cell.name])
        elif cell.name in tasks:
            meta["points"] = float(tasks[cell.name])
        out[cell.name] = (meta, cell.cell_type)
    return out


class RestoreCellMetadata(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        if not info.get("db_url"):
            return nb, resources
        with Gradebook(info["db_url"]) as gb:
            try:
                expected = expected_metadata(gb, info["notebook"], info["assignment"])
            except MissingEntry:
                return nb, resources
        present = set()
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if not isinstance(meta, dict) or meta.get("grade_id") not in expected:
                continue
            grade_id = meta["grade_id"]
            present.add(grade_id)
            want, cell_type = expected[grade_id]
            changed = [f"{key} {meta.get(key, False)!r} instead of {want[key]!r}"
                       for key in want if _value(meta.get(key)) != _value(want[key])]
            if changed:
                meta.update(want)
                if not want["grade"] and not want["task"]:
                    meta.pop("points", None)
                meta.setdefault("schema_version", 3)
                if want["locked"]:
                    cell.metadata["editable"] = False
                    cell.metadata["deletable"] = False
                note(nb, Finding("autograder", "metadata_restored",
                                 f"cell {index} ({grade_id}) had its nbgrader metadata edited "
                                 f"by hand ({'; '.join(changed)}); it was put back as in the "
                                 f"source and the cell graded as the source's",
                                 _owner(grade_id)).to_json())
            if cell.cell_type != cell_type:
                note(nb, Finding("autograder", "cell_type_restored",
                                 f"cell {index} ({grade_id}) was made a {cell.cell_type} cell; "
                                 f"it was graded as the {cell_type} cell it is in the source",
                                 _owner(grade_id)).to_json())
        if self.config.OverwriteCells.get("add_missing_cells", False):
            for grade_id, (want, _) in expected.items():
                if want["grade"] and not want["solution"] and grade_id not in present:
                    note(nb, Finding("autograder", "test_cell_restored",
                                     f"test cell {grade_id} was not in the notebook (deleted, "
                                     f"or its nbgrader id changed); it was put back from the "
                                     f"source", _owner(grade_id)).to_json())
        return nb, resources


def _owner(grade_id: str) -> str:
    """The exercise a test cell belongs to (its answer cell's id: the gradebook comment the
    finding goes to); a cell's own id otherwise."""
    return TESTS[grade_id][0].grade_id if grade_id in TESTS else grade_id


def _value(value):
    """False, None and a missing key are the same to nbgrader; points compare as numbers."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value
