"""The source notebook keeps the assignment's contract (a validator for its nbgrader metadata)."""

import re

import nbformat
from conftest import ASSIGNMENT, ROOT

from graders.checks.exercises import EXERCISES

#: How given and test cells start (a style the lesson keeps; grading identifies cells by their
#: nbgrader ids, not by these lines).
GIVEN_MARK = "# Given: "
TEST_MARK = "# Test "

SOURCE = ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _cells():
    return nbformat.read(SOURCE, as_version=4).cells


def test_source_is_stored_without_outputs():
    for cell in _cells():
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_solution_cells_are_the_contracts_four_exercises_in_order():
    solutions = [c.metadata["nbgrader"]["grade_id"] for c in _cells()
                 if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions == ["single_layer_sum", "single_layer_mm", "multilayer", "numpy_bridge"]
    assert solutions == list(EXERCISES)


def test_test_cells_follow_their_exercise_and_match_the_checker():
    current, seen, total = None, {}, 0
    for cell in _cells():
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            current = meta["grade_id"]
            continue
        if not meta.get("grade"):
            continue
        gid = meta["grade_id"]
        assert current and gid.startswith(f"test_{current}_"), f"{gid} is not after {current}"
        assert meta["locked"] and cell.source.startswith(f"{TEST_MARK}{current}:"), gid
        part = gid[len(f"test_{current}_"):]
        assert meta["points"] == EXERCISES[current].points[part], gid
        assert f'hidden_test("{current}", "{part}")' in cell.source, gid
        seen.setdefault(current, []).append(part)
        total += meta["points"]
    assert seen == {name: list(ex.parts) for name, ex in EXERCISES.items()}
    assert total >= 10


def test_every_other_code_cell_is_a_locked_given_cell():
    for cell in _cells():
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
            continue
        assert meta.get("locked") and cell.source.startswith(GIVEN_MARK), cell.source[:60]


def test_lesson_names_are_given():
    source = "\n".join(c.source for c in _cells() if c.cell_type == "code")
    for name in ("activation", "features", "weights", "bias", "W1", "W2", "B1", "B2"):
        assert f"{name} = " in source or f"def {name}(" in source
    assert re.search(r"np\.random\.seed\(\d+\).*\na = np\.random\.rand\(4, 3\)", source)


#: Right answers that require grad: an nn.Linear with the weights loaded, nn.Parameters.
GRAD_ANSWERS = {
    "single_layer_sum": "y = activation(torch.sum(features * torch.nn.Parameter(weights.clone()))"
                        " + bias)",
    "single_layer_mm": ("layer = torch.nn.Linear(5, 1)\nwith torch.no_grad():\n"
                        "    layer.weight.copy_(weights)\n    layer.bias.copy_(bias.view(1))\n"
                        "y = activation(layer(features))"),
    "multilayer": ("h = activation(torch.mm(features, torch.nn.Parameter(W1.clone())) + B1)\n"
                   "output = activation(torch.mm(h, torch.nn.Parameter(W2.clone())) + B2)"),
}


def test_visible_tests_do_not_warn_on_answers_that_require_grad():
    """nbgrader scores a test cell with anything on stderr 0, and torch warns (once per
    process) when a tensor that requires grad becomes a Python number: so each visible test
    runs in its own process, with warnings turned into errors."""
    import subprocess
    import sys

    cells = _cells()
    for exercise, answer in GRAD_ANSWERS.items():
        program = []
        for cell in cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            if meta.get("solution"):
                program.append(answer if meta["grade_id"] == exercise else
                               cell.source.replace("### BEGIN SOLUTION\n", "").replace(
                                   "### END SOLUTION", ""))
            elif meta.get("grade"):
                program.append(cell.source.split("### BEGIN HIDDEN TESTS")[0])
            else:
                program.append(cell.source)
        code = "\n".join(program)
        proc = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0 and not proc.stderr, f"{exercise}:\n{proc.stderr[-2000:]}"


def test_the_notebooks_visible_text_matches_the_table():
    """Headings, visible tests, their shapes and shape hints say what each entry of
    graders/checks/exercises.py says (graders.reference.drift)."""
    from graders.reference import drift

    assert drift(nbformat.read(SOURCE, as_version=4)) == []


def test_a_drifted_hint_shape_or_name_is_found():
    from graders.reference import drift

    nb = nbformat.read(SOURCE, as_version=4)
    for cell in nb.cells:
        cell.source = (cell.source.replace("makes y (1, 1)", "keeps y (1, 1)")
                       .replace("shape `(1, 2)` and", "shape `(2, 2)` and")
                       .replace("## Exercise 4:", "## Exercise four:")
                       .replace('a (1, 5) and a (5, 1) matrix', 'a (1, 5) and a (6, 1) matrix'))
        if cell.source.startswith("# Test multilayer: h has"):
            cell.source = cell.source.replace("h", "hh")
    found = "\n".join(drift(nb))
    assert "test_single_layer_sum_shape: the visible shape hint for y" in found
    assert "exercise 3 (multilayer): the heading's text writes the shape (2, 2)" in found
    assert "no '## Exercise 4:' heading" in found
    assert "test_single_layer_mm_shape: its visible test writes the shape (6, 1)" in found
    assert "test_multilayer_hidden: its visible test does not name h" in found
