"""`graders gradescope`: the autograder zip, and run_autograder run the way Gradescope runs it.

The zip is built once with the real command and unzipped into folders laid out like
``/autograder`` (``source/`` = the zip's contents, ``submission/``, ``results/``), one per case.
``run_autograder`` runs there with ``AUTOGRADER_ROOT`` set and the project's ``.venv/bin`` first
on PATH: ``setup.sh``'s installs need Gradescope's image and network, so here it is only parsed
(``bash -n``) and checked for its pins. The same corpus notebooks are graded by ``graders
autograde`` in one scratch course made from the zip's course, and every results.json must give
each test cell the engine's score, and each failed test the engine's message and diagnosis.
Broken hand-ins, a broken autograder and a broken environment must still give a results.json
that Gradescope accepts (checked by :func:`gradescope_problems`, after Gradescope's documented
format). Cases run two at a time: each run starts the engine (about 5 s).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from conftest import (
    ASSIGNMENT,
    BIN,
    CORPUS,
    ROOT,
    GradedCourse,
    beyond_the_memory_cgroup,
    course_env,
)

from graders import feedback_text
from graders.checks.exercises import EXERCISES
from graders.gradescope.run import CellResult, Graded, compose
from graders.submission_builder import build_submission, read_cell_file

pytestmark = pytest.mark.xdist_group("gradescope")

RELEASE = ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# --------------------------------------------------------------------------- Gradescope's format
# From Gradescope's autograder specification (results.json): every key is optional, but a score
# must be given at the top level or on every test; visibility and formats take these values.
NUMBER = (int, float)
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_KEYS = {"score": NUMBER, "execution_time": NUMBER, "output": str, "output_format": FORMATS,
            "test_output_format": FORMATS, "test_name_format": FORMATS,
            "visibility": VISIBILITY, "stdout_visibility": VISIBILITY, "extra_data": dict,
            "tests": list, "leaderboard": list}
TEST_KEYS = {"score": NUMBER, "max_score": NUMBER, "status": {"passed", "failed"}, "name": str,
             "name_format": FORMATS, "number": str, "output": str, "output_format": FORMATS,
             "tags": list, "visibility": VISIBILITY, "extra_data": dict}


def total(results: dict) -> float:
    """The score Gradescope records: the top-level score, else the tests' sum."""
    return results.get("score", sum(t["score"] for t in results.get("tests", [])))


def _fits(value, kind) -> bool:
    if isinstance(kind, set):
        return value in kind
    if kind is NUMBER:
        return isinstance(value, NUMBER) and not isinstance(value, bool)
    return isinstance(value, kind)


def gradescope_problems(data) -> list[str]:
    """What is wrong with ``data`` as a Gradescope results.json (empty when nothing)."""
    if not isinstance(data, dict):
        return ["results.json must be a JSON object"]
    problems = [f"top level: {key!r} is unknown" if key not in TOP_KEYS else
                f"top level: {key!r} = {value!r} is not a valid value"
                for key, value in data.items()
                if key not in TOP_KEYS or not _fits(value, TOP_KEYS[key])]
    tests = data.get("tests", [])
    if "score" not in data and not tests:
        problems.append("no top-level score and no tests")
    for i, test in enumerate(tests if isinstance(tests, list) else []):
        if not isinstance(test, dict):
            problems.append(f"test {i} is not an object")
            continue
        problems += [f"test {i}: {key!r} is unknown" if key not in TEST_KEYS else
                     f"test {i}: {key!r} = {value!r} is not a valid value"
                     for key, value in test.items()
                     if key not in TEST_KEYS or not _fits(value, TEST_KEYS[key])]
        if "score" not in data and "score" not in test:
            problems.append(f"test {i}: no score, and no top-level score either")
        score, top = test.get("score"), test.get("max_score")
        if _fits(score, NUMBER) and _fits(top, NUMBER):
            if not 0 <= score <= top:
                problems.append(f"test {i}: score {score} outside 0..{top}")
            if "status" in test and test["status"] != ("passed" if score >= top else "failed"):
                problems.append(f"test {i}: status {test['status']} for {score}/{top}")
    scored = [t["score"] for t in tests if isinstance(t, dict) and _fits(t.get("score"), NUMBER)]
    if _fits(data.get("score"), NUMBER) and tests and len(scored) == len(tests):
        if abs(data["score"] - sum(scored)) > 1e-9:  # ours: the total is the tests' sum
            problems.append(f"score {data['score']} is not the tests' sum {sum(scored)}")
    if _fits(data.get("execution_time"), NUMBER) and data["execution_time"] < 0:
        problems.append("negative execution_time")
    return problems


