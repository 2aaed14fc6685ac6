"""ReadableFeedback: formulas a browser shows without the internet (a feedback stage).

nbconvert leaves ``$...$`` and ``$$...$$`` in the page for MathJax, which it loads from a CDN:
offline, or where the CDN is blocked, students see raw LaTeX. This stage converts the formulas
of every Markdown cell to MathML with ``latex2mathml`` (browsers render MathML themselves), so
the feedback page is self-contained (``graders/templates/feedback/mathjax.html.j2`` drops the
MathJax loader from nbgrader's feedback template). It also adds a few lines of CSS to the page
(after ``CSSHTMLHeaderPreprocessor``'s) so that error output wraps instead of running off the
right edge: the most important line a student reads is the failed test's message. Code spans
and blocks are left alone; a formula that ``latex2mathml`` cannot convert stays as it was.
"""

from __future__ import annotations

import re

from latex2mathml.converter import convert
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets import List

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


WRAP_CSS = """
div.output_area pre, div.output_subarea pre { white-space: pre-wrap; overflow-wrap: anywhere; }
div.output_subarea, div.output_area { overflow-x: visible; max-width: 100%; }
div.output_error pre, div.output_stderr pre { font-weight: 600; }
math[display="block"] { display: block; margin: 0.8em 0; font-size: 115%; }
"""


class ReadableFeedback(NbGraderPreprocessor):
    # HTMLExporter configures this for every nbconvert class; declaring it configurable (as
    # nbgrader's GetGrades does) keeps traitlets from warning that it is not recognised.
    display_data_priority = List(GetGrades.display_data_priority.default_value).tag(config=True)

    def preprocess(self, nb, resources):
        resources.setdefault("inlining", {}).setdefault("css", []).append(WRAP_CSS)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = to_mathml(cell.source)
        return cell, resources
