"""The red team's attack corpus (``tests/attacks/``), graded in one batch with honest students.

Every attack file says what it tries and, in its ``# expect`` lines, what a secure grader gives
(usually nothing for the cheated exercise, full marks for the honest ones). All of them are graded
together by ``graders autograde``, next to three honest students, under a TCP listener on
127.0.0.1:47999, a UNIX socket on disk and a marker secret in the grader's environment, so a
batch-level attack shows up as a changed honest grade, a hit, a leak or a leftover. The attacks
that apply to stock ``nbgrader autograde`` with this course's configuration (the verdicts, the
gradebook, the planted solutions, and the sandbox of its SealedExecute kernel) are graded by it
too, under the same listeners, and the batch-level checks run on both.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ASSIGNMENT, GradedCourse, course_env, expected_scores

ATTACKS = Path(__file__).resolve().parent / "attacks"
sys.path.insert(0, str(ATTACKS))
from harness import HONEST, SECRET, Listener, UnixListener, build  # noqa: E402

pytestmark = pytest.mark.xdist_group("attacks")

FILES = sorted(ATTACKS.glob("[0-9][0-9]_*.py"))
#: What stock nbgrader is held to: attacks on the verdicts, the gradebook and the re-runs' files,
#: and on the sandbox (its notebook runs in graders.preprocessors.SealedExecute's sealed kernel).
#: Not held there: the output floods (09, 11: nbgrader's own Execute reads all output) and the
#: disk (18: only the file size is capped). See docs/security.md.
STOCK = ["01", "02", "04", "05", "06", "12", "13", "14", "15", "16", "17", "19", "20", "22",
         "23", "29", "30", "31", "32", "34", "36", "37", "39"]
STOCK += ["50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61"]  # issue 16
STOCK += ["63"]  # a sum through a product with no operand of its own
STOCK += ["64"]  # System V shared memory left behind
STOCK += ["82"]  # sparse files left, copied whole (copy-back, generate_feedback)
STOCK += ["65", "66"]  # the re-check stopped, fooled
STOCK += ["69", "70", "71", "72"]  # code outside the exercises acting through IPython, torch
STOCK += ["74"]  # the same through torch's dispatcher: open, pinned at what it earns
STOCK += ["76", "77", "78", "79"]  # torch's module type, submodules, sys.modules, constants
STOCK += ["80", "81"]  # the traceback printer and torch's private printer
STOCK += ["83"]  # a finalizer the trace's own release ran inside an exercise
STOCK += ["84"]  # a notebook the run saved, taken by generate_feedback
# (67, slow cells that outlast the re-check, is the engine's alone: the runner's time rule is
# the same code under both graders, and stock's 60 s limit here would spend 25 s sleeping.)


def _engine(course: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT, *args],
                          cwd=course, env=env, capture_output=True, text=True, errors="replace",
                          timeout=900)


#: The sandbox's uids: the engine's children (base + slot), stock nbgrader's sealed kernels
#: (base + 100,000 + pid). Each fixture's course has its own base, away from the default that
#: the other tests use while these run (their processes are not these graders' leftovers).
ENGINE_BASE, STOCK_BASE = 4_500_000, 4_600_000
ENGINE_UIDS, STOCK_UIDS = range(ENGINE_BASE, STOCK_BASE), range(STOCK_BASE, STOCK_BASE + 200_000)


def _own_uids(course: Path, base: int) -> None:
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f"\nc.GradingEngine.sandbox_uid_base = {base}\n")


def _sandbox_processes(uids: range) -> list[str]:
    """Live processes of these uids. A zombie (state Z) is left out: it is dead, killed with
    its sandbox, and waits only for the machine's init to reap it, which takes a moment on a
    busy machine."""
    out = subprocess.run(["ps", "-eo", "uid,pid,stat,args"], capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines()[1:]
            if line.split()[0].isdigit() and int(line.split()[0]) in uids
            and not line.split()[2].startswith("Z")]


def _grade_under_attack(course: Path, command: list[str], timeout: float,
                        uids: range) -> GradedCourse:
    """Grade ``course`` with ``command`` under the harness's listeners and secret; the result
    keeps what the checks below read (the process, hits, file modes, leftover processes)."""
    listener, unix = Listener(), UnixListener("/tmp/redteam-unix.sock")
    listener.start()
    unix.start()
    env = dict(course_env(), REDTEAM_PORT=str(listener.port), REDTEAM_SECRET_TOKEN=SECRET)
    secret = course / ".graders" / "secret"
    # As a subreaper (tests/attacks/subreaper.py): what outlived the command, root or not.
    report = course.parent / "leftovers.json"
    command = [sys.executable, str(ATTACKS / "subreaper.py"), str(report), *command]
    try:
        proc = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
    finally:
        if os.path.exists(unix.path):
            os.remove(unix.path)
    graded = GradedCourse(course)
    graded.proc, graded.listener, graded.unix, graded.env = proc, listener, unix, env
    graded.modes = {p: stat.S_IMODE(os.stat(p).st_mode) for p in
                    (secret, course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")}
    graded.leftovers = _sandbox_processes(uids) + json.loads(report.read_text())
    return graded


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    course = build(tmp_path_factory.mktemp("attacks"), FILES)
    _own_uids(course, ENGINE_BASE)
    return _grade_under_attack(course, [sys.executable, "-m", "graders", "autograde",
                                        ASSIGNMENT], timeout=900, uids=ENGINE_UIDS)


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    course = build(tmp_path_factory.mktemp("stock-attacks"), [f for f in FILES
                                                              if f.name[:2] in STOCK])
    with open(course / "nbgrader_config.py", "a") as fh:  # a Jupyter kernel on a busy machine
        fh.write("\nc.Execute.timeout = 60\n")
    _own_uids(course, STOCK_BASE)
    return _grade_under_attack(course, [str(Path(sys.executable).parent / "nbgrader"),
                                        "autograde", ASSIGNMENT], timeout=1200,
                              uids=STOCK_UIDS)


#: The checks below run on both graders: the engine's batch, and stock nbgrader (its own worker).
BOTH = [pytest.param("attacked", id="engine"),
        pytest.param("stock", id="stock", marks=pytest.mark.xdist_group("stock-attacks"))]


def test_the_batch_survives_every_attack(attacked):
    assert attacked.proc.returncode == 0, attacked.proc.stdout[-3000:] + attacked.proc.stderr
    for student in HONEST:
        assert sum(attacked.cell_scores(student).values()) == 15, student


@pytest.mark.parametrize("case", FILES, ids=lambda p: p.stem)
def test_no_attack_earns_what_it_should_not(attacked, case):
    assert attacked.cell_scores(case.stem) == expected_scores(case)


@pytest.mark.parametrize("grader", BOTH)
def test_the_gradebook_and_the_course_files_are_intact(grader, request):
    attacked = request.getfixturevalue(grader)
    with sqlite3.connect(attacked.path / "gradebook.db") as db:  # 12: not overwritten
        students = len(list((attacked.path / "submitted").iterdir()))
        assert db.execute("select count(*) from student").fetchone()[0] >= students
        triggers = db.execute("select name from sqlite_master where type = 'trigger'").fetchall()
    assert triggers == []
    assert list(attacked.modes.values()) == [0o600, 0o644]  # 13: nothing chmod-ed through links
    links = [p for p in (attacked.path / "autograded").rglob("*") if p.is_symlink()]
    assert links == []
    for folder in (attacked.path, Path("/tmp")):  # 32: nothing written outside its folders
        assert not (folder / "REDTEAM_WAS_HERE").exists(), folder


@pytest.mark.parametrize("grader", BOTH)
def test_nothing_reached_the_network_or_outlived_the_batch(grader, request):
    attacked = request.getfixturevalue(grader)
    assert attacked.listener.hits == [] and attacked.unix.hits == []  # 15
    assert attacked.leftovers == []  # 14, 09, 19: no process of a sandbox uid


def test_floods_stay_small(attacked):
    for student in ("10_display_flood_memory", "11_stream_budget_reset", "25_20mb_print"):
        path = attacked.path / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert path.stat().st_size < 40 * 2**20, student  # 10, 11: kept output is bounded
    folder = attacked.path / "autograded" / "18_disk_fill"  # 18: the scratch folder is bounded
    used = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert used < 600 * 2**20


@pytest.mark.parametrize("grader", BOTH)
def test_what_a_run_leaves_is_bounded_by_length(grader, request):
    """82: sparse files take no room where the run writes them, but a copy writes them whole
    (the engine's copy-back, nbgrader generate_feedback): what stays in autograded/ is bounded
    by the files' lengths, holes included."""
    attacked = request.getfixturevalue(grader)
    folder = attacked.path / "autograded" / "82_sparse_files_copied_back_dense"
    used = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert used < 600 * 2**20


@pytest.mark.parametrize("grader", BOTH)
def test_feedback_shows_no_secret_and_no_hidden_code(grader, request):
    attacked = request.getfixturevalue(grader)
    # 84: a notebook the run saved next to the assignment's does not fail the feedback
    students = ["16_environ_leak", "17_hidden_test_in_feedback", "33_fresh_input_oracle",
                "84_run_saves_a_notebook"]
    students = [s for s in students if (attacked.path / "submitted" / s).exists()]
    for student in students:
        subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_feedback",
                        ASSIGNMENT, "--student", student], cwd=attacked.path, env=attacked.env,
                       capture_output=True, check=True)
    pages = {s: (attacked.path / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
             for s in students}
    assert SECRET not in pages["16_environ_leak"]
    for marker in ("BEGIN HIDDEN TESTS", "hidden_test(", "from graders.kernel"):
        assert marker not in pages["17_hidden_test_in_feedback"]
    # 33: the feedback says exercise 3 failed, and never shows what the answers on the
    # grader's new inputs are (recomputed here from the course secret, as VerifyAnswers does)
    if "33_fresh_input_oracle" in pages:
        page, fresh = pages["33_fresh_input_oracle"], _fresh_answers(attacked,
                                                                     "33_fresh_input_oracle")
        assert attacked.cell_scores("33_fresh_input_oracle")["test_multilayer_hidden"] == 0
        shown = [v for v in fresh if v in page]
        assert not shown, f"the feedback shows the answers on the new inputs: {shown}"


def _fresh_answers(course: GradedCourse, student: str) -> list[str]:
    """Exercise 3's answers on the grader's new inputs for ``student``, as 4-decimal strings
    (how messages print numbers): what attack 33 fishes for in its feedback."""
    import nbformat

    from graders.checks import run_plan
    from graders.checks.exercises import EXERCISES
    from graders.preprocessors.verify_answers import notebook_key

    nb = nbformat.read(course.path / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                       as_version=4)
    folder = course.path / "submitted" / student / ASSIGNMENT
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
             if p.is_file() and p.suffix != ".ipynb"}
    resources = {"nbgrader": {"student": student, "assignment": ASSIGNMENT,
                              "notebook": ASSIGNMENT}}
    plan = run_plan.plan(nb, notebook_key(course.path, resources, files))
    ex = EXERCISES["multilayer"]
    expected = ex.reference(plan.fresh_inputs[ex.grade_id])
    values = [x for name in ex.outputs for row in expected[name] for x in row]
    assert values
    return [f"{x:.4f}" for x in values]