def test_the_validator_rejects_what_gradescope_would_not_read():
    assert gradescope_problems({"tests": [{"name": "a", "max_score": 1}]})  # no score anywhere
    assert gradescope_problems({"score": 1, "tests": [{"visibility": "students"}]})
    assert gradescope_problems({"score": "3"})
    assert gradescope_problems({"score": 2, "tests": [{"score": 1, "max_score": 1}]})
    assert gradescope_problems({"score": 1, "tests": [{"score": 1, "max_score": 1,
                                                       "status": "failed"}]})
    assert gradescope_problems({"score": 1, "test": []})
    assert not gradescope_problems({"tests": [{"score": 1, "max_score": 2}]})
    assert not gradescope_problems({"score": 0})


# --------------------------------------------------------------------------- building cases
def notebook_of(cell_file: Path):
    return build_submission(RELEASE, read_cell_file(cell_file))


def write_nb(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))


def reference(folder: Path, name: str = NOTEBOOK) -> None:
    write_nb(notebook_of(CORPUS / "01_reference.py"), folder / "submission" / name)


def _reference_sealed(folder: Path):
    """The reference answers, plus a cell that reads what the sandbox must keep from a
    submission (if it can, y is ruined), a link to the autograder's files, and Gradescope's
    submission metadata (the student id keys the fresh inputs)."""
    nb = notebook_of(CORPUS / "01_reference.py")
    paths = [str(folder / "source" / "gradescope.json"),
             str(folder / "source" / "course" / "gradebook.db"),
             str(folder / "submission" / NOTEBOOK), str(folder / "run_autograder")]
    index = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "single_layer_sum")
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(PROBE_CELL.format(paths=paths)))
    write_nb(nb, folder / "submission" / NOTEBOOK)
    (folder / "submission" / "data.json").symlink_to(folder / "source" / "gradescope.json")
    (folder / "submission_metadata.json").write_text(json.dumps(
        {"id": 1, "users": [{"id": 4242, "name": "Ada", "email": "ada@example.com"}]}))
    return nb


def _renamed(folder: Path):
    nb = notebook_of(CORPUS / "07_missing_bias_ex1.py")
    write_nb(nb, folder / "submission" / "tensors (1).ipynb")
    return nb


def _zipped_folder(folder: Path):  # a zip of a folder: the notebook one level down
    inner = folder / "submission" / "tensors"
    nb = notebook_of(CORPUS / "13_resize_in_place.py")
    write_nb(nb, inner / NOTEBOOK)
    write_nb(notebook_of(CORPUS / "02_untouched.py"), inner / "scratch.ipynb")
    (folder / "submission" / "__MACOSX").mkdir()
    return nb


def _other_name(folder: Path):  # the only notebook uploaded, under another name
    nb = notebook_of(CORPUS / "10_python_float.py")
    write_nb(nb, folder / "submission" / "homework.ipynb")
    return nb


