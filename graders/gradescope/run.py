"""What ``run_autograder`` runs for each Gradescope submission: ``python3 -P -m
graders.gradescope.run``.

1. Copies the course the zip ships (``source/course``: gradebook, ``nbgrader_config.py``) into a
   throw-away folder and puts the submission at ``submitted/<student>/<assignment>/``: the files
   of ``submission/`` (or of the one folder inside it that holds notebooks, for a zipped folder),
   never symbolic links (the grader would follow them as root).
2. Grades it with the engine, :func:`graders.autograde.autograde`: everything ``graders
   autograde`` does (nbgrader's stages, the sealed notebook run, which is also the grader's
   seeded re-run, and the fresh re-run, ``VerifyAnswers``, points, diagnosis codes,
   renamed/missing/invalid notebooks, kernel deaths).
3. Writes ``results/results.json`` from the gradebook (each test cell's score) and the
   autograded notebook (each failed test's message, with hidden test code redacted as in the
   feedback): one Gradescope test per nbgrader test cell, in notebook order, named, numbered
   and made visible as ``gradescope.json`` says; no top-level ``score`` (Gradescope's total is
   the tests' sum, hidden from students while tests are), ``execution_time``, and an
   ``output`` for the whole submission (the visible tests' score, problems such as a renamed or
   missing notebook, and what the sandbox could not do on this machine; nothing that tells how
   a hidden test went). A submission with no notebook, or several and none named as expected,
   is refused before grading (every test 0, the reason; the log says ``failed``).
   ``extra_data`` keeps, for the instructor, the diagnosis codes, the engine's notes and the
   review list; the log
   (``results/stdout``, instructors only) has the engine's summary.

Every path is under ``$AUTOGRADER_ROOT`` (default ``/autograder``). A results.json is always
written. Exit status, as otter-grader's Gradescope runner does: 0 when results.json holds the
submission's grade (a missing or broken notebook is a grade, 0 points, with the reason); 1 when
the autograder itself failed (an unexpected exception, a stop on Gradescope's time limit):
results.json then says so, with score 0, and the log has the traceback.

Only the standard library is imported at the top, so that a broken grading environment still
gets its results.json written.

Written by hand, after otter-grader's Gradescope runner: nbgrader has no Gradescope output, and
Gradescope offers no Python library for ``results.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import parse_comment, stored

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
#: Names in a submission that are never copied: what macOS, Jupyter and Python leave behind.
IGNORED = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store"}
MAX_TEST_OUTPUT = 4000  # characters of one test's output
MAX_LINE = 1500  # characters of one message line


class Stopped(BaseException):
    """SIGTERM: a time limit, or the container stopping. A BaseException, as KeyboardInterrupt
    is, so that no ``except Exception`` of the engine's records it as one submission's fault."""


def _stop(signum, frame):
    raise Stopped("the autograder was stopped (time limit?) before it finished")


# --------------------------------------------------------------------------- entry point
def main() -> int:
    started = time.monotonic()
    root = Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)
    results_path = root / "results" / "results.json"
    status = 0
    signal.signal(signal.SIGTERM, _stop)
    try:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.unlink(missing_ok=True)
        results = grade(root)
    except BaseException as err:  # noqa: BLE001 - whatever happened, Gradescope gets results
        traceback.print_exc()
        results = failure(root, err)
        status = 1
    results["execution_time"] = round(time.monotonic() - started)
    try:  # ASCII escapes: whatever a student's output held, the file is valid JSON
        results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    except Exception as err:  # noqa: BLE001 - e.g. a value json cannot encode
        traceback.print_exc()
        results, status = failure(root, err), 1
        results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    total = results.get("score", sum(t.get("score", 0) for t in results.get("tests", [])))
    print(f"\nresults.json: score {total}, {len(results.get('tests', []))} "
          f"tests, {results['execution_time']} s\n{results.get('output', '')}")
    return status


def load_config(root: Path) -> dict:
    return json.loads((root / "source" / "gradescope.json").read_text(encoding="utf-8"))


def failure(root: Path, err: BaseException) -> dict:
    """results.json for an autograder that failed: score 0, the reason, no crash here."""
    try:
        config = load_config(root)
        max_score = config.get("max_score")
        names = ", ".join(f"{nb}.ipynb" for nb in config.get("notebooks", []))
    except Exception:  # noqa: BLE001 - even the configuration may be what is broken
        max_score, names = None, "your notebook"
    what = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
    reason = f"{type(err).__name__}: {what}" if what else type(err).__name__
    test = {"name": "Autograder", "score": 0, "status": "failed", "visibility": "visible",
            "output": f"The autograder failed while grading {names}: {reason}"}
    if max_score is not None:
        test["max_score"] = max_score
    return {
        "score": 0,
        "output": ("The autograder failed before it could grade your submission. This is a "
                   "problem with the autograder, not a grade: please tell your instructor, "
                   f"who can rerun it.\n({reason})"),
        "output_format": "text",
        "tests": [test],
    }


# --------------------------------------------------------------------------- grading
def grade(root: Path) -> dict:
    config = load_config(root)
    assignment = config["assignment"]
    student = student_id(root)
    from ..engine.scratch import remove_tree  # standard library only, like this module

    tmp = tempfile.mkdtemp(prefix="graders-gradescope-")
    try:  # removed without recursion whatever the notebook left (scratch.remove_tree)
        course = Path(tmp) / "course"
        shutil.copytree(root / "source" / "course", course)
        try:
            placed = place_submission(root / "submission",
                                      course / "submitted" / student / assignment,
                                      config["notebooks"])
        except NotGradable as refused:  # nothing the engine could grade: say so, grade nothing
            print(f"failed: {student}: {refused} (not graded; results.json says why)")
            graded = Graded({}, {nb: None for nb in config["notebooks"]},
                            notes=[f"{nb}: {refused}" for nb in config["notebooks"]],
                            problems={nb: [refused.code] for nb in config["notebooks"]},
                            student=student)
            return compose(config, graded)
        report = run_engine(course, assignment, student)
        outcome = report.outcomes.get(student)
        if outcome is None:
            raise RuntimeError("the engine reported nothing for the submission")
        if outcome.status == "failed" and not outcome.zeroed:
            raise RuntimeError("grading failed: " + "; ".join(outcome.notes))
        graded = collect(course, config, student)
    finally:
        remove_tree(tmp)
    graded.notes = placed + list(outcome.notes)
    graded.review = list(outcome.review)
    graded.sandbox = list(report.sandbox)
    graded.student = student
    for notebook, cells in graded.cells.items():
        if cells is None:  # the engine counts it as graded (0 points); for Gradescope it failed
            reasons = [n for n in graded.notes if n.startswith(f"{notebook}: ")]
            print(f"failed: {student}: {'; '.join(reasons) or notebook} (scored 0)")
    return compose(config, graded)


def student_id(root: Path) -> str:
    """The submitters' Gradescope ids (they key the grader's fresh inputs), else "student"."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        ids = sorted(str(user["id"]) for user in meta.get("users", []) if "id" in user)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        ids = []
    name = re.sub(r"[^A-Za-z0-9_-]", "", "-".join(ids))[:80]
    return f"gs-{name}" if name else "student"


