"""DeduplicateCells: nbgrader's ``DeduplicateIds``, finished (an nbgrader sanitising stage).

Jupyter copies a cell's nbgrader metadata when a student copies and pastes the cell, so a
submission can hold two cells with one ``grade_id``. nbgrader 0.9.6's ``DeduplicateIds`` keeps
the last of them and empties the others' nbgrader metadata to ``{}``; ``OverwriteCells`` then
fails on those cells with ``KeyError('grade_id')`` (its ``add_missing_task_cells`` reads
``grade_id`` from every cell that has an ``nbgrader`` key), and the whole submission is lost.
The same happens to a cell whose ``grade_id`` the gradebook does not know (pasted from another
assignment), whose id ``OverwriteCells`` deletes.

This stage does what ``DeduplicateIds`` intends, and finishes the job: the last cell with an id
keeps it, and every other copy, and every cell with an id the gradebook does not know, becomes
an ordinary cell of the student's (its nbgrader metadata is removed; an unknown id is noted in
the gradebook through :class:`SaveFindings`). Configured in
``nbgrader_config.py`` in place of ``DeduplicateIds`` in ``c.Autograde.sanitize_preprocessors``.

Leans on nbgrader (the preprocessor interface, the gradebook's cell ids); written by hand: the rule
above, as ``DeduplicateIds`` has no setting for it.
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import DeduplicateIds

from ..findings import Finding
from .clean_text import note
from .gradebook_rows import release_cells


class DeduplicateCells(DeduplicateIds):
    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        known = None
        info = resources.get("nbgrader", {})
        if info.get("db_url"):
            with Gradebook(info["db_url"]) as gb:
                source = release_cells(gb, info["notebook"], info["assignment"])
            known = {cell.name for cell in source.source_cells} if source.found else None
        for cell in nb.cells:
            meta = cell.get("metadata", {})
            if "nbgrader" not in meta:
                continue
            grade_id = meta["nbgrader"].get("grade_id")
            if not grade_id or (known is not None and grade_id not in known):
                if grade_id:
                    note(nb, Finding("autograder", "unknown_cell_id",
                                     f"cell {nb.cells.index(cell)} had an nbgrader id the "
                                     f"assignment does not know ({grade_id}); it was run as "
                                     f"an ordinary cell of the student's").to_json())
                del meta["nbgrader"]
                for key in ("editable", "deletable"):
                    meta.pop(key, None)
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        if not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)):
            return cell, resources
        if not cell.metadata.nbgrader.get("grade_id"):
            cell.metadata.nbgrader = {}  # removed in preprocess, with the duplicates
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)