#: Graded by run_autograder and by the engine (the same notebook), compared cell by cell:
#: case -> (setup, notes expected at the top of results.json)
COMPARED = {
    "01_reference": (_reference_sealed, ["not copied (links or special files): data.json"]),
    "07_missing_bias_ex1": (_renamed, ["graded 'tensors (1).ipynb' as tensors.ipynb"]),
    "13_resize_in_place": (_zipped_folder, ["found in the folder tensors/",
                                            "extra notebooks not graded: scratch.ipynb"]),
    "10_python_float": (_other_name, ["graded 'homework.ipynb' as tensors.ipynb"]),
}


def _multiple(folder: Path) -> None:
    reference(folder, "tensors (1).ipynb")
    reference(folder, "tensors (2).ipynb")


def _invalid_json(folder: Path) -> None:
    (folder / "submission" / NOTEBOOK).write_text('{"cells": [{"cell_type": "co')


def _not_a_notebook(folder: Path) -> None:
    (folder / "submission" / NOTEBOOK).write_text('{"answer": 42}')



def _unpreparable(folder: Path) -> None:  # nbgrader's CheckCellMetadata refuses it
    nb = notebook_of(CORPUS / "01_reference.py")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_single_layer_sum_shape":
            cell.metadata.nbgrader.schema_version = 99
    write_nb(nb, folder / "submission" / NOTEBOOK)


#: Not gradable: every test 0, the reason in each test and at the top, with what to do.
BROKEN = {
    "multiple": (_multiple, "your submission holds 2 notebooks (tensors (1).ipynb, "
                            "tensors (2).ipynb) and none is named tensors.ipynb, so the "
                            "autograder cannot tell which to grade",
                 "Upload only your notebook, tensors.ipynb"),
    "invalid_json": (_invalid_json, "tensors.ipynb is not a valid notebook (NotJSONError",
                     "Download the notebook again"),
    "not_a_notebook": (_not_a_notebook, "tensors.ipynb is not a valid notebook",
                       "Download the notebook again"),
    "empty": (lambda folder: None, "no notebook was found in your submission",
              "Upload your notebook, tensors.ipynb"),
    "unpreparable": (_unpreparable, "nbgrader could not prepare tensors.ipynb "
                                    "(CheckCellMetadata: SchemaTooNewError",
                     "start from a fresh copy"),
}

#: A cell that reads what the sandbox must keep from a submission; if it can, y is ruined.
PROBE_CELL = """\
leaked = []
for path in {paths!r}:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        leaked.append(path)
    except OSError:
        pass
if leaked:
    y = y * 0
"""


def _no_config(folder: Path) -> None:  # the autograder itself is broken: the engine refuses
    reference(folder)
    (folder / "source" / "course" / "nbgrader_config.py").unlink()


OTHER = {"no_config": _no_config}


# --------------------------------------------------------------------------- fixtures
def unpack(zip_path: Path, folder: Path) -> Path:
    """A folder laid out as Gradescope lays out /autograder."""
    for name in ("source", "submission", "results"):
        (folder / name).mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, folder / "source")
            mode = info.external_attr >> 16 & 0o777
            if mode:
                os.chmod(folder / "source" / info.filename, mode)
    shutil.copy2(folder / "source" / "run_autograder", folder / "run_autograder")
    return folder


