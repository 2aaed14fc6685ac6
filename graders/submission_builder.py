r"""Submission builder: turn a *cell file* into a student's submitted notebook.

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
none, the same one; ``delete <grade_id>`` removes the cell; ``meta <grade_id> key=value ...``
edits the cell's metadata, as a student editing it by hand could (``cell_type=markdown`` changes
the cell's type; ``editable`` and ``deletable`` are Jupyter's keys; any other key is nbgrader's,
``grade_id`` included; values are JSON, ``grade=false``, or plain words). Solution cells not named
keep the release's ``raise NotImplementedError()``, as an unanswered exercise does. A header line
``# text-escapes: on`` makes ``\uXXXX`` in cell sources stand for that code point, so that text
a file cannot hold (a lone surrogate, a NUL) can be put in a notebook.

The demo submissions of ``make grade`` (``demo/``) and the test corpus (``tests/corpus/``) are
cell files. nbformat reads and writes the notebooks; the format and the edits are ours.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

CELL_MARK = "# %%"
ACTIONS = ("replace", "after", "copy", "delete", "meta")
ESCAPES_ON = "text-escapes: on"


class CellFileError(ValueError):
    """A cell file that cannot be applied: says which file, which line and what to do."""


@dataclass
class CellFile:
    path: Path
    header: list[str] = field(default_factory=list)
    #: (action, grade_id, source) in file order: "replace", "after", "copy", "delete" or
    #: "meta" (whose "source" is the ``key=value`` words).
    edits: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def student(self) -> str:
        return self.path.stem

    @property
    def description(self) -> str:
        return " ".join(line for line in self.header
                        if not line.startswith("expect ") and line != ESCAPES_ON).strip()


def read_cell_file(path: Path) -> CellFile:
    path = Path(path)
    cell_file = CellFile(path)
    current: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(CELL_MARK):
            words = line[len(CELL_MARK):].split()
            if len(words) == 1:
                words = ["replace", *words]
            if (len(words) < 2 or words[0] not in ACTIONS
                    or (len(words) != 2) != (words[0] == "meta")
                    or not all("=" in word for word in words[2:])):
                raise CellFileError(
                    f"{path}:{number}: expected '# %% <grade_id>', '# %% after <grade_id>', "
                    f"'# %% copy <grade_id>', '# %% delete <grade_id>' or '# %% meta "
                    f"<grade_id> key=value ...', got {line!r}"
                )
            current = []
            if words[0] == "meta":
                cell_file.edits.append(("meta", words[1], " ".join(words[2:])))
                current = None
                continue
            cell_file.edits.append((words[0], words[1], current))
        elif current is not None:
            current.append(line)
        elif line.startswith("#"):
            cell_file.header.append(line.lstrip("#").strip())
    escapes = ESCAPES_ON in cell_file.header
    cell_file.edits = [
        (action, gid, lines if action == "meta" else _unescape("\n".join(lines).strip("\n"),
                                                                escapes))
        for action, gid, lines in cell_file.edits
    ]
    return cell_file


def _unescape(source: str, escapes: bool) -> str:
    if not escapes:
        return source
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), source)


def _edit_metadata(cell, words: str) -> None:
    for word in words.split():
        key, _, text = word.partition("=")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        if key == "cell_type":
            cell.cell_type = value
            if value == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
        elif key in ("editable", "deletable"):
            cell.metadata[key] = value
        else:
            cell.metadata.setdefault("nbgrader", {})[key] = value


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
        elif action == "meta":
            _edit_metadata(nb.cells[index], source)
        else:
            del nb.cells[index]
    return nb


def write_notebook(nb, target: Path) -> Path:
    """Write ``nb`` to ``target`` as Jupyter would, whatever text it holds (a lone surrogate is
    kept as a \\u escape, as JSON can hold it)."""
    text = nbformat.writes(nb)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = nbformat.writes(nb, ensure_ascii=True)
    Path(target).write_text(text + "\n", encoding="utf-8")
    return Path(target)


def write_submission(nb, submitted: Path, student: str, assignment: str, notebook: str) -> Path:
    """Write ``nb`` where nbgrader looks for it: ``submitted/<student>/<assignment>/``."""
    target = Path(submitted) / student / assignment / f"{notebook}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_notebook(nb, target)
