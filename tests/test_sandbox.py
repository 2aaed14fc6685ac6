"""The sandbox around each submission (``graders autograde``): from inside a submission, every
escape fails with a clear error in that cell, and nothing else is affected: not the course
files, not the network, not the other students' grades, not the machine.

One course holds two honest students and an attacker whose answers are right but who adds a cell
after each exercise trying one escape. The attacker must still get full marks (each escape fails
in its own cell only), each escape cell must show the expected error, the course tree must be
unchanged outside ``autograded/`` and the gradebook, a TCP listener started here must receive
nothing, no process may outlive the batch, and the honest students' grades must be their own.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
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

from graders.kernel import confine

pytestmark = pytest.mark.xdist_group("sandbox")

HONEST = ["01_reference", "07_missing_bias_ex1"]
CONFIG = """
c.Execute.timeout = 10
c.GradingEngine.kill_grace = 2
c.GradingEngine.memory_cap_gib = 1
c.GradingEngine.max_file_mib = 16
"""
ROOT_UP = "../../.."  # from autograded/<student>/.tensors.partial to the course root

# (name, code, what the cell's error must say); each runs in a cell of its own.
ESCAPES = [
    ("read_other_student", f"open('{ROOT_UP}/submitted/01_reference/tensors/tensors.ipynb')"
                           ".read()", "Permission denied"),
    ("list_course", f"import os\nos.listdir('{ROOT_UP}')", "Permission denied"),
    ("read_source", f"open('{ROOT_UP}/source/tensors/tensors.ipynb').read()",
     "Permission denied"),
    ("open_gradebook", f"import sqlite3\nsqlite3.connect('{ROOT_UP}/gradebook.db')"
                       ".execute('select * from student').fetchall()",
     "unable to open database file"),
    ("write_course_root", f"open('{ROOT_UP}/pwned.txt', 'w').write('x')", "Permission denied"),
    ("delete_outside", f"import os\nos.remove('{ROOT_UP}/nbgrader_config.py')",
     "Permission denied"),
    ("read_home", "import pwd\nopen(pwd.getpwuid(0).pw_dir + '/.bashrc').read()", "Error"),
    ("connect_tcp", "import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=2)",
     "Permission denied"),
    # The forked children exec `sleep 61.3` (a forked child keeps the template's command
    # line), so the end-of-batch check can see any that outlived the batch.
    ("fork_1000", "import os\nkids = []\nfor _ in range(1000):\n    pid = os.fork()\n"
                  "    if pid == 0:\n        os.execvp('sleep', ['sleep', '61.3'])\n"
                  "    kids.append(pid)", "Resource temporarily unavailable"),
    ("write_2_gb", "with open('big.bin', 'wb') as fh:\n    for _ in range(32):\n"
                   "        fh.write(bytes(64 * 2**20))", "File too large"),
    ("raise_limits", "import resource\nresource.setrlimit(resource.RLIMIT_NPROC, "
                     "(resource.RLIM_INFINITY, resource.RLIM_INFINITY))", "not allowed"),
    ("signal_parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
     "Operation not permitted"),
    ("leave_a_session", "import os\nos.setsid()", "Operation not permitted"),
    ("orphan", "import subprocess\nsubprocess.Popen(['sleep', '307.7'])\n"
               "print('left a sleeper')", "left a sleeper"),  # it runs; the batch must kill it
]
WORKS = [  # what a student's code still needs, in the sandbox
    ("scratch_file", "open('notes.txt', 'w').write('ok')\nprint(open('notes.txt').read())", "ok"),
    ("shell", "!echo hello from the shell", "hello from the shell"),
    ("time_magic", "%time z = sum(range(1000))", "Wall time"),
    ("import_installed", "import sympy, nbformat, json\nprint(sympy.__name__)", "sympy"),
    ("torch_threads", "torch.set_num_threads(2)\nprint(float((torch.ones(300, 300) @ "
                      "torch.ones(300, 300)).sum()))", "27000000.0"),
    ("tmpdir", "import tempfile\nprint(open(tempfile.mkstemp()[1], 'w').write('ok'))", "2"),
]


def _attacker(port: int) -> str:
    reference = (CORPUS / "01_reference.py").read_text().split("# %% single_layer_sum")[1]
    cells = [f"# %% after given_shape_error\n{code.replace('PORT', str(port))}"
             for _, code, _ in ESCAPES + WORKS]
    return ("# Right answers, plus a cell per escape attempt after the shape-error demo.\n"
            "# %% single_layer_sum" + reference + "\n" + "\n".join(cells) + "\n")


def _tree_hash(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("autograded", "gradebook.db", ".graders")) or path.is_dir():
            continue
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class Listener(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port, self.connections, self.stop = self.sock.getsockname()[1], 0, False

    def run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("sandbox"))
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(CONFIG)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    listener = Listener()
    listener.start()
    attacker = tmp_path_factory.mktemp("cells") / "90_attacker.py"
    attacker.write_text(_attacker(listener.port))
    add_submissions(course, [CORPUS / f"{s}.py" for s in HONEST] + [attacker])
    before = _tree_hash(course)
    proc = subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT],
                          cwd=course, env=course_env(), capture_output=True, text=True,
                          timeout=600)
    listener.stop = True
    graded = GradedCourse(course)
    graded.proc, graded.before, graded.listener = proc, before, listener
    return graded


def _outputs_by_source(course: GradedCourse, student: str) -> dict[str, str]:
    path = course.path / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            text = []
            for o in cell.outputs:
                text.append(o.get("text", "") + o.get("ename", "") + ": " + o.get("evalue", ""))
                text.append(str(o.get("data", {}).get("text/plain", "")))
            out[cell.source] = "\n".join(text)
    return out


def test_the_batch_completes_and_the_attacker_keeps_full_marks(sandboxed):
    assert sandboxed.proc.returncode == 0, sandboxed.proc.stdout + sandboxed.proc.stderr
    assert sum(sandboxed.cell_scores("90_attacker").values()) == 15


@pytest.mark.parametrize(("name", "code", "error"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_each_escape_fails_in_its_own_cell(sandboxed, name, code, error):
    outputs = _outputs_by_source(sandboxed, "90_attacker")
    text = outputs[code.replace("PORT", str(sandboxed.listener.port))]
    assert error in text, text


@pytest.mark.parametrize(("name", "code", "shows"), WORKS, ids=[w[0] for w in WORKS])
def test_what_students_need_still_works(sandboxed, name, code, shows):
    text = _outputs_by_source(sandboxed, "90_attacker")[code]
    assert shows in text and "Error" not in text, text


def test_nothing_outside_autograded_and_the_gradebook_changed(sandboxed):
    assert _tree_hash(sandboxed.path) == sandboxed.before


def test_the_listener_received_nothing(sandboxed):
    assert sandboxed.listener.connections == 0


def test_no_process_outlives_the_batch(sandboxed):
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    left = [line for line in ps.splitlines() if "sleep 307.7" in line or "sleep 61.3" in line]
    assert not left, left


@pytest.mark.parametrize("student", HONEST)
def test_the_other_students_grades_are_their_own(sandboxed, student):
    assert sandboxed.cell_scores(student) == expected_scores(CORPUS / f"{student}.py")


def test_the_summary_reports_a_complete_sandbox_and_the_review_list(sandboxed):
    out = sandboxed.proc.stdout
    assert "sandbox set-up:" in out
    if "partial sandbox" in out:  # as an ordinary user: the memory cgroup only, said so
        warning = out.split("partial sandbox on this machine:")[1].split("(c.GradingEngine")[0]
        missing = [line.strip()[2:] for line in warning.strip().splitlines()]
        assert beyond_the_memory_cgroup(missing) == [], warning
        assert "memfd_create" in warning and "refused" in warning, warning
    review = out.split("Review list:")[1]
    assert "90_attacker:" in review and "more (see the gradebook)" in review
    with Gradebook(sandboxed.db_url) as gb:
        comments = "\n".join(c.auto_comment or "" for c in gb.find_submission_notebook(
            ASSIGNMENT, ASSIGNMENT, "90_attacker").comments)
    assert "uses os.fork (processes)" in comments and "imports socket (network)" in comments


def test_setup_costs_milliseconds():
    """The sandbox's own set-up, measured in a throw-away child (the benchmark reports it)."""
    assert confine.landlock_abi() >= 1, "these machines have Landlock; the CI needs it"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        confine.prepare()
        folder = "/tmp"
        from graders.engine.sandbox import Limits, make_policy

        policy = make_policy(Path("/nonexistent-course"), Limits()).for_job(folder, folder, 0)
        report = confine.apply(policy)
        os.write(write, f"{report['seconds']:.6f} {len(report['missing'])}".encode())
        os._exit(0)
    os.close(write)
    seconds, missing = os.read(read, 100).decode().split()
    os.waitpid(pid, 0)
    assert int(missing) == 0 and float(seconds) < 0.5
