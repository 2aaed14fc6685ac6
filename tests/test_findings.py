"""Findings: every code the judge and the stages can emit is registered and documented, and a
finding survives its trip through the notebook's metadata and the gradebook's comment.

The emitted codes are collected from the source with ``ast`` (string literals passed as codes),
so a new code in ``verdicts.py``, a stage or the engine fails here until it is registered in
``graders/findings.py`` (and ``docs/codes.md`` regenerated from it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENT
from nbformat.v4 import new_notebook
from nbgrader.api import Gradebook

from graders import findings
from graders.checks.exercises import EXERCISES
from graders.findings import CODES, JUDGE, KINDS, REVIEW, Finding, parse_comment, stored

PACKAGE = Path(findings.__file__).parent
REPO = PACKAGE.parent
def _strings(node) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def judge_codes(source: str) -> set[str]:
    """The general codes a judge's source emits: the second argument of ``_fail`` and what is
    assigned to ``code``, as literals (mistakes are named through the exercise table)."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _called(node) == "_fail" and len(node.args) > 1:
            out |= _strings(node.args[1])
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
            out |= _strings(node.value)
    return out


def stage_codes(source: str) -> set[tuple[str, str]]:
    """(kind, code) of every ``Finding(...)`` with literal arguments, and the codes given to
    the engine's ``_record_problem``, Gradescope's ``NotGradable`` and ``problem_code``."""
    tree = ast.parse(source)
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name == "Finding" and len(node.args) > 1:
            kind = node.args[0].value if isinstance(node.args[0], ast.Constant) else "?"
            out |= {(kind, code) for code in _strings(node.args[1])}
        if name == "_record_problem":
            out |= {("?", code) for k in node.keywords if k.arg == "code"
                    for code in _strings(k.value)}
        if name == "NotGradable" and len(node.args) > 1:
            out |= {("?", code) for code in _strings(node.args[1])}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "problem_code":
            out |= {("?", code) for ret in ast.walk(node) if isinstance(ret, ast.Return)
                    for code in _strings(ret)}
    return out


def review_categories(source: str) -> set[str]:
    """The categories the review scan gives: ``hit(node, <category>, ...)``, ``Hit(cell, line,
    <category>, ...)`` and the values of its category tables."""
    out = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) == "hit" and len(node.args) > 1:
            out |= _strings(node.args[1])
        if isinstance(node, ast.Call) and _called(node) == "Hit" and len(node.args) > 2:
            out |= _strings(node.args[2])
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id in ("MODULES", "ATTRIBUTES", "OS_CALLS")
                for t in node.targets):
            out |= {v.value for v in node.value.values if isinstance(v, ast.Constant)
                    and isinstance(v.value, str)}
    return out


def unregistered_judge_codes(source: str) -> set[str]:
    return {c for c in judge_codes(source)
            if any(ex.code(c) not in CODES for ex in EXERCISES.values())}


def unregistered_stage_codes(source: str) -> set[tuple[str, str]]:
    return {(kind, code) for kind, code in stage_codes(source)
            if code and (code not in CODES or kind not in ("?", CODES[code].kind))}


# --- every code is registered and documented ----------------------------------------------------


def test_every_code_the_judge_emits_is_registered():
    source = (PACKAGE / "checks" / "verdicts.py").read_text(encoding="utf-8")
    emitted = judge_codes(source)
    assert {"fitted", "not_real", "typed_in", "wrong_value"} <= emitted  # the scan finds them
    assert unregistered_judge_codes(source) == set()
    # mistakes are named through the exercise table, and registered from it
    for ex in EXERCISES.values():
        for mistake in ex.mistakes:
            code = CODES[ex.code(mistake.code)]
            assert code.source == "mistake" and code.student == mistake.says
    assert "wrong_on_new_inputs" not in judge_codes(source)  # the unreachable branch is gone


def test_every_code_a_stage_or_the_engine_emits_is_registered():
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        found |= stage_codes(source)
        assert unregistered_stage_codes(source) == set(), path
    codes = {code for _, code in found}
    # the scan sees each stage's codes (a scan that finds nothing would pass too)
    assert {"gradebook", "notebook_missing", "invalid_notebook", "not_prepared",
            "grading_failed", "surrogate_text", "metadata_restored", "kernel_died",
            "rerun_fault", "no_notebook"} <= codes


def test_every_review_category_is_registered():
    source = (PACKAGE / "review.py").read_text(encoding="utf-8")
    found = review_categories(source)
    assert {"introspection", "syntax", "processes"} <= found
    assert found <= set(REVIEW), found - set(REVIEW)