class NotGradable(Exception):
    """The submission holds no notebook, or several and none of the expected name: the
    autograder cannot tell what to grade. Its text is the reason shown to the student, its
    code (:mod:`graders.findings`) chooses the hint."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.code = code


def place_submission(submission: Path, dest: Path, notebooks: list[str] | None = None
                     ) -> list[str]:
    """Copy the submission's files into ``dest``; return notes for the student.

    For an assignment of one notebook (``tensors``), the notebook to grade is, in this order:
    ``tensors.ipynb``; the one notebook whose name starts with ``tensors`` (a browser's
    ``tensors (1).ipynb``: the engine grades it and notes it); the only notebook of the
    submission, whatever its name (``homework.ipynb``), copied as ``tensors.ipynb`` with a note.
    No notebook, or several and none of these, raises :class:`NotGradable`."""
    dest.mkdir(parents=True)
    notes: list[str] = []
    if not submission.is_dir():
        submission = dest / ".empty"  # nothing uploaded: no notebook, said below
    base = submission
    if submission.is_dir() and not any(p.suffix == ".ipynb" and p.is_file()
                                       for p in submission.iterdir()):
        folders = {p.parent for p in submission.rglob("*.ipynb")
                   if p.is_file() and not _ignored(p.relative_to(submission))}
        if len(folders) == 1:
            base = folders.pop()
            notes.append(f"your notebook was found in the folder "
                         f"{base.relative_to(submission).as_posix()}/ of the submission")
    renamed = {}
    if notebooks and len(notebooks) == 1:
        renamed = _choose_notebook(base, notebooks[0], notes)
    skipped = []
    for path in sorted(base.rglob("*")) if base.is_dir() else []:
        rel = path.relative_to(base)
        if _ignored(rel) or path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_file():
            skipped.append(rel.as_posix())
            continue
        target = dest / renamed.get(rel.as_posix(), rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    if skipped:
        notes.append("not copied (links or special files): " + ", ".join(skipped[:5])
                     + (" ..." if len(skipped) > 5 else ""))
    return notes


def _choose_notebook(base: Path, notebook: str, notes: list[str]) -> dict[str, str]:
    """Which notebook of ``base`` is graded as ``<notebook>.ipynb`` (see place_submission):
    ``{name: expected}`` when it must be copied under the expected name, else ``{}``."""
    expected = f"{notebook}.ipynb"
    names = sorted(p.name for p in base.glob("*.ipynb")
                   if p.is_file() and not p.is_symlink()) if base.is_dir() else []
    starting = [n for n in names if n.lower().startswith(notebook.lower())]
    if expected in names or len(starting) == 1:
        return {}
    if len(names) == 1:
        notes.append(f"graded {names[0]!r} as {expected} (the only notebook you uploaded)")
        return {names[0]: expected}
    if not names:
        inside = sorted({p.relative_to(base).parts[0] + "/" for p in base.rglob("*.ipynb")
                         if not _ignored(p.relative_to(base))}) if base.is_dir() else []
        where = f" (notebooks in several folders: {', '.join(inside)})" if inside else ""
        raise NotGradable(f"no notebook was found in your submission{where}", "no_notebook")
    raise NotGradable(f"your submission holds {len(names)} notebooks ({', '.join(names)}) and "
                      f"none is named {expected}, so the autograder cannot tell which to grade",
                      "which_notebook")


def _ignored(rel: Path) -> bool:
    return any(part in IGNORED for part in rel.parts)


def run_engine(course: Path, assignment: str, student: str):
    """``graders autograde <assignment> --student <student> --force``, in this process."""
    from ..engine import nbgrader_caching  # noqa: F401, I001 - first, as the CLI: trims imports
    from ..autograde import autograde
    from ..engine.progress import Progress, summary

    cwd = os.getcwd()
    os.chdir(course)
    try:
        report = autograde(course, assignment, students=[student], force=True, workers=1,
                           progress=Progress(stream=sys.stdout))
    finally:
        os.chdir(cwd)
    print(summary(report))
    return report


# --------------------------------------------------------------------------- reading the grade
@dataclass
class CellResult:
    """A test cell of the autograded notebook: the trusted verdict and what it showed."""

    code: str = ""
    messages: list[str] = field(default_factory=list)


@dataclass
class Graded:
    """What the engine left for one submission, as plain data."""

    scores: dict[tuple[str, str], tuple[float, float]]  # (notebook, grade_id): (score, max)
    cells: dict[str, dict[str, CellResult] | None]  # per notebook; None: it was not graded
    notes: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    sandbox: list[str] = field(default_factory=list)
    student: str = "student"
    #: per notebook that was not graded: the codes of its findings (why), from the gradebook
    problems: dict[str, list[str]] = field(default_factory=dict)
    findings: list[dict] = field(default_factory=list)  # the graded notebooks' findings


def collect(course: Path, config: dict, student: str) -> Graded:
    """Scores from the gradebook, messages and findings from the autograded notebooks (for a
    notebook that was not graded, the findings the engine wrote in the gradebook)."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    assignment = config["assignment"]
    scores, comments = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for notebook in config["notebooks"]:
            try:
                sub = gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                continue
            for grade in sub.grades:
                scores[(notebook, grade.name)] = (float(grade.score or 0),
                                                  float(grade.max_score or 0))
            comments[notebook] = [f for c in sub.comments for f in parse_comment(c.auto_comment)]
    cells: dict[str, dict[str, CellResult] | None] = {}
    problems, findings = {}, []
    for notebook in config["notebooks"]:
        path = course / "autograded" / student / assignment / f"{notebook}.ipynb"
        nb = nbformat.read(path, as_version=4) if path.is_file() else None
        cells[notebook] = cell_results(nb) if nb is not None else None
        if nb is None:
            problems[notebook] = [f.code for f in comments.get(notebook, []) if f.code]
        else:
            findings += [f.to_json() for f in stored(nb) or []]
    return Graded(scores, cells, problems=problems, findings=findings)


