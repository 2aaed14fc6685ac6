"""CleanText: text a notebook may hold but UTF-8 cannot encode is kept, visibly, as an escape
(an nbgrader sanitising stage, first of all).

A notebook is JSON, and JSON may hold a lone surrogate (``"\\ud83d"``: half of an emoji's
UTF-16 pair, left by an editor or a copy and paste); Python reads it into a ``str`` that no
UTF-8 writer can write. nbgrader's writer, the engine's, SQLite and the feedback page would each
fail on it, and the whole notebook would score 0 for a comment. This stage replaces each lone
surrogate, wherever it is in the notebook (sources, outputs, metadata), by its escape written out
(the six characters ``\\ud83d``): in a comment or in Markdown the text is still there and
visible, and in a string literal the escape means the same character as before. Each cell where
this happened is noted in the gradebook (``[autograder]``, through :class:`SaveFindings`); it
costs nothing.

It also drops a ``graders`` entry of the notebook's metadata that a submission brought along:
that entry is the grader's (findings of the sanitising stages travel in it to
:class:`SaveFindings`, and the engine records how the grading went in it).

Leans on nbgrader's preprocessor interface. Written by hand: neither nbformat nor nbgrader repairs
text UTF-8 cannot encode.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor

from ..findings import Finding

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _clean(value, found: list[str]):
    if isinstance(value, str):
        if LONE_SURROGATE.search(value):
            found.extend(f"\\u{ord(c):04x}" for c in LONE_SURROGATE.findall(value))
            return escape_surrogates(value)
        return value
    if isinstance(value, dict):
        for key in list(value):
            new_key = _clean(key, found)
            item = _clean(value.pop(key) if new_key != key else value[key], found)
            value[new_key] = item
        return value
    if isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = _clean(item, found)
        return value
    return value


def note(nb, finding: dict) -> None:
    """A finding of a sanitising stage, kept in the notebook's metadata for SaveFindings (stock
    nbgrader gives the sanitising and the grading passes different ``resources``)."""
    nb.metadata.setdefault("graders", {}).setdefault("sanitized", []).append(finding)


class CleanText(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        nb.metadata.pop("graders", None)
        for index, cell in enumerate(nb.cells):
            found: list[str] = []
            _clean(cell, found)
            if found:
                kinds = ", ".join(sorted(set(found)))
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                note(nb, Finding("autograder", "surrogate_text",
                                 f"cell {index} held text that UTF-8 cannot encode (a lone "
                                 f"surrogate: {kinds}); it was kept as the escape written out",
                                 grade_id).to_json())
        found = []
        _clean(nb.metadata, found)
        if found:
            note(nb, Finding("autograder", "surrogate_text",
                             "the notebook's metadata held text that UTF-8 cannot encode; it "
                             "was kept as the escape written out").to_json())
        return nb, resources