def test_a_file_of_answers_handed_in_later_does_not_fit_new_inputs(attacked, tmp_path):
    """33, second part: resubmitted with answers.json holding numbers read from feedback, the
    grader's new inputs change with it (the files handed in are part of their key)."""
    student = attacked.path / "submitted" / "33_fresh_input_oracle" / ASSIGNMENT
    (student / "answers.json").write_text(json.dumps({"h": [[0.6, 0.4]], "output": [[0.3]]}))
    proc = _engine(attacked.path, attacked.env, "--student", "33_fresh_input_oracle", "--force")
    assert proc.returncode == 0, proc.stdout
    scores = attacked.cell_scores("33_fresh_input_oracle")
    assert scores["test_multilayer_hidden"] == scores["test_multilayer_output"] == 0


@pytest.mark.xdist_group("stock-attacks")  # apart from the engine's batch: another worker
@pytest.mark.parametrize("case", [f for f in FILES if f.name[:2] in STOCK],
                         ids=lambda p: p.stem)
def test_stock_nbgrader_with_this_course_holds_too(stock, case):
    assert stock.cell_scores(case.stem) == expected_scores(case), _errors_for(stock, case.stem)


def _errors_for(graded: GradedCourse, student: str) -> str:
    """nbgrader's error lines from the student's stretch of the log (a notebook that failed as a
    whole scores 0 everywhere: this says why, in the test's failure message)."""
    log = (graded.proc.stdout + graded.proc.stderr).splitlines()
    mine = [i for i, line in enumerate(log) if f"/{student}/" in line]
    if not mine:
        return f"nothing about {student} in the log"
    stretch = log[mine[0]:mine[-1] + 40]
    return "\n".join(line for line in stretch if "ERROR" in line or "Error" in line)[-4000:]


