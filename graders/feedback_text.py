"""What a student reads about their grading: one message per failed test, a summary, closing words.

Every surface that shows a student their results builds its text here, from the same autograded
notebook (or the same gradebook comments), so the words agree everywhere:

* the feedback page (:class:`~graders.preprocessors.ReadableFeedback` puts each failed test's
  message under it, the summary at the top, and closing words that fit the score);
* Gradescope's test outputs (:mod:`graders.gradescope.run`);
* the answer cell's comment in the feedback page, and an LMS feedback column, from the
  gradebook's comment lines (:func:`comment_lines`).

A failed test gets **one** message: the trusted verdict's when it failed (it names the variable,
the expected and actual value or shape, the mistake and what to change), which supersedes the
visible assert's message saying the same thing in fewer words; otherwise the visible test's own
message. Internal codes (``single_layer_sum.no_bias``, ``[diagnosis]``) never appear: they stay in
``metadata.graders``, the gradebook and the instructor's report. A message that an earlier test
already gave (an exercise not done yet, a replaced library function) is said in full once, and
after that in one short line.

Written by hand: nbgrader's feedback shows tracebacks, not messages. Plain Python when imported,
no torch (nbgrader only inside :func:`gradebook_lines`, for the LMS plugins), so Gradescope's
runner can import it before the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .checks.exercises import TESTS
from .findings import parse_line

_TITLE = re.compile(r"^#\s*Test\s+[A-Za-z0-9_]+\s*:\s*(.+)$")
_HEADING = re.compile(r"^#+\s*Exercise\s+(\d+)\s*:\s*(.+)$", re.M)
_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")
MAX_WHY = 260  # characters of the summary's one line


@dataclass
class TestResult:
    """One graded test cell, as the student reads it."""

    grade_id: str
    title: str  # what the test checks, from its first line
    exercise: int | None  # the exercise's number, None for a cell outside the table
    points: float
    score: float | None  # None: not known from the notebook alone
    passed: bool
    text: str = ""  # the one message of a failed test
    full: str = ""  # the message in full, when ``text`` refers to an earlier test's
    why: str = ""  # one line for the summary


def title_of(source: str, grade_id: str = "") -> str:
    """The title of a test cell: its first line, ``# Test <exercise>: <title>``."""
    first = source.strip().splitlines()[0] if source.strip() else ""
    m = _TITLE.match(first.strip())
    return m.group(1).strip() if m else (grade_id or first.lstrip("# ").strip())


def exercise_titles(nb) -> dict[int, str]:
    """``{1: "one neuron with a sum", ...}`` from the notebook's ``## Exercise N: ...`` headings."""
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for number, title in _HEADING.findall(cell.source):
                out.setdefault(int(number), title.strip())
    return out


