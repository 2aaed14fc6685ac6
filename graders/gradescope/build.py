"""``graders gradescope <assignment>``: write the autograder zip to upload to Gradescope.

The zip (``dist/<assignment>-gradescope.zip``) holds, at its root, as Gradescope requires:

* ``setup.sh``: run once by Gradescope when it builds the autograder's image: Python 3.11,
  libseccomp, torch pinned as in ``pyproject.toml`` from PyTorch's CPU-only index, this package;
  it also makes the course secret (never shipped);
* ``run_autograder``: run for each submission; grades ``submission/*.ipynb`` with
  :mod:`graders.gradescope.run` and writes ``results/results.json``;
* ``gradescope.json``: the assignment, its notebooks, and each test cell's name, number, points
  and visibility on Gradescope;
* ``course/``: what the engine needs of the course: ``nbgrader_config.py`` and the gradebook
  that ``nbgrader generate_assignment`` (the real command, in a scratch copy of the course) made
  from the source notebook, with each test cell's hidden tests; the assignment's other source
  files, if any; the course's own exercise entries and reference file, if its configuration
  registers any (docs/adding-an-exercise.md). Not the source notebook: its solutions never
  leave the instructor's machine;
* ``package/``: this package's source (``pyproject.toml``, ``README.md``, ``graders/``) for
  ``setup.sh`` to install; the reference answers are inside it.

Visibility of the tests on Gradescope (``--visibility``): every test cell's verdict comes from
the grader's hidden checks, but the type and shape tests check what the notebook's own visible
tests already show the student, while the value, method and memory tests are the ones an
nbgrader course keeps hidden. ``split`` (the default) shows the first kind at once and the
second ``after_published``; ``after_published``, ``after_due_date`` and ``visible`` apply one
setting to all. ``hidden`` is refused: Gradescope shows the total while tests are hidden.

Leans on nbgrader (the real ``generate_assignment``, run as a command) and nbformat. Written by
hand: the zip's layout and scripts, which are Gradescope's conventions; no library writes them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..checks.exercises import COURSE_FILES, TESTS, load_course

FILES = Path(__file__).resolve().parent / "files"
VENV = "/opt/graders-venv"
PYTHON = "3.11"
VISIBILITIES = ("split", "after_published", "after_due_date", "visible")
#: Gradescope shows students their total while tests are ``hidden`` ("they should only be used
#: for tests which don't contribute points": its specification), so a hidden test with points
#: would show its outcome in the total.
HIDDEN_REFUSED = ("--visibility hidden is refused: Gradescope still shows students their total "
                  "score while tests are 'hidden' (they are meant for tests without points), so "
                  "the total would reveal the hidden tests' outcome. Use after_published (shown "
                  "when you publish the grades) or after_due_date.")
PACKAGE_FILES = ("pyproject.toml", "README.md")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so two builds of the same course differ only in content


class BuildError(RuntimeError):
    """The course cannot be turned into an autograder; says what to fix."""


@dataclass
class TestCell:
    notebook: str
    grade_id: str
    name: str
    number: str
    max_score: float
    visibility: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def build(root: Path, assignment: str, out: Path | None = None,
          visibility: str = "split", venv: str = VENV) -> Path:
    """Write the autograder zip for ``assignment`` of the course in ``root``; return its path.
    ``venv``: where setup.sh makes the grading environment on Gradescope's image (the scripts
    also take ``GRADERS_VENV`` from their environment, for a dry run elsewhere)."""
    root = Path(root).resolve()
    if visibility == "hidden":
        raise BuildError(HIDDEN_REFUSED)
    if not venv.startswith("/") or re.search(r"[^A-Za-z0-9_./+-]", venv):
        raise BuildError(f"--venv must be an absolute path of plain characters, not {venv!r}")
    if visibility not in VISIBILITIES:
        raise BuildError(f"--visibility must be one of {', '.join(VISIBILITIES)}")
    source = root / "source" / assignment
    if not source.is_dir():
        raise BuildError(f"No source folder {source}: is {root} the course folder and "
                         f"{assignment!r} the assignment?")
    if not (root / "nbgrader_config.py").is_file():
        raise BuildError(f"No nbgrader_config.py in {root}.")
    torch_pin = _torch_pin(root / "pyproject.toml")
    out = Path(out) if out else root / "dist" / f"{assignment}-gradescope.zip"
    own = _course_files(root)
    with tempfile.TemporaryDirectory(prefix="graders-gradescope-build-") as tmp:
        course = Path(tmp) / "course"
        _generate(root, course, assignment, own)
        notebooks, tests = _test_cells(course, assignment, visibility)
        config = {
            "assignment": assignment,
            "notebooks": notebooks,
            "max_score": sum(t.max_score for t in tests),
            "visibility": visibility,
            "tests": [t.as_dict() for t in tests],
            "torch": torch_pin,
        }
        entries = _entries(root, course, assignment, config, torch_pin, venv)
        entries += [(f"course/{rel}", (root / rel).read_bytes(), 0o644) for rel in own]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    partial.replace(out)
    return out


def _torch_pin(pyproject: Path) -> str:
    """The exact torch pin of the package (``torch==X.Y.Z``): setup.sh installs that build."""
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d.replace(" ", "") for d in deps if re.match(r"torch\s*==", d)]
    if len(pins) != 1:
        raise BuildError("pyproject.toml must pin torch exactly (torch==X.Y.Z): a range makes "
                         "pip pull a CUDA build on Gradescope.")
    return pins[0]


def _course_files(root: Path) -> list[str]:
    """The course's own exercise entries and reference file, as its configuration names them
    (see docs/adding-an-exercise.md), relative to the course: shipped next to its
    ``nbgrader_config.py``."""
    config = load_course(root)
    paths = list(COURSE_FILES)
    if config is not None and "reference_file" in config.get("VerifyAnswers", {}):
        paths.append(Path(config.VerifyAnswers.reference_file))
    out = []
    for path in paths:
        path = (root / path).resolve()
        if path.is_file() and path.is_relative_to(root):
            out.append(path.relative_to(root).as_posix())
    return sorted(set(out))


def _generate(root: Path, course: Path, assignment: str, own: list[str] = ()) -> None:
    """A scratch course: the source assignment and config (with the course's own exercise
    entries), then the real ``nbgrader generate_assignment`` (it writes the gradebook the
    engine grades against)."""
    course.mkdir()
    shutil.copytree(root / "source" / assignment, course / "source" / assignment, ignore=SKIP)
    shutil.copy(root / "nbgrader_config.py", course / "nbgrader_config.py")
    for rel in own:
        (course / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / rel, course / rel)
    bindir = os.path.dirname(sys.executable)  # nbgrader runs `alembic`: it must be on PATH
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
         "--log-level=WARN"], cwd=course, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not (course / "gradebook.db").is_file():
        raise BuildError(f"nbgrader generate_assignment {assignment} failed:\n"
                         f"{proc.stdout}{proc.stderr}")


def _test_cells(course: Path, assignment: str, visibility: str):
    """The notebooks and their test cells in notebook order, with their points, read from the
    release that ``generate_assignment`` wrote (its test cells hold only the visible tests;
    nbgrader took the gradebook's points from the same metadata)."""
    release = course / "release" / assignment
    notebooks = sorted(p.stem for p in release.glob("*.ipynb"))
    tests: list[TestCell] = []
    for notebook in notebooks:
        nb = nbformat.read(release / f"{notebook}.ipynb", as_version=4)
        count: dict[int, int] = {}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
                continue
            grade_id = meta["grade_id"]
            exercise = TESTS.get(grade_id, (None, None))[0]
            group = exercise.number if exercise else 0
            count[group] = count.get(group, 0) + 1
            number = f"{group}.{count[group]}" if exercise else str(len(tests) + 1)
            tests.append(TestCell(
                notebook=notebook, grade_id=grade_id,
                name=_name(grade_id, cell.source, exercise),
                number=number, max_score=float(meta.get("points", 0)),
                visibility=_visibility(grade_id, visibility)))
    if not tests:
        raise BuildError(f"The release of {assignment} has no test cells: nothing to grade.")
    return notebooks, tests


def _name(grade_id: str, source: str, exercise) -> str:
    """``Exercise 1: y is a tensor of shape (1, 1) [test_single_layer_sum_shape]``, from the
    test cell's first line (``# Test <exercise>: <what it checks>``)."""
    first = source.strip().splitlines()[0] if source.strip() else ""
    match = re.match(r"#\s*Test\s+[\w.]+\s*:\s*(.+)", first)
    what = match.group(1).strip() if match else ""
    what = re.sub(r"\s*\((the )?hidden tests[^)]*\)\s*$", "", what)
    prefix = f"Exercise {exercise.number}: " if exercise else ""
    return f"{prefix}{what} [{grade_id}]" if what else f"{prefix}{grade_id}"


def _visibility(grade_id: str, policy: str) -> str:
    if policy != "split":
        return policy
    exercise, part = TESTS.get(grade_id, (None, None))
    if exercise is not None and exercise.parts[part].visible:  # repeats the visible test
        return "visible"
    return "after_published"


def _template(name: str, values: dict[str, str]) -> str:
    text = (FILES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise BuildError(f"{name}: placeholders left unfilled: {left}")
    return text


def fallback_results(max_score: float) -> dict:
    """What run_autograder writes when the grader wrote nothing: Python could not start it, or
    it was killed (out of memory, say)."""
    return {
        "score": 0,
        "output": ("The autograder stopped before it could write your results: its grading "
                   "environment is broken, or it ran out of memory. This is not a grade: please "
                   "tell your instructor, who can rerun it."),
        "tests": [{"name": "Autograder", "score": 0, "max_score": max_score,
                   "status": "failed", "visibility": "visible",
                   "output": "The grader stopped without results (see the autograder's log)."}],
    }


def _entries(root: Path, course: Path, assignment: str, config: dict, torch_pin: str,
             venv: str = VENV):
    """(name in the zip, bytes, mode) for every file."""
    values = {"ASSIGNMENT": assignment, "VENV": venv, "PYTHON": PYTHON, "TORCH_PIN": torch_pin,
              "FALLBACK_JSON": json.dumps(fallback_results(config["max_score"]), indent=1)}
    entries = [
        ("setup.sh", _template("setup.sh", values).encode(), 0o755),
        ("run_autograder", _template("run_autograder", values).encode(), 0o755),
        ("gradescope.json", json.dumps(config, indent=2).encode() + b"\n", 0o644),
        ("course/nbgrader_config.py", (course / "nbgrader_config.py").read_bytes(), 0o644),
        ("course/gradebook.db", (course / "gradebook.db").read_bytes(), 0o644),
    ]
    source = course / "source" / assignment
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb":  # support files; never the solutions
            entries.append((f"course/source/{assignment}/{path.relative_to(source).as_posix()}",
                            path.read_bytes(), 0o644))
    for name in PACKAGE_FILES:
        entries.append((f"package/{name}", (root / name).read_bytes(), 0o644))
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if path.is_file() and not any(part == "__pycache__" or part.endswith(".egg-info")
                                      for part in rel.parts) and path.suffix != ".pyc":
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            entries.append((f"package/graders/{rel.as_posix()}", path.read_bytes(), mode))
    return entries


def describe(path: Path) -> str:
    """The zip's layout, for the command's output."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        size = sum(i.file_size for i in zf.infolist())
    top = sorted({n.split("/", 1)[0] + ("/" if "/" in n else "") for n in names})
    lines = [f"{path} ({path.stat().st_size / 1024:.0f} KiB, {len(names)} files, "
             f"{size / 1024:.0f} KiB unpacked):"]
    for entry in top:
        count = sum(1 for n in names if n.startswith(entry)) if entry.endswith("/") else 0
        lines.append(f"  {entry}" + (f"  ({count} files)" if count else ""))
    return "\n".join(lines)