def run_autograder(folder: Path, path_first: Path = BIN) -> subprocess.CompletedProcess:
    env = dict(os.environ, AUTOGRADER_ROOT=str(folder),
               PATH=f"{path_first}{os.pathsep}{os.environ.get('PATH', '')}",
               GRADERS_VENV=str(folder / "no-such-venv"))
    return subprocess.run([str(folder / "run_autograder")], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


class Run:
    def __init__(self, folder: Path, proc: subprocess.CompletedProcess):
        self.folder, self.proc = folder, proc
        self.results = json.loads((folder / "results" / "results.json").read_text())

    def by_grade_id(self) -> dict[str, dict]:
        return {re.search(r"\[(\w+)\]$", t["name"]).group(1): t for t in self.results["tests"]}

    def __repr__(self) -> str:
        out, err = self.proc.stdout[-3000:], self.proc.stderr[-3000:]
        return f"exit {self.proc.returncode}\n{out}\n{err}"


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope-zip") / "tensors-gradescope.zip"
    proc = subprocess.run([sys.executable, "-m", "graders", "gradescope", ASSIGNMENT,
                           "--out", str(out)], cwd=ROOT, env=course_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert str(out) in proc.stdout and "run_autograder" in proc.stdout
    return out


@pytest.fixture(scope="module")
def graded(zip_path, tmp_path_factory):
    """Every case run through run_autograder, and the compared notebooks through the engine in
    one scratch course made from the zip's, two jobs at a time."""
    base = tmp_path_factory.mktemp("gradescope")
    course = base / "engine-course"
    shutil.copytree(unpack(zip_path, base / "unpacked") / "source" / "course", course)
    setups = {name: setup for name, (setup, *_) in {**COMPARED, **BROKEN}.items()}
    setups.update(OTHER)
    folders = {}
    for name, setup in setups.items():
        folders[name] = unpack(zip_path, base / name)
        nb = setup(folders[name])
        if name in COMPARED:
            write_nb(nb, course / "submitted" / name / ASSIGNMENT / NOTEBOOK)

    def engine():
        return subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT],
                              cwd=course, env=course_env(), capture_output=True, text=True,
                              timeout=600)

    with ThreadPoolExecutor(2) as pool:
        engine_job = pool.submit(engine)
        done = pool.map(lambda f: Run(f, run_autograder(f)), folders.values())
        runs = dict(zip(folders, done, strict=True))
    proc = engine_job.result()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return GradedCourse(course), runs


