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
import os
import re
import tempfile
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

from .checks.exercises import EXERCISES, load_course
from .course import REFERENCE_FILE


def published() -> dict[tuple[str, str], list[float]]:
    """What the lesson prints, to 4 decimals, per (exercise, output): each table entry's
    ``published`` values; the stored values must round to these."""
    return {(ex.grade_id, name): values for ex in EXERCISES.values()
            for name, values in ex.published.items()}

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
    """Run the source solution and return the recorded values (the exercises a course adds
    in its ``nbgrader_config.py`` included: ``source`` is ``<course>/source/<a>/<a>.ipynb``)."""
    source = Path(source)
    load_course(source.resolve().parent.parent.parent)
    nb = reference_notebook(source)
    # Over UNIX sockets in a private folder, not TCP on localhost: no port another user of the
    # machine can reach, and no warning from ipykernel about unencrypted TCP.
    with tempfile.TemporaryDirectory(prefix="graders-reference-") as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=os.path.join(sockets, "kernel"))
        try:
            NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(source.parent)}}).execute()
        finally:  # nbclient shuts down only kernel managers it made itself
            if km.has_kernel:
                km.shutdown_kernel()
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if output.get("name") == "stdout" and "REFERENCE:" in text:
            return json.loads(text.split("REFERENCE:", 1)[1])
    raise RuntimeError(f"running {source} recorded no reference values")


def published_mismatches(values: dict) -> list[str]:
    """Where the values do not round to the lesson's published numbers (empty when all do)."""
    problems = []
    for (exercise, name), shown in published().items():
        got = [round(x, 4) for x in flatten(values[exercise][name])]
        if got != shown:
            problems.append(f"{exercise}.{name}: {got} (published: {shown})")
    return problems


def answers(values: dict):
    """``(exercise, output, value)`` for each exercise's answers among ``values`` (what
    ``graders reference`` prints after writing them), in the table's order."""
    for exercise, ex in EXERCISES.items():
        for name in ex.outputs:
            if name in values.get(exercise, {}):
                yield exercise, name, values[exercise][name]


def write(values: dict, path: Path = REFERENCE_FILE) -> Path:
    path.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


_SHAPE = re.compile(r"\((\d+), (\d+)\)")
_HINT = re.compile(r"Hint: ([^\"]*)|\"([^\"]*\bgives \(\d+, \d+\)[^\"]*)\"")


def _shapes(text: str) -> set[tuple[int, int]]:
    return {(int(r), int(c)) for r, c in _SHAPE.findall(text)}


def visible(cell) -> str:
    """What a student sees of a test cell: its source before the hidden tests."""
    return cell.source.split("### BEGIN HIDDEN TESTS")[0]


def drift(nb, exercises=None) -> list[str]:
    """Where the student-visible text of the source notebook ``nb`` disagrees with the table
    (``exercises``: the entries to check, by default every registered one); empty when it
    agrees. For each exercise: its ``## Exercise <number>`` heading names each output, and every
    shape written there is one of its inputs' or outputs'; each test cell's visible part starts
    ``# Test <exercise>:``, names what its check reads, writes no shape the entry does not, and
    a visible check shows each output's shape; a shape hint it shows (``Hint: ...``, or a
    sentence with ``gives (r, c)``) mentioning an output's shape includes the entry's."""
    exercises = list(EXERCISES.values()) if exercises is None else list(exercises)
    problems: list[str] = []
    cells = list(nb.cells)
    index = {_nbgrader(c).get("grade_id"): i for i, c in enumerate(cells)
             if c.cell_type == "code" and _nbgrader(c).get("grade_id")}
    for ex in exercises:
        where = f"exercise {ex.number} ({ex.grade_id})"
        if ex.grade_id not in index:
            problems.append(f"{where}: no solution cell")
            continue
        own = set(ex.inputs.values()) | set(ex.outputs.values())
        told = own | _shapes(" ".join([*ex.hints.values(), *ex.shape_hints.values(),
                                       *(m.says for m in ex.mistakes)]))
        heading = next((c for c in reversed(cells[:index[ex.grade_id]])
                        if c.cell_type == "markdown" and c.source.startswith("## Exercise")),
                       None)
        if heading is None or not heading.source.startswith(f"## Exercise {ex.number}:"):
            problems.append(f"{where}: no '## Exercise {ex.number}:' heading before its cell")
        else:
            for name in ex.outputs:
                if f"`{name}`" not in heading.source:
                    problems.append(f"{where}: the heading's text does not name `{name}`")
            for shape in sorted(_shapes(" ".join(re.findall(r"`([^`]*)`", heading.source)))
                                - own):
                problems.append(f"{where}: the heading's text writes the shape {shape}, which "
                                f"is no input's or output's ({own})")
        for part_name, part in ex.parts.items():
            test_id = ex.test_id(part_name)
            if test_id not in index:
                problems.append(f"{where}: no test cell {test_id}")
                continue
            text = visible(cells[index[test_id]])
            if not text.startswith(f"# Test {ex.grade_id}:"):
                problems.append(f"{test_id}: its first line is not '# Test {ex.grade_id}: ...'")
            for name in part.names:
                if not re.search(rf"\b{re.escape(name)}\b", text):
                    problems.append(f"{test_id}: its visible test does not name {name}")
            for shape in sorted(_shapes(text) - told):
                problems.append(f"{test_id}: its visible test writes the shape {shape}, which "
                                f"the entry never does")
            if not part.visible:
                continue
            hints = [(a or b).removeprefix("Hint: ") for a, b in _HINT.findall(text)]
            for name in part.names:
                shape = ex.outputs[name]
                if shape not in _shapes(text):
                    problems.append(f"{test_id}: its visible check does not show {name}'s "
                                    f"shape {shape}")
                shown = [h for h in hints if shape in _shapes(h)]
                wanted = ex.shape_hints[name].removeprefix("Hint: ")
                if shown and wanted not in shown:
                    problems.append(f"{test_id}: the visible shape hint for {name} "
                                    f"({' | '.join(shown)}) is not the entry's ({wanted})")
    return problems
