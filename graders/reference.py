"""Reference values: run the source solution and record the seeded answers.

``python -m graders reference`` executes ``source/<assignment>/<assignment>.ipynb`` with nbclient
(given cells and solution cells; test cells are left out, since they read the very values being
made), records each exercise's inputs right before its solution cell and its outputs right
after, and writes them to ``graders/checks/reference_values.json``, the one place the verdicts
(:mod:`graders.checks.verdicts`) read the lesson's answers and data from. The test suite runs
it again and fails if the stored values drift from the source or from the lesson's published
numbers.

nbclient and nbformat do the running and the reading; written by hand is only the choice of cells
and the capture of values.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .checks.exercises import EXERCISES
from .preprocessors.verify_answers import REFERENCE_FILE

#: What the lesson prints, to 4 decimals; the stored values must round to these.
PUBLISHED = {
    ("single_layer_sum", "y"): [0.1595],
    ("single_layer_mm", "y"): [0.1595],
    ("multilayer", "h"): [0.6813, 0.4355],
    ("multilayer", "output"): [0.3171],
}

_CAPTURE_START = "import json as _ref_json\n_ref = {}"
_CAPTURE_END = "print('REFERENCE:' + _ref_json.dumps(_ref))"


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def flatten(values) -> list[float]:
    """A nested list of numbers (``tensor.tolist()``) as a flat list of floats."""
    if isinstance(values, list):
        return [x for row in values for x in flatten(row)]
    return [float(values)]


def _capture(exercise: str, fields: dict[str, str], key: str | None = None) -> str:
    """A cell that stores ``{name: variable.tolist()}`` under the exercise (and ``key``)."""
    items = ", ".join(f"{name!r}: {var}.tolist()" for name, var in fields.items())
    target = f"_ref.setdefault({exercise!r}, {{}})"
    if key:
        target += f".setdefault({key!r}, {{}})"
    return f"{target}.update({{{items}}})"


def reference_notebook(source: Path):
    """The source notebook reduced to given and solution cells, with capture cells added."""
    nb = nbformat.read(source, as_version=4)
    cells = [nbformat.v4.new_code_cell(_CAPTURE_START)]
    for cell in nb.cells:
        if cell.cell_type != "code" or _is_test_cell(cell):
            continue
        exercise = _nbgrader(cell).get("grade_id") if _nbgrader(cell).get("solution") else None
        ex = EXERCISES.get(exercise)
        if ex is not None:  # the inputs, as the solution is about to use them
            inputs = {name: name for name in ex.inputs}
            cells.append(nbformat.v4.new_code_cell(_capture(exercise, inputs, "inputs")))
        cells.append(nbformat.v4.new_code_cell(cell.source))
        if ex is not None:
            fields = {name: name for name in [*ex.outputs, *ex.watched]}
            cells.append(nbformat.v4.new_code_cell(_capture(exercise, fields)))
    cells.append(nbformat.v4.new_code_cell(_CAPTURE_END))
    nb.cells = cells
    return nb


def compute(source: Path, timeout: int = 120) -> dict:
    """Run the source solution and return the recorded values."""
    nb = reference_notebook(source)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if output.get("name") == "stdout" and "REFERENCE:" in text:
            return json.loads(text.split("REFERENCE:", 1)[1])
    raise RuntimeError(f"running {source} recorded no reference values")


def published_mismatches(values: dict) -> list[str]:
    """Where the values do not round to the lesson's published numbers (empty when all do)."""
    problems = []
    for (exercise, name), published in PUBLISHED.items():
        got = [round(x, 4) for x in flatten(values[exercise][name])]
        if got != published:
            problems.append(f"{exercise}.{name}: {got} (published: {published})")
    return problems


def write(values: dict, path: Path = REFERENCE_FILE) -> Path:
    path.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
