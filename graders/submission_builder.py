"""Submission builder: turn a *cell file* into a student's submitted notebook.

A cell file is a short text file in the percent format Jupytext and VS Code use: a header of
``#`` comment lines (what the student did), then cells introduced by ``# %%`` lines::

    # Forgot the bias in exercise 1; the rest is right.
    # %% single_layer_sum
    y = activation(torch.sum(features * weights))
    # %% after single_layer_sum
    print(y)              # a cell the student added below the solution cell
    # %% delete test_single_layer_sum_value

``# %% <grade_id>`` replaces that cell's source in the release notebook; ``after <grade_id>``
inserts a new code cell after it; ``copy <grade_id>`` inserts a copy of that cell, nbgrader
metadata included, after it (what Jupyter's copy and paste does), with the given source or, if
none, the same one; ``delete <grade_id>`` removes the cell. Solution cells not named keep the
release's ``raise NotImplementedError()``, as an unanswered exercise does.

The demo submissions of ``make grade`` (``demo/``) and the test corpus (``tests/corpus/``) are
cell files. nbformat reads and writes the notebooks; the format and the edits are ours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

CELL_MARK = "# %%"


class CellFileError(ValueError):
    """A cell file that cannot be applied: says which file, which line and what to do."""


@dataclass
class CellFile:
    path: Path
    header: list[str] = field(default_factory=list)
    #: (action, grade_id, source) in file order: "replace", "after", "copy" or "delete".
    edits: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def student(self) -> str:
        return self.path.stem

    @property
    def description(self) -> str:
        return " ".join(line for line in self.header if not line.startswith("expect ")).strip()


def read_cell_file(path: Path) -> CellFile:
    path = Path(path)
    cell_file = CellFile(path)
    current: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(CELL_MARK):
            words = line[len(CELL_MARK):].split()
            if len(words) == 1:
                words = ["replace", *words]
            if len(words) != 2 or words[0] not in ("replace", "after", "copy", "delete"):
                raise CellFileError(
                    f"{path}:{number}: expected '# %% <grade_id>', '# %% after <grade_id>', "
                    f"'# %% copy <grade_id>' or '# %% delete <grade_id>', got {line!r}"
                )
            current = []
            cell_file.edits.append((words[0], words[1], current))
        elif current is not None:
            current.append(line)
        elif line.startswith("#"):
            cell_file.header.append(line.lstrip("#").strip())
    cell_file.edits = [
        (action, gid, "\n".join(lines).strip("\n")) for action, gid, lines in cell_file.edits
    ]
    return cell_file


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def build_submission(release_notebook: Path, cell_file: CellFile):
    """The release notebook with the cell file's edits applied (a new NotebookNode)."""
    nb = nbformat.read(release_notebook, as_version=4)
    for action, grade_id, source in cell_file.edits:
        index = next((i for i, c in enumerate(nb.cells) if _grade_id(c) == grade_id), None)
        if index is None:
            known = ", ".join(gid for gid in map(_grade_id, nb.cells) if gid)
            raise CellFileError(
                f"{cell_file.path}: no cell with grade_id {grade_id!r} in {release_notebook}; "
                f"the notebook has: {known}"
            )
        if action == "replace":
            nb.cells[index].source = source
        elif action == "after":
            nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
        elif action == "copy":
            copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[index])))
            copy["id"] = nbformat.v4.new_code_cell().id
            copy.source = source or copy.source
            nb.cells.insert(index + 1, copy)
        else:
            del nb.cells[index]
    return nb


def write_submission(nb, submitted: Path, student: str, assignment: str, notebook: str) -> Path:
    """Write ``nb`` where nbgrader looks for it: ``submitted/<student>/<assignment>/``."""
    target = Path(submitted) / student / assignment / f"{notebook}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target