def _attack_outputs(attacked, student: str, marker: str) -> str:
    """The text of the outputs of the cells of ``student``'s autograded notebook holding
    ``marker``."""
    import nbformat

    nb = nbformat.read(attacked.path / "autograded" / student / ASSIGNMENT /
                       f"{ASSIGNMENT}.ipynb", as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells if marker in c.source])


def test_memory_files_count_against_the_memory_cap(attacked):
    """40: memory files escape RLIMIT_AS; the run's memory cgroup stops the cell that holds
    more than the cap, in that cell (where this machine lets the grader make one). Where it
    cannot (a grader that is not root), memfd_create is refused in the cell instead: before,
    the run held 6,120 MiB under the 4 GiB cap."""
    from graders.engine.cgroups import RunGroups

    text = _attack_outputs(attacked, "40_memfd_over_cap", "_hold()")
    assert "held 6120 MiB" not in text, text[:800]
    if RunGroups().kind:
        assert "memory a submission may" in text, text[:800]
    else:
        assert "PermissionError" in text and "held 255 MiB" not in text, text[:800]


def _sysv_segments(keys: range) -> list[str]:
    """Lines of /proc/sysvipc/shm whose key is one of ``keys`` (any user's: the file lists all)."""
    with open("/proc/sysvipc/shm") as fh:
        rows = [line.split() for line in fh.readlines()[1:]]
    return [" ".join(row) for row in rows if row and int(row[0]) in keys]


