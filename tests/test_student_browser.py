"""The student's view in a real browser: JupyterLab on the release notebook, driven by Playwright.

A JupyterLab server runs on a copy of ``release/tensors/tensors.ipynb`` in a temporary folder, with
its own config, data, runtime and home folders, so nothing of the machine's Jupyter set-up is read
or written. Headless Chromium (Debian's ``/usr/bin/chromium``; Playwright's own browser download
is not used) does what a student does: clicks into each exercise cell, selects the
``raise NotImplementedError()`` line and types an answer, runs the notebook from the menus,
reads the visible tests' outputs, saves with Ctrl+S. The saved file then goes through the real
``nbgrader validate``, as the README tells students to do before submitting.

Nothing is set through the notebook model: every edit is a key press in the CodeMirror editor.

Screenshots, the page's console messages, the server log and nbgrader's reports are kept in
``tests/artifacts/browser/`` (gitignored, rewritten on each run). Without Chromium or Playwright
the tests are skipped; ``.ci/run`` sets ``BROWSER_TEST_REQUIRED=1``, which makes that a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENT, BIN, ROOT

from graders.submission_builder import read_cell_file

RELEASE = ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
CORRECT = ROOT / "demo" / "ada.py"  # everything right, her own way
STUB = "raise NotImplementedError()"

# A common mistake: .item() turns y into a Python float. The visible shape test must say so.
MISTAKE_ID = "single_layer_sum"
MISTAKE = "y = activation(torch.sum(features * weights) + bias).item()"
MISTAKE_TEST = "test_single_layer_sum_shape"
MISTAKE_MESSAGE = (
    "AssertionError: y should be a torch.Tensor, but it is a float. "
    "Hint: keep the result as a tensor; .item() and float() turn it into a Python number."
)

REQUIRED = os.environ.get("BROWSER_TEST_REQUIRED") == "1"
CHROMIUM_ARGS = [
    # root in a container: no sandbox; no GPU; and no calls home (they are refused here anyway)
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
]
VIEWPORT = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT = 60  # s, until the server answers
PAGE_TIMEOUT = 60_000  # ms, the notebook opens and its kernel is idle
RUN_TIMEOUT = 120_000  # ms, all cells ran
ACTION_TIMEOUT = 20_000  # ms, any single click, wait or check
# Settings a student could choose in JupyterLab's settings editor: no news pop-up (it would cover
# cells in the screenshots, and fetching news needs the internet).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False,
    },
}


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"{reason} (BROWSER_TEST_REQUIRED=1: the browser test must run here)")
    pytest.skip(reason)


def _chromium() -> str | None:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


def _require_browser():
    """Skip (or fail, in CI) before starting anything when Chromium or Playwright is missing."""
    if _chromium() is None:
        _unavailable("Chromium is not installed (apt-get install chromium, or set CHROMIUM=...)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")


# --- the notebook, read from the release (the grade ids are the contract) ---------------------


@dataclass(frozen=True)
class VisibleTest:
    index: int
    grade_id: str
    success: str  # the line its last print() shows when the test passes


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _release_layout() -> tuple[dict[str, int], list[VisibleTest]]:
    """Solution cells (grade id -> index) and visible test cells, in notebook order."""
    nb = nbformat.read(RELEASE, as_version=4)
    solutions, tests = {}, []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            solutions[meta["grade_id"]] = index
        elif meta.get("grade") and cell.source.startswith("# Test "):
            printed = re.findall(r'^print\("(.*)"\)$', cell.source, flags=re.M)
            assert printed, f"{meta['grade_id']}: a visible test ends with print(<success line>)"
            tests.append(VisibleTest(index, meta["grade_id"], printed[-1]))
    return solutions, tests


SOLUTIONS, TESTS = _release_layout()


def _answers() -> dict[str, str]:
    edits = read_cell_file(CORRECT).edits
    answers = {gid: source for action, gid, source in edits if action == "replace"}
    assert set(answers) == set(SOLUTIONS), f"{CORRECT} answers every exercise"
    return answers


# --- JupyterLab server ---------------------------------------------------------------------------


@dataclass
class LabServer:
    url: str
    token: str
    root: Path
    env: dict[str, str]

    def notebook_url(self, relpath: str) -> str:
        # ?reset: start from the default layout, not from a previous test's workspace
        return f"{self.url}lab/tree/{relpath}?token={self.token}&reset"


def _isolated_env(base: Path) -> dict[str, str]:
    """Jupyter, IPython and the browser read and write only folders under ``base``."""
    folders = {name: base / name for name in ("home", "config", "data", "runtime")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for var in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_PATH",
                "JUPYTER_CONFIG_PATH", "IPYTHONDIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        env.pop(var, None)
    env.update(
        HOME=str(folders["home"]),
        JUPYTER_CONFIG_DIR=str(folders["config"]),
        JUPYTER_DATA_DIR=str(folders["data"]),
        JUPYTER_RUNTIME_DIR=str(folders["runtime"]),
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_for_server(proc: subprocess.Popen, runtime: Path, token: str, log: Path) -> str:
    """The server's URL once it answers ``/api/status``; it picked a free port itself."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}")
        if url is None:
            info = sorted(runtime.glob("jpserver-*.json"))
            if info:
                with contextlib.suppress(ValueError):  # the file may still be being written
                    url = json.loads(info[0].read_text())["url"]
        if url is not None:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        return url
        time.sleep(0.25)
    raise AssertionError(
        f"jupyter lab did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="module")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def lab(tmp_path_factory, artifacts) -> LabServer:
    _require_browser()
    base = tmp_path_factory.mktemp("jupyterlab")
    env = _isolated_env(base)
    for name, values in LAB_SETTINGS.items():
        path = base / "config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    root = base / "student"
    root.mkdir()
    token = secrets.token_hex(16)
    log = artifacts / "jupyter-server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        url = _wait_for_server(proc, base / "runtime", token, log)
        yield LabServer(url, token, root, env)
    finally:
        proc.terminate()  # the server shuts its kernels down, then exits
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group (its kernels)
            proc.wait()


@pytest.fixture(scope="module")
def playwright():
    """One Playwright for the module: its sync API allows one at a time in a process, and the
    JupyterLab browser stays open while the feedback pages are read."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(lab, playwright, tmp_path_factory):
    home = tmp_path_factory.mktemp("chromium-home")
    # launch() gives the browser a fresh temporary profile (user data dir) of its own
    browser = playwright.chromium.launch(
        executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True,
        env={**lab.env, "HOME": str(home)},
    )
    yield browser
    browser.close()


# --- a student at the keyboard -------------------------------------------------------------------


class Student:
    """One browser tab on one notebook, with the actions a student takes."""

    def __init__(self, page, name: str, artifacts: Path):
        self.page, self.name, self.artifacts = page, name, artifacts
        self.console: list[str] = []
        self.shots: list[Path] = []
        self.started = time.monotonic()
        page.on("console", lambda m: self.console.append(f"[{m.type}] {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"[pageerror] {e}"))

    # what is on the page
    def cell(self, index: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def show(self, index: int, *, top: bool = False):
        """Scroll cell ``index`` into view and wait until the browser painted it."""
        cell = self.cell(index)
        if top:
            cell.evaluate("e => e.scrollIntoView({block: 'start'})")
        else:
            cell.scroll_into_view_if_needed()
        self.page.wait_for_function(
            """e => { const r = e.getBoundingClientRect();
                      return r.height > 0 && r.top < innerHeight && r.bottom > 0; }""",
            arg=cell.element_handle(), timeout=ACTION_TIMEOUT,
        )
        # cells off screen skip rendering (content-visibility); let two frames paint this one
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                           "requestAnimationFrame(r)))")
        return cell

    def editor_text(self, index: int) -> str:
        return self.show(index).locator(".cm-content").inner_text()

    def output_text(self, index: int) -> str:
        """The cell's output as the student reads it (inner text of the painted cell)."""
        return self.show(index).locator(".jp-OutputArea").inner_text()

    def step(self, label: str):
        """Note in the console log how long the test took to get here."""
        self.console.append(f"[step {time.monotonic() - self.started:6.1f} s] {label}")

    def shot(self, label: str) -> Path:
        path = self.artifacts / f"{self.name}-{len(self.shots) + 1:02d}-{label}.png"
        self.page.screenshot(path=path)
        self.shots.append(path)
        self.step(f"screenshot {path.name}")
        return path

    # what the student does
    def open(self, url: str, cells: int):
        """Open the notebook; wait until all its ``cells`` are there and the spinner has gone."""
        self.page.goto(url)
        self.page.wait_for_function(
            """n => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n
                   && !document.querySelector('.jp-NotebookPanel .jp-Spinner')""",
            arg=cells, timeout=PAGE_TIMEOUT,
        )
        self.show(0)
        self.step("notebook shown")

    def wait_kernel_idle(self, timeout: int = ACTION_TIMEOUT):
        """The status bar says 'Python 3 (ipykernel) | Idle': a kernel is up and doing nothing."""
        self.page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\|\s*Idle$")).wait_for(
            timeout=timeout
        )

    def hide_file_browser(self):
        self.page.keyboard.press("Escape")  # command mode
        self.page.keyboard.press("Control+b")
        self.page.locator("#filebrowser").wait_for(state="hidden", timeout=ACTION_TIMEOUT)

    def replace_line(self, index: int, old: str, new: str):
        """Click on the line ``old`` in cell ``index``, select it with the keys, type ``new``."""
        self.show(index).locator(".cm-line", has_text=old).first.click()
        self.page.keyboard.press("End")
        self.page.keyboard.press("Shift+Home")
        self.page.keyboard.type(new)  # key by key; "\n" presses Enter
        text = self.editor_text(index)
        assert new in text and old not in text, (
            f"cell {index}: typing did not land as expected; the editor shows:\n{text}"
        )
        self.step(f"typed into cell {index}")

    def menu(self, top: str, item: str):
        self.page.keyboard.press("Escape")
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
        self.page.get_by_role("menuitem", name=item, exact=True).click()
        self.step(f"menu {top} > {item}")

    def run_all(self):
        self.menu("Run", "Run All Cells")

    def restart_and_run_all(self):
        self.menu("Kernel", "Restart Kernel and Run All Cells…")
        dialog = self.page.locator(".jp-Dialog")
        dialog.locator("button.jp-mod-accept", has_text="Restart").click()
        dialog.wait_for(state="hidden", timeout=ACTION_TIMEOUT)

    def wait_until_ran(self, index: int, expected: str, *, all_cells: bool):
        """Wait until cell ``index`` shows ``expected``, nothing is queued or running, and the
        kernel is idle (with ``all_cells``, every code cell also has an execution count)."""
        self.page.wait_for_function(
            """([index, expected, allCells]) => {
                 const cells = document.querySelectorAll('.jp-Notebook .jp-Cell');
                 const out = cells[index]?.querySelector('.jp-OutputArea');
                 if (!out || !out.textContent.includes(expected)) return false;
                 const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
                 if (!indicator || indicator.dataset.status !== 'idle') return false;
                 const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                   .map(p => p.textContent);
                 if (prompts.some(p => p.includes('*'))) return false;
                 return !allCells || prompts.every(p => /\\[\\d+\\]/.test(p));
               }""",
            arg=[index, expected, all_cells], timeout=RUN_TIMEOUT,
        )
        self.wait_kernel_idle()
        self.step("cells ran")

    def save(self, path: Path, must_contain: str):
        """Ctrl+S, then wait until the tab is clean and the file on disk has the new code."""
        tab = self.page.locator(".lm-TabBar-tab", has_text=path.name).first
        assert "jp-mod-dirty" in (tab.get_attribute("class") or ""), "edits mark the tab unsaved"
        self.page.keyboard.press("Control+s")
        self.page.wait_for_function(
            "tab => !tab.classList.contains('jp-mod-dirty')", arg=tab.element_handle(),
            timeout=ACTION_TIMEOUT,
        )
        deadline = time.monotonic() + ACTION_TIMEOUT / 1000
        while must_contain not in path.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, f"{path} was not saved with {must_contain!r}"
            time.sleep(0.2)
        self.step("saved")

    def write_console(self):
        (self.artifacts / f"{self.name}-console.log").write_text("\n".join(self.console) + "\n")


