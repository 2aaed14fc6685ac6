"""`graders serve`: feedback after `nbgrader submit`, through a real local exchange.

A course and an nbgrader exchange in a temporary folder; students submit (and resubmit) with the
real `nbgrader submit`, `graders serve` runs as a separate process, and each student's newest
feedback is fetched with the real `nbgrader fetch_feedback`. The service is killed with SIGKILL
between submissions and in the middle of a grading, then started again: no submission is missed
and none is released twice.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENT, BIN, CORPUS, course_env, make_course, run_nbgrader

from graders.submission_builder import build_submission, read_cell_file

pytestmark = pytest.mark.xdist_group("serve")

COURSE_ID = "intro-to-pytorch"
RELEASE = Path(__file__).resolve().parent.parent / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


class Exchange:
    """A course folder, an exchange and student folders, all in one temporary folder."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "exchange"
        self.root.mkdir()
        self.course = make_course(base)
        with open(self.course / "nbgrader_config.py", "a") as fh:
            fh.write(f"\nc.Exchange.root = {str(self.root)!r}\nc.Execute.timeout = 20\n")
        run_nbgrader(self.course, "generate_assignment", ASSIGNMENT)
        run_nbgrader(self.course, "release_assignment", ASSIGNMENT)
        self.services: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def submit(self, student: str, cell_file: str, slow: float = 0) -> None:
        """``slow``: the last answer cell first sleeps this long, so that a test can act while
        the submission is being graded (a correct grading takes well under a second)."""
        folder = self.base / "students" / student
        (folder / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
        (folder / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(self.root)!r}\n"
            f"c.Exchange.cache = {str(self.base / 'cache' / student)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
        nb = build_submission(RELEASE, read_cell_file(CORPUS / f"{cell_file}.py"))
        if slow:
            cell = next(c for c in nb.cells
                        if c.metadata.get("nbgrader", {}).get("grade_id") == "numpy_bridge")
            cell.source = f"import time\ntime.sleep({slow})\n" + cell.source
        nbformat.write(nb, folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        subprocess.run([str(BIN / "nbgrader"), "submit", ASSIGNMENT, "--student", student],
                       cwd=folder, env=course_env(), capture_output=True, check=True)

    def fetch(self, student: str) -> list[str]:
        """The scores of the feedback pages the student gets, newest submission last."""
        folder = self.base / "students" / student
        subprocess.run([str(BIN / "nbgrader"), "fetch_feedback", ASSIGNMENT, "--student",
                        student], cwd=folder, env=course_env(), capture_output=True, check=True)
        pages = sorted((folder / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        return [re.search(r"Score: ([\d.]+) / 15", p.read_text()).group(1) for p in pages]

    def start(self, *args: str) -> subprocess.Popen:
        log = self.base / f"serve-{len(self.logs)}.log"
        self.logs.append(log)
        proc = subprocess.Popen([sys.executable, "-m", "graders", "serve", ASSIGNMENT, *args],
                                cwd=self.course, env=course_env(), stdout=open(log, "w"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.services.append(proc)
        self.wait_for(lambda: "serving tensors from" in log.read_text(), "the service start")
        return proc

    def released(self) -> list[tuple[str, str, str]]:
        """(student, score, submission timestamp) for every release logged by any service."""
        out = []
        for log in self.logs:
            for m in re.finditer(r"  (\S+)\s+([\d.]+) / 15\s.*submitted (.+ UTC)",
                                 log.read_text()):
                out.append(m.groups())
        return out

    def wait_for(self, condition, what: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        logs = "\n".join(log.read_text()[-2000:] for log in self.logs)
        raise AssertionError(f"timed out waiting for {what}\n{logs}")

    def wait_released(self, count: int) -> None:
        self.wait_for(lambda: len(self.released()) >= count, f"{count} releases")

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.services:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.kill(proc)


@pytest.fixture
def exchange(tmp_path):
    ex = Exchange(tmp_path)
    yield ex
    ex.stop_all()


def test_each_student_fetches_the_feedback_on_their_newest_submission(exchange):
    service = exchange.start()
    exchange.submit("ada", "01_reference")
    exchange.submit("ben", "07_missing_bias_ex1")
    exchange.wait_released(2)
    exchange.submit("ben", "01_reference")  # fixed it
    exchange.wait_released(3)
    assert exchange.fetch("ada") == ["15.0"]
    assert exchange.fetch("ben") == ["13.0", "15.0"]
    service.send_signal(signal.SIGTERM)  # a clean stop
    assert service.wait(timeout=30) == 0
    assert "stopping" in exchange.logs[0].read_text()


def test_no_one_waits_for_a_slow_grading_and_a_resubmission_waits_for_its_own(exchange):
    exchange.start()
    exchange.submit("slow", "07_missing_bias_ex1", slow=10)
    partial = exchange.course / "autograded" / "slow" / f".{ASSIGNMENT}.partial"
    exchange.wait_for(partial.exists, "the slow grading to start")
    exchange.submit("quick", "01_reference")
    exchange.submit("slow", "01_reference")  # fixed it while the first one is being graded
    exchange.wait_released(3)
    released = exchange.released()
    assert [r[0] for r in released] == ["quick", "slow", "slow"], released
    assert [r[1] for r in released] == ["15", "13", "15"], released
    assert exchange.fetch("slow") == ["13.0", "15.0"]
    assert exchange.fetch("quick") == ["15.0"]


def test_a_killed_service_misses_nothing_and_releases_nothing_twice(exchange):
    service = exchange.start()
    exchange.submit("s1", "01_reference")
    exchange.wait_released(1)
    exchange.kill(service)  # between submissions
    exchange.submit("s2", "07_missing_bias_ex1")
    service = exchange.start()
    exchange.wait_released(2)
    # In the middle of a grading: the submission is being prepared or run when the kill lands.
    exchange.submit("s3", "24_multilayer_missing_bias", slow=3)
    partial = exchange.course / "autograded" / "s3" / f".{ASSIGNMENT}.partial"
    exchange.wait_for(partial.exists, "s3's grading to start")
    exchange.kill(service)
    exchange.start()
    exchange.wait_released(3)
    released = exchange.released()
    assert sorted(r[0] for r in released) == ["s1", "s2", "s3"], released  # each exactly once
    assert exchange.fetch("s1") == ["15.0"]
    assert exchange.fetch("s2") == ["13.0"]
    assert exchange.fetch("s3") == ["12.0"]
    assert not list((exchange.root / COURSE_ID / "feedback").glob("*-tmp.html"))


def test_a_submission_without_a_notebook_is_logged_and_not_retried(exchange):
    exchange.start()
    folder = exchange.base / "students" / "cy"
    exchange.submit("cy", "01_reference")
    exchange.wait_released(1)
    (folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").rename(folder / ASSIGNMENT / "draft.ipynb")
    subprocess.run([str(BIN / "nbgrader"), "submit", ASSIGNMENT, "--student", "cy"],
                   cwd=folder, env=course_env(), capture_output=True, check=True)
    exchange.wait_for(lambda: "cy" in exchange.logs[0].read_text().split("15 / 15")[-1],
                      "the second submission to be handled")
    time.sleep(2)  # a few more polls: it must not be graded again and again
    text = exchange.logs[0].read_text()
    assert text.count("  cy ") == 2, text


def _readme_block(after: str) -> str:
    """The first shell block after ``after`` in the grading service's guide."""
    readme = (Path(__file__).resolve().parent.parent / "docs" / "grading-service.md").read_text(
        encoding="utf-8")
    rest = readme[readme.index(after):]
    return re.search(r"```sh\n(.*?)```", rest, re.S).group(1)


def test_the_guides_try_it_on_one_machine_block_runs_as_written(tmp_path):
    """The guide's commands for a newcomer (docs/grading-service.md), pasted into bash from the
    course folder: a course and an exchange in a temporary folder, the release, the service, a
    student's fetch, submit and fetch_feedback; the feedback page arrives with the score the
    service logged."""
    block = _readme_block("**Try it on one machine**")
    home = tmp_path / "home"
    home.mkdir()
    root = Path(__file__).resolve().parent.parent
    env = dict(course_env(), TMPDIR=str(tmp_path), HOME=str(home))
    proc = subprocess.Popen(["bash", "-e", "-c", block], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=400)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the service, if the block stopped early
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, out
    assert "warmed up in" in out and re.search(r"  ada\s+0 / 15 ", out), out
    page = re.search(r"^(tensors/feedback/[^\n]+/tensors\.html)$", out, re.M)
    assert page, out
    folders = list(tmp_path.glob("tmp.*/student"))
    assert len(folders) == 1, folders
    assert "Score: 0.0 / 15.0" in (folders[0] / page.group(1)).read_text()


#: Runs the service once (grade what is waiting, then stop) and prints what Python imported
#: after warming up: in the service's process between "serving" and its end, and in the feedback
#: process (or the service's own, with c.GradingService.feedback_process off) between its warm-up
#: and the first feedback released. A cold start shows up as modules loaded then.
PROBE = """
import sys
from pathlib import Path
from graders.serve import Service
service = Service(Path("."), "tensors")
log, seen = service.log, {}
warm = Service.warm_feedback
def warm_feedback(self):
    warm(self)
    seen["feedback"] = set(sys.modules)
Service.warm_feedback = warm_feedback
def watch(text):
    log(text)
    if text.startswith("serving tensors from"):
        seen["service"] = set(sys.modules)
    elif " / 15 " in text:
        print("FEEDBACK IMPORTED:", sorted(set(sys.modules) - seen["feedback"]), flush=True)
service.log = watch
code = service.run(once=True)
print("SERVICE IMPORTED:", sorted(set(sys.modules) - seen["service"]), flush=True)
sys.exit(code)
"""


def test_the_service_is_warm_before_the_first_submission(exchange):
    """Everything the first submission needs (the gradebook's SQLite dialect, the feedback
    page's lexer and Markdown plugins...) is loaded before the service says "serving" (in the
    feedback process too): the first grading imports nothing. (Speed itself:
    benchmarks/feedback_latency.py.)"""
    exchange.submit("ada", "01_reference")  # waiting in the exchange when the service starts
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=exchange.course, env=course_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SERVICE IMPORTED: []" in proc.stdout, proc.stdout
    assert "FEEDBACK IMPORTED: []" in proc.stdout, proc.stdout
    assert re.search(r"  ada\s+15 / 15 ", proc.stdout) and "warmed up in" in proc.stdout
    assert exchange.fetch("ada") == ["15.0"]


def test_a_submission_still_being_copied_waits_for_its_secret(tmp_path):
    """``nbgrader submit`` copies the files, then writes timestamp.txt and, last, the secret:
    a folder without its secret yet is not collected (under load, a half-copied one was, found
    no notebook, and the student got no feedback)."""
    from types import SimpleNamespace

    from graders.serve import Service

    inbound = tmp_path / "inbound"
    done = inbound / "ada+tensors+2026-12-06 10:00:00.000000 UTC+abc"
    older = inbound / "ben+tensors+2026-12-06 09:00:00.000000 UTC+def"
    copying = inbound / "ben+tensors+2026-12-06 10:00:00.000000 UTC+ghi"
    for folder in (done, older, copying):
        folder.mkdir(parents=True)
        (folder / "tensors.ipynb").write_text("{}")
    for folder in (done, older):
        (folder / "timestamp.txt").write_text("x")
        (folder / "submission_secret.txt").write_text("f" * 128)
    (copying / "timestamp.txt").write_text("x")  # the secret not written yet
    service = SimpleNamespace(inbound=inbound, assignment=ASSIGNMENT)
    assert set(Service.newest(service)) == {"ada"}  # ben waits: no older one graded instead
    (copying / "submission_secret.txt").write_text("f" * 128)
    newest = Service.newest(service)
    assert set(newest) == {"ada", "ben"} and newest["ben"].path == copying


def test_the_inbound_watch_never_makes_the_inbound_folder(tmp_path):
    """nbgrader release_assignment makes the exchange's inbound folder writable by every student;
    a service started before the release must not make it first with its own mode (every
    submission was refused: "You don't have write permissions", seen on the JupyterHub). It
    watches the folder above, and the inbound folder itself once it appears."""
    import select

    from graders.serve import _InboundWatch

    inbound = tmp_path / "exchange" / "course" / "inbound"
    (tmp_path / "exchange").mkdir()
    watch = _InboundWatch(inbound)
    try:
        assert not inbound.exists()
        if watch.fd is None:
            pytest.skip("no inotify here")
        (tmp_path / "exchange" / "course").mkdir()
        assert select.select([watch.fd], [], [], 5)[0], "the folder above woke no one"
        os.read(watch.fd, 65536)
        watch.changed()  # now watches course/, where inbound will appear
        inbound.mkdir(mode=0o733)
        assert select.select([watch.fd], [], [], 5)[0]
        os.read(watch.fd, 65536)
        watch.changed()  # now watches inbound itself
        assert watch.watching
        (inbound / "ada+tensors+2026-12-06 10:00:00.000000 UTC+abc").mkdir()
        assert select.select([watch.fd], [], [], 5)[0], "a new submission woke no one"
        assert watch.changed()
    finally:
        watch.close()
