"""The batch survives what one submission, or the machine, does to it (``graders autograde``).

No student stops, stalls or crashes the batch: signals reach only the submission that sends
them, processes it leaves behind die with it and never hold the grader's output open, a
template process that dies is started again; and every submission is accounted for: one that
nbgrader cannot prepare is recorded as failed, with its reason, in the gradebook and the summary,
and the run exits non-zero; a failed regrade never leaves an older score standing unflagged.
Under stock ``nbgrader autograde`` with the course's SealedExecute, a kernel slow to say it is
idle (a loaded machine) keeps its submission.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    ASSIGNMENT,
    CORPUS,
    GradedCourse,
    add_submissions,
    beyond_the_memory_cgroup,
    course_env,
    expected_scores,
    make_course,
    run_nbgrader,
)
from nbgrader.api import Gradebook

CONFIG = "\nc.Execute.timeout = 10\nc.GradingEngine.kill_grace = 2\n"
HONEST = ["01_reference", "07_missing_bias_ex1"]


def _course(tmp_path: Path, files: list[Path]) -> Path:
    course = make_course(tmp_path)
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(CONFIG)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    add_submissions(course, files)
    return course


def _engine(course: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT, *args],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=timeout)


def _cell_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "cells" / f"{name}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


ANSWERS = (CORPUS / "01_reference.py").read_text().split("# %% single_layer_sum", 1)[1]


def test_signals_a_submission_sends_reach_only_itself(tmp_path):
    attacker = _cell_file(tmp_path, "90_signals", (
        "# Signals its own group, its parent and every process it may (kill -1).\n"
        "# %% single_layer_sum" + ANSWERS +
        "\n# %% after given_shape_error\nimport os, signal\n"
        "os.killpg(os.getpgid(0), signal.SIGTERM)\n"
        "# %% after given_multilayer_data\nimport os, signal\n"
        "os.kill(os.getppid(), signal.SIGKILL)\n"
        "# %% after given_numpy_data\nimport os, signal\nos.kill(-1, signal.SIGKILL)\n"))
    course = _course(tmp_path, [CORPUS / f"{s}.py" for s in HONEST] + [attacker])
    proc = _engine(course, "--workers", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    graded = GradedCourse(course)
    assert sum(graded.cell_scores("90_signals").values()) == 15
    for student in HONEST:
        assert graded.cell_scores(student) == expected_scores(CORPUS / f"{student}.py")
    line = next(row for row in proc.stdout.splitlines() if row.startswith("90_signals"))
    assert "kernel died" in line and "SIGTERM" in line


def test_processes_left_behind_do_not_hold_the_graders_output(tmp_path):
    attacker = _cell_file(tmp_path, "91_orphans", (
        "# Leaves a sleeper and a double-forked daemon behind, both holding stdout.\n"
        "# %% single_layer_sum" + ANSWERS +
        "\n# %% after given_numpy_data\nimport os, subprocess, time\n"
        "subprocess.Popen(['sleep', '301'])\n"
        "if os.fork() == 0:\n    if os.fork() == 0:\n        time.sleep(302)\n"
        "    os._exit(0)\n"))
    course = _course(tmp_path, [CORPUS / "01_reference.py", attacker])
    start = time.monotonic()
    # Output to pipes, read to their end: what `graders autograde | cat` and CI do.
    proc = _engine(course, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - start < 90
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 301" not in ps
    assert sum(GradedCourse(course).cell_scores("91_orphans").values()) == 15


def _template_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"graders.kernel.template" in (
                    entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def test_a_template_that_dies_is_restarted_and_nothing_is_lost(tmp_path):
    cases = sorted(CORPUS.glob("*.py"))[:10]
    course = _course(tmp_path, cases)
    proc = subprocess.Popen([sys.executable, "-m", "graders", "autograde", ASSIGNMENT,
                             "--workers", "1"], cwd=course, env=course_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    autograded, killed = course / "autograded", 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not killed:
        if autograded.exists() and len(list(autograded.glob(f"*/{ASSIGNMENT}"))) >= 2:
            for pid in _template_pids():
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.05)
    out, err = proc.communicate(timeout=300)
    assert killed, "the template should have been found and killed mid-batch"
    assert proc.returncode == 0, out + err
    graded = GradedCourse(course)
    for case in cases:
        assert graded.cell_scores(case.stem) == expected_scores(case), case.stem


def _broken_metadata(course: Path, student: str) -> None:
    path = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "test_single_layer_sum_shape":
            cell["metadata"]["nbgrader"]["schema_version"] = 99
    path.write_text(json.dumps(nb))
    later = time.time() + 5
    os.utime(path.parent, (later, later))


def _record(course: Path, student: str):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return nb.flagged, "\n".join(c.auto_comment or "" for c in nb.comments), nb.score


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_notebook_nbgrader_cannot_prepare_fails_the_run_with_its_reason(tmp_path, workers):
    course = _course(tmp_path, [CORPUS / "01_reference.py", CORPUS / "07_missing_bias_ex1.py"])
    _broken_metadata(course, "01_reference")
    proc = _engine(course, "--workers", workers)
    assert proc.returncode == 1, proc.stdout
    line = next(row for row in proc.stdout.splitlines() if row.startswith("01_reference"))
    assert "failed" in line and "SchemaTooNewError" in line
    assert "graded 1, skipped 0" in proc.stdout and "failed 1" in proc.stdout
    flagged, comments, score = _record(course, "01_reference")
    assert flagged and "could not prepare" in comments and score == 0


def test_a_failed_regrade_flags_the_scores_it_could_not_replace(tmp_path):
    course = _course(tmp_path, [CORPUS / "01_reference.py"])
    assert _engine(course).returncode == 0
    assert _record(course, "01_reference")[2] == 15
    _broken_metadata(course, "01_reference")
    proc = _engine(course, "--force")
    assert proc.returncode == 1
    flagged, comments, score = _record(course, "01_reference")
    assert flagged and "could not prepare" in comments and score == 0
    assert "scores are set to 0" in proc.stdout


def test_require_sandbox_and_no_sandbox_flags(tmp_path):
    course = _course(tmp_path, [CORPUS / "01_reference.py"])
    proc = _engine(course, "--require-sandbox")
    if beyond_the_memory_cgroup(["memory cgroup: ?"]):
        assert proc.returncode == 0 and "partial sandbox" not in proc.stdout
    else:  # an ordinary user here: the memory cgroup is missing, and a required sandbox refuses
        said = proc.stdout + proc.stderr
        assert proc.returncode == 1 and "Nothing was graded" in said, said
        assert "memory cgroup" in said and "memfd_create" in said, said
    proc = _engine(course, "--no-sandbox", "--force")
    assert proc.returncode == 0 and "the sandbox is off" in proc.stdout
    assert sum(GradedCourse(course).cell_scores("01_reference").values()) == 15


#: After exercise 1's tests, a cell that makes the kernel slow to say it is idle once: its stdout
#: flush (which ipykernel calls after each reply) sleeps, as a loaded machine can make it wait.
SLOW_TO_GO_IDLE = ANSWERS.replace("# %% single_layer_mm", """# %% after test_single_layer_sum_value
import sys
import time