@pytest.fixture
def student(browser, lab, artifacts):
    """A fresh copy of the release notebook and a browser context of its own."""
    shutil.copy(RELEASE, lab.root / RELEASE.name)
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT)
    student = Student(context.new_page(), "student", artifacts)
    try:
        yield student
    finally:
        student.write_console()
        context.close()


@contextlib.contextmanager
def keep_evidence(student: Student):
    """On failure: a screenshot of the moment and the console log, named in the error."""
    try:
        yield
    except BaseException as err:
        with contextlib.suppress(Exception):
            shot = student.shot("FAILED")
            student.write_console()
            err.add_note(f"screenshot: {shot}\nconsole and steps: {student.artifacts}/"
                         f"{student.name}-console.log\nserver log: {student.artifacts}/"
                         "jupyter-server.log")
        raise


class Validation:
    """The real ``nbgrader validate``, as a student runs it, on the notebook as saved now.

    It runs on a copy in a folder of its own, in the background, so the student can go on
    editing the original meanwhile; ``report()`` waits for it.
    """

    def __init__(self, lab: LabServer, saved: Path, name: str, artifacts: Path):
        folder = lab.root.parent / "validate" / name
        folder.mkdir(parents=True)
        shutil.copy(saved, folder / saved.name)
        self.name, self.artifacts = name, artifacts
        self.proc = subprocess.Popen(
            [str(BIN / "nbgrader"), "validate", saved.name], cwd=folder, env=lab.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def report(self) -> str:
        try:
            out, err = self.proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        path = self.artifacts / f"validate-{self.name}.txt"
        path.write_text(f"$ nbgrader validate tensors.ipynb  (exit {self.proc.returncode})\n"
                        f"{out}\n--- stderr\n{err}")
        # nbgrader validate exits 0 whether or not a test fails: what it prints is the verdict
        assert self.proc.returncode == 0, f"nbgrader validate crashed, see {path}:\n{out}{err}"
        return out


# --- the test -----------------------------------------------------------------------------------


def test_student_in_jupyterlab(student, lab, artifacts):
    """Right answers: every visible test prints its success line and validate succeeds. Then a
    common mistake: the student sees the message with its hint and validate names the test."""
    notebook = lab.root / RELEASE.name
    answers = _answers()
    with keep_evidence(student):
        student.open(lab.notebook_url(notebook.name), len(nbformat.read(RELEASE, 4).cells))
        student.shot("opened")
        student.hide_file_browser()

        # 1. right answers (demo/ada.py), typed over each raise NotImplementedError()
        for grade_id, index in SOLUTIONS.items():
            student.replace_line(index, STUB, answers[grade_id])
        student.shot("typed")
        student.wait_kernel_idle(PAGE_TIMEOUT)  # the kernel started while the student typed
        student.step("kernel idle")
        student.run_all()
        student.wait_until_ran(TESTS[-1].index, TESTS[-1].success, all_cells=True)
        failures = []
        for test in TESTS:
            shown = student.output_text(test.index)
            if test.success not in shown or "Error" in shown:
                failures.append(f"{test.grade_id} (cell {test.index}) shows:\n{shown}")
        assert not failures, "visible tests that did not pass:\n" + "\n".join(failures)
        student.save(notebook, must_contain=answers["numpy_bridge"].splitlines()[0])
        student.show(SOLUTIONS["single_layer_sum"] - 1, top=True)  # exercise 1 and its tests
        student.shot("exercise1-tests-pass")
        student.show(SOLUTIONS["numpy_bridge"], top=True)  # exercise 4's answer and tests
        student.shot("exercise4-tests-pass")
        saved = nbformat.read(notebook, as_version=4)
        for grade_id, index in SOLUTIONS.items():
            assert saved.cells[index].source.endswith(answers[grade_id]), grade_id
        correct = Validation(lab, notebook, "correct", artifacts)

        # 2. a common mistake in exercise 1, then Kernel > Restart Kernel and Run All Cells
        index = SOLUTIONS[MISTAKE_ID]
        student.replace_line(index, answers[MISTAKE_ID], MISTAKE)
        student.restart_and_run_all()
        failing = next(t for t in TESTS if t.grade_id == MISTAKE_TEST)
        student.wait_until_ran(failing.index, "AssertionError", all_cells=False)
        shown = student.output_text(failing.index)
        student.show(index, top=True)
        student.shot("mistake-hint")
        assert MISTAKE_MESSAGE in shown, f"{MISTAKE_TEST} shows:\n{shown}"
        assert failing.success not in shown
        student.save(notebook, must_contain=".item()")
        mistake = Validation(lab, notebook, "mistake", artifacts)

    report = correct.report()
    assert "Success! Your notebook passes all the tests." in report, report
    report = mistake.report()
    assert "VALIDATION FAILED ON 1 CELL(S)!" in report, report
    first_line = nbformat.read(RELEASE, as_version=4).cells[failing.index].source.splitlines()[0]
    assert first_line in report, f"the report names the failing test:\n{report}"
    assert "y should be a torch.Tensor, but it is a float" in report, report


# --- the feedback page the student gets back --------------------------------------------------

FEEDBACK_WIDTHS = (360, 600, 1400, 1920)
FEEDBACK_SHOTS = ROOT / "tests" / "artifacts" / "feedback"
# Every whitespace-separated word of the failed tests' messages and of the summary: the lines its
# characters are drawn on (Range.getClientRects per word); a word on two lines is broken.
BROKEN_WORDS_JS = """() => {
    const broken = [];
    let words = 0;
    const roots = document.querySelectorAll('div.output_error pre, #graders-summary');
    for (const root of roots) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const re = /\\S+/g;
            for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
                const range = document.createRange();
                range.setStart(node, m.index);
                range.setEnd(node, m.index + m[0].length);
                const lines = new Set([...range.getClientRects()]
                    .filter(r => r.width > 0 && r.height > 0)
                    .map(r => Math.round(r.top + r.height / 2)));
                words += 1;
                if (lines.size > 1) broken.push(m[0]);
            }
        }
    }
    return {roots: roots.length, words, broken};
}"""


def _feedback_page(course, student: str) -> Path:
    return course.path / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"


@pytest.mark.parametrize("student", ["ben", "dee"])
def test_feedback_page_reads_at_every_width(demo_course, student, playwright, tmp_path):
    """The feedback page at 360 to 1920 px: no word of a failed test's message or of the summary
    is broken across two lines, and the page never scrolls sideways."""
    FEEDBACK_SHOTS.mkdir(parents=True, exist_ok=True)
    page_path = _feedback_page(demo_course, student)
    browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS,
                                         headless=True,
                                         env={**os.environ, "HOME": str(tmp_path)})
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(page_path.as_uri(), wait_until="load")
        page.evaluate("() => document.fonts.ready")
        problems = []
        for width in FEEDBACK_WIDTHS:
            page.set_viewport_size({"width": width, "height": 1000})
            seen = page.evaluate(BROKEN_WORDS_JS)
            assert seen["roots"] >= 2 and seen["words"] > 100, seen  # the page was read
            if seen["broken"]:
                problems.append(f"{width} px: words broken across lines: {seen['broken']}")
            scroll = page.evaluate("() => [document.documentElement.scrollWidth, "
                                   "document.body.scrollWidth, innerWidth]")
            if max(scroll[:2]) > scroll[2]:
                problems.append(f"{width} px: the page scrolls sideways "
                                f"(scrollWidth {max(scroll[:2])} > {scroll[2]})")
            page.screenshot(path=FEEDBACK_SHOTS / f"{student}-{width}.png")
        assert not problems, "\n".join(problems)
    finally:
        browser.close()


if __name__ == "__main__":  # pragma: no cover - run alone: python tests/test_student_browser.py
    sys.exit(pytest.main([__file__, "-v"]))
