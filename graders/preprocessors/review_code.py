"""ReviewCode: list the lines of the student's own cells worth an instructor's look (an nbgrader
stage, after ``VerifyAnswers``).

Runs :func:`graders.review.scan` on the student's cells (every code cell that is not a given or
test cell of the release) and adds each hit to the findings that :class:`SaveFindings` stores in
the gradebook, under the exercise whose cells it is in (or the notebook's first answer cell). A
hit costs no points. The hits are also kept in the cell's metadata (``metadata.graders.review``).

Leans on nbgrader's preprocessor interface; the scan itself is written by hand
(:mod:`graders.review`).
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ..checks.run_plan import classify
from ..findings import Finding
from ..review import scan


class ReviewCode(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        state = resources.setdefault("graders", {})
        regions = getattr(state.get("plan"), "regions", {}) or {}
        owner = {i: exercise for exercise, cells in regions.items() for i in cells}
        cells = [(i, c.source) for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and classify(c) == "student"]
        hits = scan(cells)
        findings = state.setdefault("findings", [])
        for hit in hits:
            findings.append(Finding("review", hit.category, hit.describe(), owner.get(hit.cell),
                                    where={"cell": hit.cell, "line": hit.line, "what": hit.what,
                                           "source": hit.code}).to_json())
            review = nb.cells[hit.cell].metadata.setdefault("graders", {}).setdefault(
                "review", [])
            review.append({"line": hit.line, "category": hit.category, "what": hit.what})
        state["review"] = [hit.describe() for hit in hits]
        return nb, resources