_flush, _calls = sys.stdout.flush, [0]


def slow_flush():
    _calls[0] += 1
    if _calls[0] == 2:
        time.sleep(4)
    _flush()


sys.stdout.flush = slow_flush
# %% single_layer_mm""", 1)
#: The wait for a cell's last output, shortened so that the sleep above outlasts it.
SHORT_IOPUB_WAIT = "\nc.Execute.iopub_timeout = 2\n"


def test_under_stock_nbgrader_a_kernel_slow_to_go_idle_keeps_its_submission(tmp_path):
    """The course's SealedExecute goes on without the cell's late output. With nbgrader's own
    setting (raise when the wait runs out), why the course's differs, the whole notebook fails,
    is removed from autograded/ and scores 0 in every test."""
    course = _course(tmp_path, [_cell_file(tmp_path, "slow_idle", "# %% single_layer_sum"
                                           + SLOW_TO_GO_IDLE)])
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(SHORT_IOPUB_WAIT)
    notebook = course / "autograded" / "slow_idle" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    proc = run_nbgrader(course, "autograde", ASSIGNMENT, "--Execute.raise_on_iopub_timeout=True",
                        check=False)
    assert proc.returncode == 1 and "Timeout waiting for IOPub output" in proc.stderr
    assert sum(GradedCourse(course).cell_scores("slow_idle").values()) == 0
    assert not notebook.exists()
    proc = run_nbgrader(course, "autograde", ASSIGNMENT, "--force", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Timeout waiting for IOPub output" in proc.stderr  # the wait did run out
    assert sum(GradedCourse(course).cell_scores("slow_idle").values()) == 15
    assert notebook.exists()