def test_the_scans_fail_on_a_new_code():
    """What the tests above catch: a code added without registering it."""
    assert unregistered_judge_codes(
        'def t(self, ex):\n    return self._fail(ex, "brand_new", "message")') == {"brand_new"}
    assert unregistered_judge_codes(
        'code = mistake.code if mistake else "also_new"') == {"also_new"}
    assert unregistered_stage_codes(
        'x = Finding("problem", "unheard_of", "text")') == {("problem", "unheard_of")}
    assert unregistered_stage_codes(  # registered, but under another kind
        'x = Finding("review", "gradebook", "text")') == {("review", "gradebook")}
    assert unregistered_stage_codes(
        'self._record_problem(s, n, r, zero=True, code="lost")') == {("?", "lost")}
    assert "new category" not in set(REVIEW)
    assert review_categories('s.hit(node, "new category", "x")') == {"new category"}


def test_every_registered_code_says_what_it_means():
    assert set(JUDGE) >= {"fitted", "not_real"}
    for code in CODES.values():
        assert code.kind in KINDS, code
        assert code.meaning.strip(), code
        if code.source in ("mistake", "judge"):
            assert code.student.strip(), code


def test_the_docs_page_is_the_registry():
    page = (REPO / "docs" / "codes.md").read_text(encoding="utf-8")
    assert page == findings.markdown(), (
        "docs/codes.md is not the registry's: run `python -m graders.findings > docs/codes.md`")
    for ex in EXERCISES.values():
        for mistake in ex.mistakes:
            assert f"`{ex.code(mistake.code)}`" in page
    for code in [*JUDGE, *findings.STAGE, *REVIEW]:
        assert f"`{code}`" in page
    assert "codes.md" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")


# --- the round trip ---------------------------------------------------------------------------


EXAMPLES = [
    Finding("diagnosis", "single_layer_sum.no_bias", "y is 0.1 but should be 0.2. Add bias.",
            "single_layer_sum", "test_single_layer_sum_value"),
    Finding("tampering", "multilayer.tampering", "torch.allclose has been replaced.",
            "multilayer", "test_multilayer_shape"),
    Finding("tampering", "gradebook", "the gradebook was changed while this notebook ran"),
    Finding("review", "dynamic code", "cell 9, line 2: calls exec() (dynamic code): exec(s)",
            "multilayer", where={"cell": 9, "line": 2, "what": "calls exec()",
                                 "source": "exec(s)"}),
    Finding("autograder", "notebook_missing", "tensors.ipynb is missing (found: a.ipynb)"),
    Finding("problem", "rerun_kernel_died", "grader's re-run on new inputs: cell 3: kernel "
                                            "died (signal 9)"),
    Finding("autograder", "surrogate_text", "cell 7 held text \udcff UTF-8 cannot encode"),
]


@pytest.mark.parametrize("finding", EXAMPLES, ids=lambda f: f.code)
def test_a_finding_survives_the_notebook_and_the_comment(finding):
    nb = new_notebook()
    findings.store(nb, [finding, finding])  # once each
    text = nbformat.writes(nb, ensure_ascii=True)
    assert stored(nbformat.reads(text, as_version=4)) == [finding]
    # the gradebook's comment keeps kind, code and text (exercise and where are the notebook's)
    [back] = parse_comment(f"No response.\n{finding.line()}\nan instructor's own line")
    assert (back.kind, back.code, back.text) == (finding.kind, finding.code, finding.text)
    assert back.flags == finding.flags and back.group == finding.group


def test_a_line_without_a_registered_code_is_all_text():
    [f] = parse_comment("[autograder] cell 13: kernel died (exit code 1)")
    assert (f.kind, f.code, f.text) == ("autograder", "", "cell 13: kernel died (exit code 1)")
    assert parse_comment("[nonsense] x: y\nplain") == []
    assert stored({"metadata": {}}) is None


def test_a_graded_notebook_keeps_its_findings_as_its_gradebook_comments_say(report_course):
    """Through ``graders autograde``: the autograded notebook holds every finding the
    gradebook's comments hold, with its code, and the verdicts' codes."""
    seen = set()
    with Gradebook(report_course.db_url) as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            path = (report_course.path / "autograded" / sub.student_id / ASSIGNMENT
                    / f"{ASSIGNMENT}.ipynb")
            if not path.exists():
                continue
            kept = stored(nbformat.read(path, as_version=4))
            assert kept is not None, sub.student_id
            lines = {f.line() for f in kept}
            for comment in sub.notebooks[0].comments:
                for finding in parse_comment(comment.auto_comment):
                    if finding.kind == "problem" and finding.code == "grading_failed":
                        continue  # written after the notebook, when the grading failed
                    assert finding.line() in lines, (sub.student_id, finding)
                    assert finding.code in CODES, finding
            failed = {test: code for test, code in report_course.cell_codes(
                sub.student_id).items()}
            assert {f.test: f.code for f in kept if f.test} == failed
            seen |= {(f.kind, f.code) for f in kept}
    kinds = {kind for kind, _ in seen}
    assert {"diagnosis", "tampering", "review"} <= kinds
    assert seen & {("autograder", "kernel_died"), ("problem", "rerun_kernel_died")}  # 40_...
