"""ReadableFeedback: a feedback page a student reads once and understands (a feedback stage).

Runs after ``GetGrades``, ``RedactHiddenTests`` and ``CSSHTMLHeaderPreprocessor``:

* each failed test shows one message, in the student's words (:mod:`graders.feedback_text`:
  the same text Gradescope shows), and the answer cells' comments lose their internal codes;
* ``resources["graders"]["summary_html"]``: each exercise and test by name, points, passed or
  not and one line of why, which the course's feedback template
  (``graders/templates/feedback/index.html.j2``) puts at the top of the page;
* below full marks, the lesson's closing cell ("Well done") becomes closing words that fit the
  score;
* formulas as MathML, and CSS that makes text wrap between words at any width.

nbconvert leaves ``$...$`` and ``$$...$$`` in the page for MathJax, which it loads from a CDN:
offline, or where the CDN is blocked, students see raw LaTeX. This stage converts the formulas
of every Markdown cell to MathML with ``latex2mathml`` (browsers render MathML themselves), so
the feedback page is self-contained (``graders/templates/feedback/mathjax.html.j2`` drops the
MathJax loader from nbgrader's feedback template). It also adds a few lines of CSS to the page
(after ``CSSHTMLHeaderPreprocessor``'s) so that error output wraps instead of running off the
right edge: the most important line a student reads is the failed test's message. Code spans
and blocks are left alone; a formula that ``latex2mathml`` cannot convert stays as it was.

Leans on nbgrader's preprocessor interface, nbformat, and ``latex2mathml`` for the formulas.
Written by hand: the summary, the messages and the closing words (:mod:`graders.feedback_text`),
which nbgrader's feedback does not have.
"""

from __future__ import annotations

import re

from latex2mathml.converter import convert
from nbformat import from_dict
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets import List

from .. import feedback_text

_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$([^$\n]+?)\$")


def _mathml(latex: str, display: str) -> str | None:
    try:
        return convert(latex.strip(), display=display)
    except Exception:  # noqa: BLE001 - leave what cannot be converted as it was
        return None


def to_mathml(markdown: str) -> str:
    """``markdown`` with each formula outside code replaced by MathML."""
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside code
        text = _DISPLAY.sub(lambda m: _mathml(m.group(1), "block") or m.group(0), parts[i])
        parts[i] = _INLINE.sub(lambda m: _mathml(m.group(1), "inline") or m.group(0), text)
    return "".join(parts)


# nbconvert's classic template ships Bootstrap 3, whose `pre { word-break: break-all }` breaks
# messages inside words ("an/d", "torch.from/_numpy"): these rules come after it and are more
# specific. A word breaks only if it is wider than the whole line (overflow-wrap: anywhere). Code
# keeps its lines and scrolls inside its own box; nothing makes the page scroll sideways.
WRAP_CSS = """
html body div.output_area pre, html body div.output_subarea pre, html body div.output_error pre,
html body #graders-summary, html body .panel-footer, html body .rendered_html {
  white-space: pre-wrap; word-break: normal; overflow-wrap: anywhere; word-wrap: anywhere;
}
html body #graders-summary, html body .panel-footer, html body .rendered_html {
  white-space: normal;
}
div.output_subarea, div.output_area { overflow-x: visible; max-width: 100%; min-width: 0; }
div.output_error pre, div.output_stderr pre { font-weight: 600; }
div.input_area pre, div.highlight pre { overflow-x: auto; word-break: normal; }
div.nbgrader_cell .panel-heading { display: flow-root; height: auto; }
div.inner_cell, div.input_area, div.output_wrapper, div.output, div.cell, div.panel,
div.panel-body, div.nbgrader_cell { min-width: 0; max-width: 100%; }
body, div#notebook, div#notebook-container, div.container { overflow-x: hidden; }
img, svg, math, table { max-width: 100%; }
math[display="block"] { display: block; margin: 0.8em 0; font-size: 115%; overflow-x: auto; }
#graders-summary { margin: 0 0 1em 0; font-size: 15px; line-height: 1.45; }
#graders-summary h3 { font-size: 16px; margin: 0.9em 0 0.3em 0; }
#graders-summary ul { list-style: none; padding-left: 0; margin: 0; }
#graders-summary li { margin: 0.25em 0 0.45em 0; }
#graders-summary .graders-points { color: #555; white-space: nowrap; }
#graders-summary .failed .graders-mark { color: #b52a1d; font-weight: bold; }
#graders-summary .passed .graders-mark { color: #2a7d2a; font-weight: bold; }
#graders-summary .graders-why { margin-left: 1.4em; color: #333; }
@media (max-width: 720px) {
  div.prompt, div.input_prompt, div.output_prompt { display: none; }
  div.container, .container { padding-left: 4px; padding-right: 4px; width: auto; }
  div.input, div.output_area { display: block; }
  div.nbgrader_cell .panel-heading { height: auto; }
  body { padding-top: 0.3em; }
}
"""


class ReadableFeedback(NbGraderPreprocessor):
    """Formulas as MathML, messages in the student's words, a summary and fitting closing
    words (see the module docstring)."""

    # HTMLExporter configures this for every nbconvert class; declaring it configurable (as
    # nbgrader's GetGrades does) keeps traitlets from warning that it is not recognised.
    display_data_priority = List(GetGrades.display_data_priority.default_value).tag(config=True)

    def preprocess(self, nb, resources):
        resources.setdefault("inlining", {}).setdefault("css", []).append(WRAP_CSS)
        results = feedback_text.test_results(nb)
        by_id = {r.grade_id: r for r in results}
        shown = {" ".join(r.text.split()) for r in results if r.text}
        shown |= {" ".join(r.full.split()) for r in results if r.full}
        last_graded = -1
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") or meta.get("solution"):
                last_graded = index
            result = by_id.get(meta.get("grade_id")) if meta.get("grade") else None
            if result is not None:
                cell.setdefault("metadata", {}).setdefault("graders", {})["title"] = result.title
                if result.text and cell.cell_type == "code":
                    _one_message(cell, result.text)
            if meta.get("comment"):  # without what a failed test below says already
                meta["comment"] = "\n".join(
                    f"- {line}" for line in feedback_text.comment_lines(meta["comment"])
                    if " ".join(line.split()) not in shown)
        info = resources.get("nbgrader", {})
        score, max_score = float(info.get("score") or 0), float(info.get("max_score") or 0)
        if results:
            resources.setdefault("graders", {})["summary_html"] = feedback_text.summary_html(
                results, feedback_text.exercise_titles(nb), score, max_score)
        closing = feedback_text.closing(score, max_score, [r for r in results if not r.passed])
        if closing and 0 <= last_graded < len(nb.cells) - 1:
            tail = nb.cells[-1]
            if tail.cell_type == "markdown" and not tail.get("metadata", {}).get("nbgrader"):
                tail.source = closing
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = to_mathml(cell.source)
        return cell, resources


def _one_message(cell, text: str) -> None:
    """The failed test's errors and stderr replaced by one error output holding ``text``."""
    kept = [o for o in cell.get("outputs", [])
            if o.get("output_type") != "error"
            and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    kept.append(from_dict({"output_type": "error", "ename": "AssertionError", "evalue": text,
                           "traceback": [f"AssertionError: {text}"]}))
    cell.outputs = kept