def cell_results(nb) -> dict[str, CellResult]:
    """Each graded cell's diagnosis code and its one message for the student
    (:func:`graders.feedback_text.test_results`: the text the feedback page shows), after the
    feedback's own redaction of hidden test code
    (:class:`~graders.preprocessors.RedactHiddenTests`)."""
    from ..feedback_text import test_results
    from ..preprocessors.redact_hidden_tests import RedactHiddenTests

    nb, _ = RedactHiddenTests().preprocess(nb, {})
    texts = {r.grade_id: r.text for r in test_results(nb)}
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        result = CellResult(code=cell.metadata.get("graders", {}).get("code", "") or "")
        line = texts.get(meta["grade_id"], "")
        if line:
            result.messages.append(line if len(line) <= MAX_LINE else line[:MAX_LINE] + " ...")
        out[meta["grade_id"]] = result
    return out


# --------------------------------------------------------------------------- results.json
def compose(config: dict, graded: Graded) -> dict:
    """Gradescope's results from what the engine left (pure: no files, no engine)."""
    tests, not_graded = [], {}
    for notebook, cells in graded.cells.items():
        if cells is None:
            reasons = [n.split(": ", 1)[1] for n in graded.notes
                       if n.startswith(f"{notebook}: ")]
            not_graded[notebook] = "; ".join(reasons) or f"{notebook}.ipynb was not graded"
    codes = {}
    for spec in config["tests"]:
        notebook, grade_id = spec["notebook"], spec["grade_id"]
        score, max_score = graded.scores.get((notebook, grade_id), (0.0, spec["max_score"]))
        cells = graded.cells.get(notebook)
        cell = (cells or {}).get(grade_id, CellResult())
        if cell.code:
            codes[grade_id] = cell.code
        if notebook in not_graded:
            output = f"Not graded: {not_graded[notebook]}."
        elif score >= max_score:
            output = "Passed."
        else:
            lines = cell.messages or [f"This test scored {score:g} of {max_score:g} points."]
            output = "\n".join(lines)  # the diagnosis code is in extra_data, for the instructor
            if len(output) > MAX_TEST_OUTPUT:
                output = output[:MAX_TEST_OUTPUT] + "\n[... cut]"
        tests.append({
            "name": spec["name"], "number": spec["number"],
            "score": _number(score), "max_score": _number(max_score),
            "status": "passed" if score >= max_score else "failed",
            "visibility": spec["visibility"], "output": output,
        })
    # No top-level "score": Gradescope's total is then the tests' sum, which it hides from
    # students while any test waits for the due date or the publication (its specification,
    # "Controlling Test Case Visibility"). A top-level score would be one more number to keep
    # apart from what is shown; the summary below counts only the visible tests.
    return {
        "output": _summary(config, tests, not_graded, graded),
        "output_format": "text",
        "stdout_visibility": "hidden",  # the log has every test's score: instructors only
        "test_output_format": "text",
        "tests": tests,
        "extra_data": {
            "student": graded.student, "diagnosis_codes": codes, "notes": graded.notes,
            "review": graded.review, "sandbox_missing": graded.sandbox,
            "findings": graded.findings,
        },
    }