# --------------------------------------------------------------------------- the zip
def test_the_zip_holds_what_gradescope_needs_and_no_solutions(zip_path, tmp_path):
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 & 0o777 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        runner = zf.read("run_autograder").decode()
        config = json.loads(zf.read("gradescope.json"))
        shipped = {n: zf.read(n) for n in names
                   if n.startswith("course/") or n == "gradescope.json"}
    assert {"setup.sh", "run_autograder", "gradescope.json", "course/nbgrader_config.py",
            "course/gradebook.db", "package/pyproject.toml", "package/README.md",
            "package/graders/gradescope/run.py",
            "package/graders/checks/reference_values.json"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not [n for n in names if n.endswith(".ipynb") or "__pycache__" in n], names
    # The source notebook's solutions are nowhere in the course files or the configuration.
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solution_lines = {line.strip() for cell in source.cells
                      if cell.metadata.get("nbgrader", {}).get("solution")
                      for line in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION",
                                             cell.source, re.S)[0].splitlines()
                      if len(line.strip()) > 8}
    assert solution_lines
    for name, data in shipped.items():
        for line in solution_lines:
            assert line.encode() not in data, f"{name} holds a solution line: {line}"
    # The scripts parse, and setup.sh installs the pinned CPU torch, Python 3.11, libseccomp.
    for script in ("setup.sh", "run_autograder"):
        (tmp_path / script).write_text(setup if script == "setup.sh" else runner)
        assert subprocess.run(["bash", "-n", str(tmp_path / script)]).returncode == 0
    pin = re.search(r'"(torch==[\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert pin == "torch==2.13.0" and config["torch"] == pin
    assert f'"{pin}" --index-url https://download.pytorch.org/whl/cpu' in setup
    assert "libseccomp2" in setup and "python3.11 -m venv" in setup and "package" in setup
    assert "AUTOGRADER_ROOT:-/autograder" in runner
    assert "python3 -P -m graders.gradescope.run" in runner
    assert not re.search(r"@[A-Z_]+@", setup + runner)  # every placeholder filled
    # One Gradescope test per test cell, in notebook order, with nbgrader's points.
    ids = [t["grade_id"] for t in config["tests"]]
    assert ids == [ex.test_id(part) for ex in EXERCISES.values() for part in ex.parts]
    assert config["max_score"] == 15 == sum(t["max_score"] for t in config["tests"])
    visible = {t["grade_id"] for t in config["tests"] if t["visibility"] == "visible"}
    assert visible == {"test_single_layer_sum_shape", "test_single_layer_mm_shape",
                       "test_multilayer_shape", "test_numpy_bridge_type"}
    assert config["tests"][0]["name"] == ("Exercise 1: y is a tensor of shape (1, 1), computed "
                                          "from the inputs [test_single_layer_sum_shape]")


# --------------------------------------------------------------------------- same as the engine
def test_every_results_json_is_valid(graded):
    _, runs = graded
    for name, run in runs.items():
        assert not gradescope_problems(run.results), (name, gradescope_problems(run.results))
        # a refused hand-in (no notebook, several) is answered before the engine starts
        assert run.results["execution_time"] >= (1 if name in COMPARED else 0), name


@pytest.mark.parametrize("case", sorted(COMPARED))
def test_scores_and_messages_are_the_engines_cell_by_cell(graded, case):
    course, runs = graded
    run = runs[case]
    assert run.proc.returncode == 0, run
    tests = run.by_grade_id()
    engine_scores = course.cell_scores(case)
    assert {k: t["score"] for k, t in tests.items()} == engine_scores
    assert {k: t["max_score"] for k, t in tests.items()} == {
        ex.test_id(p): pts for ex in EXERCISES.values() for p, pts in ex.points.items()}
    assert "score" not in run.results  # Gradescope's total: the tests' sum (see below)
    # A failed test says what the engine's verdict says, with its diagnosis code.
    autograded = course.autograded(case)
    for cell in autograded.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id not in tests:
            continue
        output = tests[grade_id]["output"]
        verdict = cell.metadata.get("graders", {})
        if tests[grade_id]["score"] == tests[grade_id]["max_score"]:
            assert output == "Passed.", (grade_id, output)
            continue
        # One message, the feedback page's (graders/feedback_text.py); the code is for the
        # instructor (extra_data), not in the student's output.
        assert output == feedback_text.messages(autograded)[grade_id], (grade_id, output)
        if not verdict.get("passed", True):
            assert verdict["code"] not in output and "diagnosis" not in output, output
        assert "hidden_test" not in output and "BEGIN HIDDEN TESTS" not in output
    assert run.results["extra_data"]["diagnosis_codes"] == course.cell_codes(case)
    for note in COMPARED[case][1]:
        assert note in run.results["output"], run.results["output"]


def test_the_diagnosis_names_the_mistake(graded):
    _, runs = graded
    value = runs["07_missing_bias_ex1"].by_grade_id()["test_single_layer_sum_value"]
    assert value["score"] == 0 and "the bias is missing" in value["output"]
    assert "single_layer_sum.no_bias" not in value["output"]
    shape = runs["10_python_float"].by_grade_id()["test_single_layer_sum_shape"]
    assert shape["output"].startswith("y should be a torch.Tensor, but it is a float")


def test_a_submission_cannot_read_the_autograder_folder_or_follow_a_link(graded):
    _, runs = graded
    run = runs["01_reference"]
    assert beyond_the_memory_cgroup(run.results["extra_data"]["sandbox_missing"]) == []
    assert total(run.results) == 15, run.results["tests"]  # y * 0 would cost 2 points
    assert run.results["extra_data"]["student"] == "gs-4242"


# --------------------------------------------------------------------------- broken hand-ins
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_hand_in_scores_0_with_the_reason_and_what_to_do(graded, case):
    _, runs = graded
    run = runs[case]
    _, reason, hint = BROKEN[case]
    assert run.proc.returncode == 0, run
    assert total(run.results) == 0
    assert len(run.results["tests"]) == 11
    # The instructor's log says it failed, not "graded 1, failed 0" alone.
    assert "failed: student: " in run.proc.stdout and reason in run.proc.stdout, run
    for test in run.results["tests"]:
        assert test["score"] == 0 and test["status"] == "failed"
        assert test["output"].startswith("Not graded: ") and reason in test["output"]
    top = run.results["output"]
    assert "could not be graded" in top and reason in top and hint in top, top


def test_a_broken_autograder_still_writes_results_and_exits_non_zero(graded):
    _, runs = graded
    run = runs["no_config"]
    assert run.proc.returncode == 1, run
    assert run.results["score"] == 0 and len(run.results["tests"]) == 1
    assert run.results["tests"][0]["max_score"] == 15
    assert "The autograder failed" in run.results["output"]
    assert "not a grade" in run.results["output"] and "VerifyAnswers" in run.results["output"]
    assert "Traceback" in run.proc.stderr  # the log keeps the details for the instructor


def test_a_broken_environment_gets_the_fallback_results(zip_path, tmp_path):
    folder = unpack(zip_path, tmp_path / "autograder")
    reference(folder)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\necho 'no module named graders' >&2\nexit 3\n")
    (fake / "python3").chmod(0o755)
    proc = run_autograder(folder, path_first=fake)
    assert proc.returncode == 3
    results = json.loads((folder / "results" / "results.json").read_text())
    assert not gradescope_problems(results)
    assert results["score"] == 0 and "not a grade" in results["output"]
    assert "wrote no results.json" in proc.stderr


def test_a_stop_mid_grading_still_writes_results(zip_path, tmp_path):
    """SIGTERM (a time limit, the container stopping) while the engine grades: results.json
    says the autograder was stopped, the exit status is 1, and no grading process is left."""
    folder = unpack(zip_path, tmp_path / "autograder")
    reference(folder)
    env = dict(os.environ, AUTOGRADER_ROOT=str(folder), PYTHONUNBUFFERED="1",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.Popen([str(BIN / "python3"), "-P", "-m", "graders.gradescope.run"],
                            cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = ""
    while "0/1" not in seen:  # the engine's progress bar: grading has started
        line = proc.stdout.readline()
        assert line, seen
        seen += line
    proc.terminate()
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, seen + rest
    results = json.loads((folder / "results" / "results.json").read_text())
    assert not gradescope_problems(results) and results["score"] == 0
    assert "Stopped: the autograder was stopped" in results["output"]
    time.sleep(1)
    templates = subprocess.run(["pgrep", "-f", "graders.kernel.template"],
                               capture_output=True, text=True).stdout.split()
    assert not [pid for pid in templates if str(folder).encode() in _environ(pid)]


def _environ(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone meanwhile, or not ours to read
        return b""


# --------------------------------------------------------------------------- results.json itself
def test_a_partial_sandbox_is_said_at_the_top_not_an_error(zip_path):
    config = json.loads(zipfile.ZipFile(zip_path).read("gradescope.json"))
    scores = {(t["notebook"], t["grade_id"]): (t["max_score"], t["max_score"])
              for t in config["tests"]}
    graded = Graded(scores, {ASSIGNMENT: {t["grade_id"]: CellResult() for t in config["tests"]}},
                    sandbox=["Landlock: not supported by this kernel (5.4)"])
    results = compose(config, graded)
    assert not gradescope_problems(results) and total(results) == 15
    assert "lacks part of the grader's sandbox (Landlock: not supported by this kernel (5.4))" \
        in results["output"] and "graded anyway" in results["output"]
    assert "Tests shown now: 4 / 4 points." in results["output"]
    assert "7 more tests (11 points) are shown when your instructor publishes" \
        in results["output"]
    everything = compose({**config, "tests": [{**t, "visibility": "visible"}
                                              for t in config["tests"]]}, graded)
    assert "Score: 15 / 15 points." in everything["output"]


# --------------------------------------------------------------------------- what students see
def student_view(results: dict, *, published: bool, past_due: bool, hide_score: bool) -> dict:
    """What a student sees of a results.json, after Gradescope's autograder specification
    ("Controlling Test Case Visibility"): a test when its visibility says so (``hidden``:
    never); the top-level output always; the total (the tests' sum) only when no test that
    counts is still waiting and the assignment does not hide the score. A top-level ``score``
    is taken as shown unless the score is hidden (the field guide: treat it as visible)."""
    default = results.get("visibility", "visible")

    def shown(test) -> bool:
        when = test.get("visibility", default)
        return (when == "visible" or when == "after_due_date" and past_due
                or when == "after_published" and published)

    tests = results.get("tests", [])
    waiting = [t for t in tests if not shown(t) and t.get("visibility", default) != "hidden"]
    view = {"output": results.get("output"),
            "tests": [t for t in tests if shown(t)],
            "stdout": results.get("stdout_visibility", "hidden") == "visible"}
    if not hide_score and "score" in results:
        view["score"] = results["score"]
    if not hide_score and not waiting:
        view["total"] = sum(t["score"] for t in tests)
    return view


@pytest.mark.parametrize("policy", ["split", "after_published", "after_due_date", "visible"])
def test_nothing_shown_before_publication_reveals_a_hidden_test(zip_path, policy):
    """Two submissions that differ only in a value test (a hidden kind: a wrong value, the
    tampering note the engine adds) look the same to the student until the tests are shown,
    under each visibility the zip can be built with, with and without Gradescope's hidden
    score."""
    config = json.loads(zipfile.ZipFile(zip_path).read("gradescope.json"))
    if policy != "split":
        config["tests"] = [{**t, "visibility": policy} for t in config["tests"]]
    key = (ASSIGNMENT, "test_single_layer_sum_value")
    scores = {(t["notebook"], t["grade_id"]): (t["max_score"], t["max_score"])
              for t in config["tests"]}
    cells = {t["grade_id"]: CellResult() for t in config["tests"]}
    right = compose(config, Graded(dict(scores), {ASSIGNMENT: dict(cells)}))
    failed = Graded({**scores, key: (0.0, 2.0)},
                    {ASSIGNMENT: {**cells, key[1]: CellResult(
                        "single_layer_sum.tampering", ["AssertionError: y was replaced"])}},
                    notes=["tampering: the test's helpers were replaced (1 test(s) failed for "
                           "it)"])
    wrong = compose(config, failed)
    assert not gradescope_problems(right) and not gradescope_problems(wrong)
    assert total(right) == 15 and total(wrong) == 13
    for hide_score in (False, True):
        before = dict(published=False, past_due=False, hide_score=hide_score)
        if policy == "visible":  # nothing is hidden: the student sees the failure at once
            assert student_view(right, **before) != student_view(wrong, **before)
            continue
        assert student_view(right, **before) == student_view(wrong, **before), policy
        after = dict(published=True, past_due=True, hide_score=False)
        assert student_view(right, **after) != student_view(wrong, **after)
    assert "tampering" in json.dumps(wrong["extra_data"])  # kept for the instructor


def test_hidden_visibility_is_refused_with_the_reason():
    from graders.gradescope.build import BuildError, build

    with pytest.raises(BuildError, match="total score while tests are 'hidden'"):
        build(ROOT, ASSIGNMENT, visibility="hidden")
    with pytest.raises(BuildError, match="--venv must be an absolute path"):
        build(ROOT, ASSIGNMENT, venv="opt/venv; rm -rf /")


def test_the_scripts_take_their_paths_from_the_environment(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        setup, runner = zf.read("setup.sh").decode(), zf.read("run_autograder").decode()
    assert 'VENV="${GRADERS_VENV:-/opt/graders-venv}"' in setup
    assert 'VENV="${GRADERS_VENV:-/opt/graders-venv}"' in runner
    assert 'ROOT="${AUTOGRADER_ROOT:-/autograder}"' in runner
