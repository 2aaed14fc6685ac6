"""The instructor's report and a student's feedback page, opened in a real browser.

A small course is graded by ``graders autograde`` (``report_course`` in conftest.py); ``graders
report`` writes the report and the real ``nbgrader generate_feedback`` one student's feedback page.
Headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright; Playwright's own browser
download is not used) opens both from disk with a fresh profile. Each page fails the test on a
console error, a failed request, any request that leaves the machine (both pages must work
offline), a broken image or a blank chart. The feedback page must also show each failed test's
message whole (the ``AssertionError`` line wraps inside its box: nothing is cut off or hidden
behind a scroll bar) and its formulas as MathML, with no raw ``$$`` left in the text.

Screenshots and the console of each page are written to ``tests/artifacts/report/`` (gitignored).
Without Chromium or Playwright the tests are skipped; with ``BROWSER_TEST_REQUIRED=1`` (CI) that
is a failure.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ASSIGNMENT, ROOT, course_env

pytestmark = pytest.mark.xdist_group("report")

ARTIFACTS = ROOT / "tests" / "artifacts" / "report"
FEEDBACK_STUDENT = "19_torch_tensor_copy"  # two failed tests, each with a long message
REQUIRED = os.environ.get("BROWSER_TEST_REQUIRED") == "1"
CHROMIUM_ARGS = [  # --headless comes from Playwright's headless=True
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
]
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 600, "height": 900}


def _chromium() -> str | None:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


def _require_browser() -> None:
    reason = None
    if _chromium() is None:
        reason = "Chromium is not installed (apt-get install chromium, or set CHROMIUM=...)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright is not installed (pip install -e '.[dev]')"
    if reason and REQUIRED:
        pytest.fail(f"{reason} (BROWSER_TEST_REQUIRED=1: the browser test must run here)")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def pages(report_course) -> dict[str, Path]:
    """The report and one student's feedback, made by the real commands."""
    _require_browser()
    course = report_course.path
    for command in ([sys.executable, "-m", "graders", "report", ASSIGNMENT],
                    [str(Path(sys.executable).parent / "nbgrader"), "generate_feedback",
                     ASSIGNMENT, "--student", FEEDBACK_STUDENT, "--force"]):
        proc = subprocess.run(command, cwd=course, env=course_env(), capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return {"report": course / "reports" / ASSIGNMENT / "index.html",
            "feedback": course / "feedback" / FEEDBACK_STUDENT / ASSIGNMENT /
            f"{ASSIGNMENT}.html"}


@pytest.fixture(scope="module")
def browser(pages, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user data dir
    home = tmp_path_factory.mktemp("chromium-home")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS,
            viewport=WIDE, env={**os.environ, "HOME": str(home)},
        )
        context.set_default_timeout(20_000)
        yield context
        context.close()


class Watched:
    """A page and everything that went wrong while it loaded."""

    def __init__(self, context, name: str):
        self.page, self.name = context.new_page(), name
        self.log: list[str] = []
        self.problems: list[str] = []
        page = self.page
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"request failed: {r.url[:120]} ({r.failure})"))
        page.on("request", self._request)
        page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url[:120]}"))

    def _console(self, message) -> None:
        self.log.append(f"[{message.type}] {message.text}")
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _request(self, request) -> None:
        self.log.append(f"[request] {request.url[:120]}")
        if not request.url.startswith(("file:", "data:", "about:")):
            self.problems.append(f"request leaves the machine: {request.url[:120]}")

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.evaluate("() => document.fonts.ready")

    def shot(self, label: str) -> Path:
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def close(self) -> None:
        (ARTIFACTS / f"{self.name}-console.log").write_text("\n".join(self.log) + "\n")
        self.page.close()

    def check_images(self) -> list[dict]:
        """Every image loaded (naturalWidth > 0); returns their src and size."""
        images = self.page.evaluate("""() => [...document.images].map(i => ({
            src: i.currentSrc || i.src, complete: i.complete, width: i.naturalWidth,
            shown: i.getBoundingClientRect().width}))""")
        broken = [i["src"][:80] for i in images if not i["complete"] or i["width"] == 0]
        assert not broken, f"{self.name}: broken images: {broken}"
        return images

    def check_fits(self) -> None:
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{self.name}: the page scrolls sideways by {overflow} px"


def _not_blank(png: bytes, what: str) -> None:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16)
    spread = ImageStat.Stat(image.convert("L")).stddev[0]
    assert colours is None or len(colours) > 8, f"{what}: only {len(colours)} colours"
    assert spread > 10, f"{what} looks blank (grey-level spread {spread:.1f})"


