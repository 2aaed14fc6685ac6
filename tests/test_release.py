"""release/ is exactly what `nbgrader generate_assignment` makes, and gives nothing away."""

import json

import nbformat
import pytest
from conftest import ASSIGNMENT, ROOT

pytestmark = pytest.mark.xdist_group("stock")

COMMITTED = ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def _comparable(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.pop("id", None)  # generate_assignment keeps ids; compare everything else too
    return json.loads(json.dumps(nb, sort_keys=True))


def test_committed_release_matches_generate_assignment(graded_course):
    rebuilt = graded_course.path / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert _comparable(rebuilt) == _comparable(COMMITTED), (
        "release/ is out of date with source/: run `make release` and commit release/"
    )
    assert sorted(p.name for p in rebuilt.parent.iterdir()) == sorted(
        p.name for p in COMMITTED.parent.iterdir()
    )


def test_release_has_no_solutions_hidden_tests_or_outputs():
    nb = nbformat.read(COMMITTED, as_version=4)
    text = COMMITTED.read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "hidden_test", "graders"):
        assert secret not in text
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert cell.source == STUB, f"{meta['grade_id']} leaks solution code"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