def _number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 5)


#: What to do, by the code of why a notebook was not graded (:mod:`graders.findings`).
HINTS = {
    "no_notebook": "Upload your notebook, {names}, as Jupyter saves it (File > Download), and "
                   "submit again.",
    "which_notebook": "Upload only your notebook, {names} (the other notebooks are not "
                      "graded), and submit again.",
    "notebook_missing": "Submit your notebook as {names}: Gradescope grades only a notebook of "
                        "that name (a browser's 'tensors (1).ipynb' is fine).",
    "invalid_notebook": "Download the notebook again from Jupyter (File > Download) and submit "
                        "that file; it must be the .ipynb file Jupyter saved.",
    "not_prepared": "The notebook's grading information (cell metadata) was changed: start "
                    "from a fresh copy of the assignment notebook, copy your answers into it, "
                    "and submit that.",
}


#: When each visibility shows a test to students (Gradescope's autograder specification).
WHEN = {"after_published": "are shown when your instructor publishes the grades",
        "after_due_date": "are shown after the due date"}
#: Engine notes that tell how hidden tests went ("tampering: ... (2 test(s) failed for it)"):
#: in extra_data and the log, never in the summary while some tests are hidden.
HIDDEN_NOTES = ("tampering:",)


def _summary(config: dict, tests: list[dict], not_graded: dict[str, str], graded: Graded) -> str:
    names = ", ".join(f"{nb}.ipynb" for nb in config["notebooks"])
    lines = []
    if not_graded:
        for notebook, reason in not_graded.items():
            lines.append(f"{notebook}.ipynb could not be graded, so every test scores 0: "
                         f"{reason}.")
            lines += [HINTS[code].format(names=names)
                      for code in graded.problems.get(notebook, []) if code in HINTS][:1]
    # Always shown to students: nothing here may depend on a test that is not visible yet.
    later = [t for t in tests if t["visibility"] != "visible"]
    shown = [t for t in tests if t["visibility"] == "visible"]
    if not later:
        lines.append(f"Score: {_fmt(tests, 'score')} / {_fmt(tests, 'max_score')} points.")
    elif not not_graded:
        if shown:
            lines.append(f"Tests shown now: {_fmt(shown, 'score')} / {_fmt(shown, 'max_score')} "
                         "points.")
        for visibility, when in WHEN.items():
            group = [t for t in later if t["visibility"] == visibility]
            if group:
                lines.append(f"{len(group)} more tests ({_fmt(group, 'max_score')} points) "
                             f"{when}.")
    notes = [n for n in graded.notes
             if not any(n.startswith(f"{nb}: ") for nb in not_graded)
             and not (later and n.startswith(HIDDEN_NOTES))]
    if notes:
        lines.append("Notes:")
        lines += [f"- {n}" for n in notes]
    if graded.sandbox:
        lines.append("This grading machine lacks part of the grader's sandbox ("
                     + "; ".join(graded.sandbox) + "); your submission was graded anyway, "
                     "with the same checks.")
    return "\n".join(lines)


def _fmt(tests: list[dict], key: str) -> str:
    return f"{sum(t[key] for t in tests):g}"


if __name__ == "__main__":
    sys.exit(main())