def test_report_in_chromium(browser, pages):
    page = Watched(browser, "report")
    try:
        page.open(pages["report"])
        page.shot("wide")
        images = page.check_images()
        assert len(images) == 4, images  # scores, pass rates, mistakes, time
        for n, image in enumerate(images):
            assert image["src"].startswith("data:image/png;base64,")
            _not_blank(base64.b64decode(image["src"].split(",", 1)[1]), f"chart {n} (file)")
            shown = page.page.locator("img.chart").nth(n)
            shown.scroll_into_view_if_needed()
            _not_blank(shown.screenshot(), f"chart {n} (as painted)")
            assert image["shown"] > 300, f"chart {n} is drawn {image['shown']} px wide"
        page.check_fits()
        for table in ("tests-table", "mistakes-table", "flagged-table", "review-table",
                      "slowest-table", "students-table"):
            assert page.page.locator(f"#{table} tbody tr").count() > 0, table
        assert page.page.locator("#tests-table tbody tr").count() == 4 + 11
        page.page.set_viewport_size(NARROW)
        page.shot("narrow")
        page.check_fits()
        # At 600 px no table scrolls in its box (each row is a block of "column: value"
        # lines), and no chart is shrunk below 0.8 of its drawn size (its text stays legible).
        boxes = page.page.evaluate("""() => [...document.querySelectorAll('div.scroll')].map(
            d => ({id: d.firstElementChild.id, over: d.scrollWidth - d.clientWidth}))""")
        assert boxes and not [b for b in boxes if b["over"] > 0], boxes
        labels = page.page.evaluate("""() => [...document.querySelectorAll(
            '#tests-table td')].slice(0, 3).map(td => getComputedStyle(td, '::before').content)""")
        assert labels[1:] == ['"points: "', '"passed: "'], labels
        scales = page.page.evaluate("""() => [...document.images].map(
            i => i.getBoundingClientRect().width / i.naturalWidth)""")
        assert scales and min(scales) >= 0.8, scales
        assert not page.problems, "\n".join(page.problems)
    finally:
        page.close()


def _failed_messages(report_course) -> list[str]:
    nb = report_course.autograded(FEEDBACK_STUDENT)
    return [cell.metadata["graders"]["message"] for cell in nb.cells
            if cell.metadata.get("graders", {}).get("passed") is False]


def test_feedback_in_chromium(browser, pages, report_course):
    messages = _failed_messages(report_course)
    assert len(messages) == 2 and all(len(m) > 150 for m in messages), messages
    page = Watched(browser, "feedback")
    try:
        page.open(pages["feedback"])
        page.check_images()
        # formulas: MathML the browser draws itself, no TeX left for a script that never loads
        text = page.page.evaluate("() => document.body.innerText")
        assert "$$" not in text and "\\sum" not in text and "\\cdot" not in text
        maths = page.page.evaluate("""() => [...document.querySelectorAll('math')].map(
            m => m.getBoundingClientRect().width)""")
        assert maths and all(width > 0 for width in maths), maths
        for viewport in (WIDE, NARROW):
            page.page.set_viewport_size(viewport)
            errors = page.page.locator("div.output_error pre")
            shown = [" ".join(t.split()) for t in errors.all_inner_texts()]
            for message in messages:
                line = " ".join(f"AssertionError: {message}".split())
                assert any(line in t for t in shown), f"not shown whole: {line}\n{shown}"
            for n in range(errors.count()):
                box = errors.nth(n)
                box.scroll_into_view_if_needed()
                sizes = box.evaluate("""e => {
                    const out = [];
                    for (let x = e; x && x !== document.body; x = x.parentElement)
                        out.push({cls: x.className, scroll: x.scrollWidth,
                                  client: x.clientWidth});
                    const r = e.getBoundingClientRect();
                    return {boxes: out, right: r.right, width: innerWidth,
                            wraps: getComputedStyle(e).whiteSpace};
                }""")
                cut = [b for b in sizes["boxes"] if b["scroll"] > b["client"]]
                assert not cut, f"error {n} is wider than its box at {viewport}: {cut}"
                assert sizes["right"] <= sizes["width"], f"error {n} runs off the page: {sizes}"
                assert sizes["wraps"] in ("pre-wrap", "break-spaces"), sizes["wraps"]
            page.shot(f"{viewport['width']}")
            page.check_fits()
        assert not page.problems, "\n".join(page.problems)
    finally:
        page.close()


def test_feedback_page_loads_nothing_from_the_internet(pages):
    """The same, read from the file: no script, stylesheet or font from a server (the course's
    feedback template drops nbconvert's MathJax loader)."""
    html = pages["feedback"].read_text(encoding="utf-8")
    for needle in ("<script src=", "cdnjs.cloudflare.com", "<link rel=\"stylesheet\"", "@import"):
        assert needle not in html, needle
    assert "<math" in html