def first_sentence(text: str, limit: int = MAX_WHY) -> str:
    text = " ".join(text.split())
    m = _SENTENCE.match(text)
    sentence = m.group(1) if m else text
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _visible_error(ename: str, evalue: str) -> str:
    """A visible test's error, in words: an assert's own message; a name not yet defined."""
    evalue = " ".join(str(evalue).split())
    if ename == "AssertionError" and evalue:
        return evalue
    m = re.match(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined", evalue)
    if ename == "NameError" and m:
        return (f"{m.group(1)} is not defined when this test runs: run the exercise's cell (and "
                f"the cells above it) before this test.")
    return f"This test stopped with {ename}: {evalue}".rstrip(": ") + (
        "." if evalue and not evalue.endswith(".") else "")


def _stderr_text(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:299] + "…"
    return (f"This test wrote to stderr (a warning, say), and a test that does scores 0: "
            f"{text}")


def _why(code: str, text: str) -> str:
    """The summary's line: what the code gave against what was expected (the message's first
    sentence) and the mistake the verdict named, or as much of that as fits."""
    first = first_sentence(text)
    if "." in code:
        from .checks.exercises import EXERCISES

        grade_id, what = code.split(".", 1)
        exercise = EXERCISES.get(grade_id)
        for mistake in (exercise.mistakes if exercise else ()):
            if mistake.code == what and mistake.says not in first:
                if len(first) + len(mistake.says) < MAX_WHY and mistake.says not in first:
                    return f"{first} {mistake.says}"
                return mistake.says if len(mistake.says) <= MAX_WHY else first
    return first


def test_results(nb) -> list[TestResult]:
    """Each graded cell of an autograded notebook, in order, with its one message if it failed.

    Reads the cell's outputs (the visible asserts' errors, anything written to stderr) and the
    trusted verdict (``metadata.graders``); the score is ``metadata.nbgrader.score`` when
    nbgrader's ``GetGrades`` has put it there."""
    results: list[TestResult] = []
    said: dict[str, TestResult] = {}  # a full message already given -> the test that gave it
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        grade_id = meta.get("grade_id", "")
        verdict = cell.get("metadata", {}).get("graders") or {}
        errors, stderr = [], []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append((output.get("ename", "Error"), output.get("evalue", "")))
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                stderr.append(output.get("text", ""))
        message = " ".join(str(verdict.get("message", "")).split())
        code = str(verdict.get("code", "") or "")
        text = ""
        if verdict.get("passed") is False and (errors or message):
            # The trusted verdict says it all (the visible assert's message is folded into it).
            # VerifyAnswers appended it as the cell's last error; read it there, where the
            # feedback's RedactHiddenTests has scrubbed it, rather than from the metadata.
            text = " ".join(str(errors[-1][1]).split()) if errors else message
        elif errors:
            visible = [_visible_error(*e) for e in errors
                       if " ".join(str(e[1]).split()) != message]
            text = " ".join(dict.fromkeys(visible))
        elif stderr:
            text = _stderr_text("".join(stderr))
        exercise = TESTS[grade_id][0].number if grade_id in TESTS else None
        score = meta.get("score")
        result = TestResult(grade_id, title_of(cell.get("source", ""), grade_id), exercise,
                            float(meta.get("points") or 0),
                            None if score is None else float(score), not text)
        if text:
            earlier = said.get(text)
            if earlier is None:
                said[text] = result
                result.text, result.why = text, _why(code, text)
            else:
                parts = re.split(r"[:;] |\. ", first_sentence(text, 160))
                short = parts[0] if not re.fullmatch(r"Exercise \d+", parts[0]) or len(
                    parts) < 2 else f"{parts[0]}: {parts[1]}"
                short = short.rstrip(".")
                short = short[0].lower() + short[1:]
                result.full = text
                result.text = f"Not checked: {short} (see “{earlier.title}” above)."
                result.why = f"Not checked: {short}."
        if result.score is not None and result.score < result.points and result.passed:
            result.passed = False  # scored below its points without a message (partial credit)
            result.why = result.text = (f"This test scored {result.score:g} of "
                                        f"{result.points:g} points.")
        results.append(result)
    return results


def messages(nb) -> dict[str, str]:
    """``{grade_id: message}`` for each failed test of an autograded notebook."""
    return {r.grade_id: r.text for r in test_results(nb) if r.text}


def comment_lines(comment: str) -> list[str]:
    """A gradebook comment in the student's words: each finding without its ``[kind] code:``
    prefix, once; review lines (for the instructor only) left out; other lines as they are."""
    out: list[str] = []
    for line in (comment or "").splitlines():
        line = line.strip()
        if not line:
            continue
        finding = parse_line(line)  # the gradebook's lines: graders/findings.py
        if finding is not None:
            if finding.kind == "review":
                continue
            line = finding.text.strip()
            if finding.kind == "problem":
                line = (f"The grader could not finish checking your notebook ({line}); your "
                        f"instructor has been told.")
        if line and line not in out:
            out.append(line)
    return out


def closing(score: float, max_score: float, failed: list[TestResult]) -> str | None:
    """Closing words (Markdown) that fit the score; None at full marks (the lesson's own fit)."""
    if max_score <= 0 or score >= max_score:
        return None
    exercises = sorted({r.exercise for r in failed if r.exercise is not None})
    where = (f"exercise {exercises[0]}" if len(exercises) == 1 else
             "exercises " + ", ".join(map(str, exercises[:-1])) + f" and {exercises[-1]}"
             if exercises else "some tests")
    if score <= 0:
        head = "## Not there yet"
        first = f"This submission earned no points yet (0 of {max_score:g})."
    else:
        head = "## Almost there" if score >= 0.8 * max_score else "## Keep going"
        first = f"You have {score:g} of {max_score:g} points."
    n = len(failed)
    return (f"{head}\n\n{first} {n} test{'s' if n != 1 else ''} in {where} still "
            f"fail{'s' if n == 1 else ''}: the summary at the top of this page says why, and the "
            f"message under each failed test says what to change. Fix your code, run every cell "
            f"from the top (Kernel, Restart and Run All), and submit again.")


def _code_spans(html_text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html_text)


def points(x: float) -> str:
    return f"{x:g}"


def summary_html(results: list[TestResult], titles: dict[int, str], score: float,
                 max_score: float) -> str:
    """The feedback page's summary: each exercise and each test by its name, points, passed or
    not, and one line of why (HTML, escaped; plain blocks that wrap at any width)."""
    from html import escape

    groups: dict[int | None, list[TestResult]] = {}
    for r in results:
        groups.setdefault(r.exercise, []).append(r)
    failed = sum(1 for r in results if not r.passed)
    head = (f"All {len(results)} tests passed." if not failed else
            f"{failed} of {len(results)} tests failed; each is listed below with why, and its "
            f"message under the test in the notebook says what to change.")
    out = ['<section id="graders-summary" aria-label="Summary">',
           f'<p class="graders-total"><b>{points(score)} of {points(max_score)} points.</b> '
           f'{escape(head)}</p>']
    for number, tests in groups.items():
        got = sum(r.score if r.score is not None else (r.points if r.passed else 0)
                  for r in tests)
        total = sum(r.points for r in tests)
        name = (f"Exercise {number}: {titles[number]}" if number in titles else
                f"Exercise {number}" if number is not None else "Other tests")
        state = "passed" if all(r.passed for r in tests) else "failed"
        out.append(f'<div class="graders-exercise {state}"><h3>{escape(name)} '
                   f'<span class="graders-points">{points(got)} / {points(total)}</span></h3>'
                   f'<ul>')
        for r in tests:
            got_r = r.score if r.score is not None else (r.points if r.passed else 0)
            mark = "✓" if r.passed else "✗"
            verdict = "passed" if r.passed else "failed"
            line = (f'<li class="graders-test {verdict}"><a href="#{escape(r.grade_id)}">'
                    f'<span class="graders-mark" aria-label="{verdict}">{mark}</span> '
                    f'{escape(r.title)}</a> <span class="graders-points">{points(got_r)} / '
                    f'{points(r.points)}</span>')
            if not r.passed:
                line += f'<div class="graders-why">{_code_spans(escape(r.why))}</div>'
            out.append(line + "</li>")
        out.append("</ul></div>")
    out.append("</section>")
    return "\n".join(out)


def gradebook_lines(gradebook, assignment: str, student_id: str) -> list[str]:
    """What an LMS feedback column says beyond the points: the findings of the gradebook's
    comments (:func:`comment_lines`), each once, after its exercise (``Exercise 1: y is 0.1214
    but should be 0.1595. ...``). ``gradebook`` is an open :class:`nbgrader.api.Gradebook`; a
    student without a submission has none."""
    from nbgrader.api import MissingEntry

    from .checks.exercises import EXERCISES

    try:
        submission = gradebook.find_submission(assignment, student_id)
    except MissingEntry:
        return []
    out: list[str] = []
    seen: set[str] = set()
    for notebook in submission.notebooks:
        order = {name: ex.number for name, ex in EXERCISES.items()}
        for comment in sorted(notebook.comments, key=lambda c: (order.get(c.name, 99), c.name)):
            exercise = EXERCISES.get(comment.name)
            for line in comment_lines(comment.comment or ""):
                if line == "No response." or line in seen:  # nbgrader's, for a blank answer
                    continue
                seen.add(line)
                out.append(f"Exercise {exercise.number}: {line}" if exercise else line)
    return out