@pytest.mark.parametrize("grader", BOTH)
def test_system_v_shared_memory_is_refused(grader, request):
    """64: a System V segment is no file (Landlock cannot see it), escapes RLIMIT_AS once
    detached and outlived the run, its memory cgroup and the batch, root or not; shmget fails
    in the cell now, and no segment of the attack's keys is left on the machine."""
    attacked = request.getfixturevalue(grader)
    keys = range(0x7E570630, 0x7E570634)
    left = _sysv_segments(keys)
    for row in left:  # a regression must not keep the machine's memory until it reboots
        subprocess.run(["ipcrm", "-m", row.split()[1]], capture_output=True)
    text = _attack_outputs(attacked, "64_sysv_shm_outlives_run", "_segment(_n)")
    # ("held segment 0" is what the cell prints; stock's traceback quotes the source line)
    assert "shmget: Operation not permitted" in text and "held segment 0" not in text, text[:800]
    assert left == []


def test_entries_are_capped_in_the_cell(attacked):
    """41: empty files take no bytes; the private tmpfs's nr_inodes stops them (ENOSPC) in
    the cell, and only a bounded number of them is kept."""
    text = _attack_outputs(attacked, "41_empty_entries_flood", "many/e")
    assert "No space left on device" in text, text[:500]
    kept = attacked.path / "autograded" / "41_empty_entries_flood" / ASSIGNMENT
    assert sum(1 for _ in kept.rglob("*")) <= 1000 + 10  # the notebook and the assignment's
