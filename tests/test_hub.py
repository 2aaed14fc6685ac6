"""The whole loop on a real JupyterHub, in a real browser: Submit, and the feedback comes back.

``hub/hub.py`` (``make hub``) starts JupyterHub 6.1 on 127.0.0.1 with Unix accounts for an
instructor and students, each user's JupyterLab started by the hub as that user, nbgrader's
exchange, and ``graders serve tensors`` as a hub service run by the instructor. The course starts
over (``hub.py reset``). Then, as people would:

1. the instructor releases the assignment (``nbgrader release_assignment``, as the instructor);
2. a student logs in on the hub's login page, opens Nbgrader > Assignment List, fetches the
   assignment, opens the notebook from the list, types answers into the cells (key presses in
   the editor: one of them forgets the bias), saves and presses Submit; Fetch Feedback, pressed
   until the feedback is there, brings that submission's page: its score and the mistake named;
3. a second student's wrong answers get their own feedback;
4. the first student fixes the answer and submits again: newer feedback, full marks;
5. the grading service is killed (SIGKILL): the hub starts it again, and a submission made
   meanwhile is graded;
6. the instructor's Formgrader lists the submissions with the engine's scores, and its Manual
   Grading page shows the engine's diagnosis of the second student's mistake.

It starts the course over on ``HUB_ROOT`` (default ``/srv/tensors-hub``, the one ``make hub``
uses: set ``HUB_ROOT`` to keep a demo hub apart; the first run builds the hub's venv, a few
minutes). Needs root (accounts), Chromium and Playwright, node/npm; skipped without them unless
``HUB_TEST_REQUIRED=1`` (``.ci/run`` sets it). Screenshots of every step, the hub's log and the
pages' console go to ``$HUB_ARTIFACTS`` (default ``tests/artifacts/hub/``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from graders.submission_builder import read_cell_file

pytestmark = pytest.mark.xdist_group("hub")

HUB = ROOT / "hub" / "hub.py"
HUB_ROOT = Path(os.environ.get("HUB_ROOT", "/srv/tensors-hub"))
ARTIFACTS = Path(os.environ.get("HUB_ARTIFACTS", ROOT / "tests" / "artifacts" / "hub"))
REQUIRED = os.environ.get("HUB_TEST_REQUIRED") == "1"
CORPUS = ROOT / "tests" / "corpus"
STUB = "raise NotImplementedError()"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-extensions"]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT = 30_000  # ms, one click or wait in the page
FEEDBACK_TIMEOUT = 120  # s, Submit -> Fetch Feedback brings the page (about 2 s measured)
SPAWN_TIMEOUT = 120_000  # ms, login -> JupyterLab shown (the user's server starts)


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"{reason} (HUB_TEST_REQUIRED=1: the hub test must run here)")
    pytest.skip(reason)


def _answers(cell_file: str) -> dict[str, str]:
    edits = read_cell_file(CORPUS / f"{cell_file}.py").edits
    return {gid: source for action, gid, source in edits if action == "replace"}


def _as(user: str, *cmd: str, cwd: Path) -> str:
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    proc = subprocess.run([runuser, "-u", user, "--", *cmd], cwd=cwd, capture_output=True,
                          text=True, env={"PATH": f"{HUB_ROOT}/venv/bin:/usr/bin:/bin",
                                          "HOME": str(HUB_ROOT / "home" / user),
                                          "LANG": "C.UTF-8",
                                          "JUPYTER_CONFIG_PATH": str(HUB_ROOT / "etc" /
                                                                     "instructor")})
    assert proc.returncode == 0, f"{' '.join(cmd)} as {user}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _service_pid(user: str) -> int | None:
    """The pid of ``graders serve`` run by ``user`` (the hub's managed service)."""
    out = subprocess.run(["pgrep", "-u", user, "-f", r"bin/graders serve tensors$"],
                         capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0:
        _unavailable("the hub test needs root: it creates Unix accounts (hub/hub.py)")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        _unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    if not shutil.which("npm"):
        _unavailable("npm is not installed (apt-get install nodejs npm)")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    env = dict(os.environ, HUB_ROOT=str(HUB_ROOT))
    subprocess.run([sys.executable, str(HUB), "reset"], env=env, check=True)
    started = subprocess.run([sys.executable, str(HUB), "start"], env=env, capture_output=True,
                             text=True)
    (ARTIFACTS / "hub-start.txt").write_text(started.stdout + started.stderr)
    assert started.returncode == 0, started.stdout + started.stderr
    settings = json.loads((HUB_ROOT / "state" / "hub.json").read_text())
    settings["url"] = f"http://127.0.0.1:{settings['port']}"
    try:
        yield settings
    finally:
        subprocess.run([sys.executable, str(HUB), "stop"], env=env)
        with contextlib.suppress(OSError):
            shutil.copy(HUB_ROOT / "state" / "jupyterhub.log", ARTIFACTS / "jupyterhub.log")


@pytest.fixture(scope="module")
def browser(hub):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium")
                                     or "/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()



def _to_docs(shot: Path, image: Path) -> None:
    """The docs' screenshots are refreshed only when asked (HUB_UPDATE_DOCS=1): an ordinary run,
    CI's included, leaves the working tree as it was; its screenshots are in ARTIFACTS."""
    if os.environ.get("HUB_UPDATE_DOCS") == "1":
        shutil.copy(shot, image)


class User:
    """One person in one browser context, logged in on the hub."""

    def __init__(self, browser, hub: dict, name: str):
        self.hub, self.name = hub, name
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(TIMEOUT)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"[{m.type}] {m.text}"))
        self.shots = 0
        self.home = HUB_ROOT / "home" / name

    def shot(self, label: str) -> Path:
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=path)
        return path

    def close(self) -> None:
        (ARTIFACTS / f"{self.name}-console.log").write_text("\n".join(self.console) + "\n")
        self.context.close()

    def login(self) -> None:
        self.page.goto(f"{self.hub['url']}/hub/login")
        self.page.fill("#username_input", self.name)
        self.page.fill("#password_input", self.hub["password"])
        self.shot("login")
        self.page.click("#login_submit")
        self.page.wait_for_selector(".jp-LabShell", timeout=SPAWN_TIMEOUT)
        self.page.locator(".jp-Launcher, .jp-NotebookPanel").first.wait_for()

    def menu(self, top: str, item: str) -> None:
        self.page.keyboard.press("Escape")
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
        self.page.get_by_role("menuitem", name=item, exact=True).click()

    # --- the Assignment List -------------------------------------------------------------------
    def assignment_list(self) -> None:
        tab = self.page.locator(".lm-TabBar-tab", has_text="Assignments")
        if tab.count():
            tab.first.click()
        else:
            self.menu("Nbgrader", "Assignment List")
        self.page.locator("#nbgrader-assignment-list").wait_for()

    def fetch(self) -> None:
        self.page.locator("#released_assignments_list button", has_text="Fetch").click()
        self.page.locator("#fetched_assignments_list .list_item").first.wait_for()

    def open_notebook(self) -> None:
        link = self.page.locator("#fetched_assignments_list a.assignment-notebooks-link")
        if link.get_attribute("aria-expanded") != "true":
            link.click()
        self.page.locator("#fetched_assignments_list .nested_list_item a",
                          has_text="tensors").click()
        self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for()
        self.page.wait_for_function(
            "() => !document.querySelector('.jp-NotebookPanel .jp-Spinner')")

    def cell(self, grade_id: str):
        """The notebook cell whose nbgrader grade id is ``grade_id`` (read from the saved
        release: the order of the cells is the release's)."""
        import nbformat

        nb = nbformat.read(self.home / "tensors" / "tensors.ipynb", as_version=4)
        index = next(i for i, c in enumerate(nb.cells)
                     if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell = self.page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)
        cell.scroll_into_view_if_needed()
        return cell

    def type_answer(self, grade_id: str, old: str, new: str) -> None:
        """Click on the line ``old`` of the answer cell, select it with the keys, type ``new``
        (``\\n`` presses Enter)."""
        cell = self.cell(grade_id)
        cell.locator(".cm-line", has_text=old).first.click()
        self.page.keyboard.press("End")
        self.page.keyboard.press("Shift+Home")
        self.page.keyboard.type(new)
        text = cell.locator(".cm-content").inner_text()
        assert new.splitlines()[-1] in text and old not in text, text

    def save(self, must_contain: str) -> None:
        path = self.home / "tensors" / "tensors.ipynb"
        self.page.keyboard.press("Control+s")
        deadline = time.monotonic() + TIMEOUT / 1000
        while must_contain not in path.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, f"{path} was not saved with {must_contain!r}"
            time.sleep(0.2)

    def submit(self) -> float:
        self.assignment_list()
        before = self.page.locator("#submitted_assignments_list .list_item").count()
        self.page.locator("#fetched_assignments_list .list_item button",
                          has_text="Submit").first.click()
        clicked = time.monotonic()
        self.page.wait_for_function(
            "n => document.querySelectorAll('#submitted_assignments_list .list_item').length > n",
            arg=before, timeout=TIMEOUT)
        return clicked

    def fetch_feedback(self, submitted: int, clicked: float | None = None) -> Path:
        """Press Fetch Feedback until the feedback on the newest submission is there (the
        service grades it meanwhile); its page in the student's folder."""
        deadline = time.monotonic() + FEEDBACK_TIMEOUT
        folder = self.home / "tensors" / "feedback"
        while True:
            button = self.page.locator("#submitted_assignments_list button",
                                       has_text="Fetch Feedback").first
            button.click()
            self.page.wait_for_timeout(500)
            pages = sorted(folder.glob("*/tensors.html")) if folder.exists() else []
            if len(pages) >= submitted:
                if clicked is not None:  # a note for the artifacts, never asserted
                    with open(ARTIFACTS / "click-to-feedback.txt", "a") as fh:
                        fh.write(f"{self.name} submission {submitted}: "
                                 f"{time.monotonic() - clicked:.1f} s from Submit to the "
                                 f"feedback in the student's folder (Fetch Feedback pressed "
                                 f"every second)\n")
                return pages[-1]
            assert time.monotonic() < deadline, (
                f"no feedback for {self.name}'s submission {submitted} after "
                f"{FEEDBACK_TIMEOUT} s (hub log: {ARTIFACTS / 'jupyterhub.log'})")
            self.page.wait_for_timeout(500)

    def show_feedback(self, page_path: Path, label: str, focus: str | None = None) -> str:
        """Open the feedback page as the student would (their server serves it), in a tab of
        its own, screenshot it (at ``focus``, a text on it) and return its text."""
        relative = page_path.relative_to(self.home)
        tab = self.context.new_page()
        try:
            tab.goto(f"{self.hub['url']}/user/{self.name}/files/{relative}")
            tab.locator("body").wait_for()
            if focus and tab.get_by_text(focus).count():
                tab.get_by_text(focus).first.evaluate(
                    "e => e.scrollIntoView({block: 'center'})")
            self.shots += 1
            tab.screenshot(path=ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png")
            return tab.locator("body").inner_text()
        finally:
            tab.close()


def _score(text: str) -> str:
    match = re.search(r"Score: ([\d.]+) / ([\d.]+)", text)
    assert match, text[:2000]
    return match.group(1)


@contextlib.contextmanager
def person(browser, hub, name):
    user = User(browser, hub, name)
    try:
        yield user
    except BaseException as err:
        with contextlib.suppress(Exception):
            err.add_note(f"screenshot: {user.shot('FAILED')}")
        raise
    finally:
        user.close()


def _answer_all(user: User, answers: dict[str, str]) -> None:
    for grade_id, source in answers.items():
        user.type_answer(grade_id, STUB, source)


def test_students_submit_in_jupyterlab_and_fetch_their_feedback(hub, browser):
    instructor, (first, second, third) = hub["instructor"], hub["students"][:3]
    course = Path(hub["course"])
    out = _as(instructor, f"{HUB_ROOT}/venv/bin/nbgrader", "release_assignment", "tensors",
              cwd=course)
    assert "Released as: intro-to-pytorch tensors" in out, out

    # 1. the first student: the bias forgotten in exercise 1
    with person(browser, hub, first) as ada:
        ada.login()
        ada.assignment_list()
        ada.shot("assignment-list-released")
        ada.fetch()
        ada.shot("fetched")
        ada.open_notebook()
        ada.shot("notebook-opened")
        _answer_all(ada, _answers("07_missing_bias_ex1"))
        ada.save(must_contain="b.mul_(2)")
        ada.shot("answers-typed-and-saved")
        clicked = ada.submit()
        ada.shot("submitted")
        page = ada.fetch_feedback(1, clicked)
        ada.shot("feedback-fetched")
        text = ada.show_feedback(page, "feedback-page", focus="the bias is missing")
        assert _score(text) == "13.0", text[:3000]
        assert "the bias is missing" in text, text[:3000]
        assert "def test_" not in text and "_check(" not in text  # hidden tests redacted

        # 2. the second student's own wrong answers: their own feedback
        with person(browser, hub, second) as ben:
            ben.login()
            ben.assignment_list()
            ben.fetch()
            ben.open_notebook()
            _answer_all(ben, _answers("24_multilayer_missing_bias"))
            ben.save(must_contain="b.mul_(2)")
            clicked = ben.submit()
            text = ben.show_feedback(ben.fetch_feedback(1, clicked), "feedback-page", focus="bias")
            assert _score(text) == "12.0", text[:3000]
            assert "bias" in text

        # 3. the first student fixes exercise 1 and submits again: newer feedback
        ada.assignment_list()
        ada.open_notebook()
        ada.type_answer("single_layer_sum",
                        "y = activation(torch.sum(features * weights)).view(1, 1)",
                        "y = activation(torch.sum(features * weights) + bias)")
        ada.save(must_contain="weights) + bias)")
        clicked = ada.submit()
        newest = ada.fetch_feedback(2, clicked)
        ada.assignment_list()
        ada.page.locator("#submitted_assignments_list .list_item").nth(1).wait_for()
        ada.shot("assignment-list-with-feedback")
        _to_docs(ARTIFACTS / f"{first}-{ada.shots:02d}-assignment-list-with-feedback.png",
                    ROOT / "docs" / "images" / "hub-assignment-list.png")
        text = ada.show_feedback(newest, "resubmission-feedback")
        assert _score(text) == "15.0", text[:3000]
        pages = sorted((ada.home / "tensors" / "feedback").glob("*/tensors.html"))
        assert [_score(p.read_text()) for p in pages] == ["13.0", "15.0"]

    # 4. the service dies: the hub starts it again, and a submission made meanwhile is graded
    pid = _service_pid(instructor)
    assert pid, "graders serve runs as the instructor"
    os.kill(pid, signal.SIGKILL)
    with person(browser, hub, third) as cy:
        cy.login()
        cy.assignment_list()
        cy.fetch()
        cy.open_notebook()
        _answer_all(cy, _answers("01_reference"))
        cy.save(must_contain="b.mul_(2)")
        cy.submit()
        text = cy.show_feedback(cy.fetch_feedback(1), "feedback-page")
        assert _score(text) == "15.0", text[:3000]
    again = _service_pid(instructor)
    assert again and again != pid, "the hub restarted the grading service"


def test_formgrader_shows_the_engines_grades(hub, browser):
    instructor, students = hub["instructor"], hub["students"][:3]
    with person(browser, hub, instructor) as teacher:
        teacher.login()
        teacher.page.goto(f"{hub['url']}/user/{instructor}/formgrader/manage_submissions/tensors")
        table = teacher.page.locator("table")
        table.wait_for()
        teacher.page.wait_for_function(
            "n => document.querySelectorAll('tbody tr').length >= n", arg=len(students))
        text = teacher.page.locator("body").inner_text()
        teacher.shot("formgrader-submissions")
        _to_docs(ARTIFACTS / f"{instructor}-{teacher.shots:02d}-formgrader-submissions.png",
                    ROOT / "docs" / "images" / "hub-formgrader.png")
        rows = {}
        for line in text.splitlines():
            cells = line.split("\t")
            if len(cells) > 4 and cells[1] in students:
                rows[cells[1]] = cells[4]  # Student Name, Student ID, Timestamp, Status, Score
        assert rows == {students[0]: "15 / 15", students[1]: "12 / 15",
                        students[2]: "15 / 15"}, text

        # the second student's submission in Manual Grading: the engine's diagnosis is the
        # comment box's text (nbgrader shows an automatic comment as the box's placeholder)
        teacher.page.locator("tbody tr", has_text=students[1]).locator("a").first.click()
        teacher.page.locator("tbody tr a", has_text="tensors").first.click()
        box = teacher.page.locator("textarea[placeholder*='[diagnosis]']").first
        box.wait_for(state="attached")
        box.evaluate("e => e.scrollIntoView({block: 'center'})")
        _to_docs(teacher.shot("formgrader-diagnosis"),
                    ROOT / "docs" / "images" / "hub-formgrader-diagnosis.png")
        assert "B1 is missing" in box.get_attribute("placeholder")
