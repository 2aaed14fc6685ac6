"""Feedback tells students why a test failed but never shows hidden test code."""

import re
import shutil

import pytest
from conftest import ASSIGNMENT

pytestmark = pytest.mark.xdist_group("stock")

STUDENTS = ["07_missing_bias_ex1", "15_typed_in_values", "16_patched_torch_allclose",
            "19_torch_tensor_copy", "01_reference"]
SECRETS = ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden_test", "graders.kernel",
           "PendingVerification", "Traceback", "most recent call last", "----&gt;"]


def _text(html: str) -> str:
    """What the student reads: the page without styles, scripts and tags."""
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#39;", "'")


@pytest.fixture(scope="module")
def feedback(graded_course):
    for student in STUDENTS:
        graded_course.nbgrader("generate_feedback", ASSIGNMENT, "--student", student)
    root = graded_course.path / "feedback"
    return {s: _text((root / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()) for s in STUDENTS}


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_shows_no_hidden_test_code(feedback, student):
    for secret in SECRETS:
        assert secret not in feedback[student], f"{secret!r} leaked to {student}"


def test_feedback_explains_what_failed(feedback):
    assert "y is 0.1214 but should be 0.1595" in feedback["07_missing_bias_ex1"]
    assert "does not change when the inputs change" in feedback["15_typed_in_values"]
    assert "torch.allclose has been replaced" in feedback["16_patched_torch_allclose"]
    assert "b does not share memory with a" in feedback["19_torch_tensor_copy"]


def test_stock_nbgrader_would_leak_them(graded_course, tmp_path):
    """Without this course's config the same feedback shows the hidden tests (nbgrader#917)."""
    stock = tmp_path / "stock"
    stock.mkdir()
    for name in ("gradebook.db", "autograded", "source"):
        src = graded_course.path / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, stock / name)
    (stock / "nbgrader_config.py").write_text("c = get_config()\n")
    from conftest import run_nbgrader

    run_nbgrader(stock, "generate_feedback", ASSIGNMENT, "--student", "07_missing_bias_ex1")
    html = (stock / "feedback" / "07_missing_bias_ex1" / ASSIGNMENT / f"{ASSIGNMENT}.html")
    assert "BEGIN HIDDEN TESTS" in _text(html.read_text())


# --- one message per failed test, a summary, closing words (the demo students) ----------------
def _page(course, student: str) -> str:
    return (course.path / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def _errors(html: str) -> list[str]:
    """The text of each error box of the page (a failed test's message)."""
    return [" ".join(_text(m).split()) for m in re.findall(
        r'<div class="output_subarea output_text output_error">\s*<pre>(.*?)</pre>', html, re.S)]


def _summary(html: str) -> list[dict]:
    section = re.search(r'<section[^>]*id="graders-summary".*?</section>', html, re.S)
    assert section, "the page has no summary"
    rows = []
    for li in re.findall(r'<li class="graders-test (passed|failed)">(.*?)</li>', section.group(0),
                         re.S):
        title = re.search(r'</span>\s*(.*?)</a>', li[1], re.S).group(1)
        pts = re.search(r'graders-points">([\d.]+) / ([\d.]+)<', li[1])
        why = re.search(r'graders-why">(.*?)</div>', li[1], re.S)
        rows.append({"passed": li[0] == "passed", "title": _text(title).strip(),
                     "score": float(pts.group(1)), "points": float(pts.group(2)),
                     "why": _text(why.group(1)).strip() if why else ""})
    return rows


def _codes() -> set[str]:
    from graders.checks.exercises import EXERCISES

    codes = {"not_done", "wrong_value", "wrong_shape", "typed_in", "fitted", "tampering",
             "not_tensor", "error", "not_assigned", "rerun_failed"}
    return {f"{ex.grade_id}.{c}" for ex in EXERCISES.values()
            for c in codes | {m.code for m in ex.mistakes}}


STUDENT_SEES_NO = ["[diagnosis]", "[tampering]", "[review]", "(diagnosis:", "NameError",
                   "Test cell (Score", "Grade cell:"]


@pytest.mark.parametrize("student", ["ada", "ben", "cy", "dee", "12_blank_ex2"])
def test_one_message_per_failed_test_in_the_students_words(demo_course, student):
    html = _page(demo_course, student)
    text = _text(html)
    for needle in STUDENT_SEES_NO:
        assert needle not in text, f"{student}: {needle!r} in the feedback"
    for code in _codes():
        assert code not in text, f"{student}: internal code {code} in the feedback"
    nb = demo_course.autograded(student)
    failed = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
              and c.metadata.get("graders", {}).get("passed") is False]
    errors = _errors(html)
    # one box per failed test (answer cells may show their own error, e.g. NotImplementedError)
    assert len([e for e in errors if e.startswith("AssertionError: ")]) == len(failed), errors


def test_the_message_says_expected_actual_and_what_to_change(demo_course):
    errors = _errors(_page(demo_course, "ben"))
    bias = [e for e in errors if "the bias is missing" in e]
    assert len(bias) == 1 and all(x in bias[0] for x in ("0.1214", "0.1595", "add bias")), errors
    copy = [e for e in errors if "b does not share memory with a" in e]
    assert len(copy) == 1 and "torch.from_numpy(a)" in copy[0], errors
    # the visible assert said the same in fewer words: folded into the verdict, not shown twice
    assert not any("Hint: torch.from_numpy(a) shares memory" in e for e in errors), errors


def test_a_blank_exercise_is_said_once(demo_course):
    html = _page(demo_course, "12_blank_ex2")
    errors = [e for e in _errors(html) if e.startswith("AssertionError")]
    assert len(errors) == 3, errors
    assert sum("Exercise 2 is not done yet" in e for e in errors) == 1, errors
    assert all(e.startswith("AssertionError: Not checked: exercise 2 is not done yet")
               for e in errors[1:]), errors
    assert "name 'y' is not defined" not in _text(html)
    # the answer cell's comment does not repeat what the test below it says
    comments = re.findall(r"<b>Comments:</b>(.*?)</div>", html, re.S)
    assert not any("not done yet" in _text(c) for c in comments), comments


def test_the_summary_lists_every_test_by_name(demo_course):
    import nbformat

    release = nbformat.read(demo_course.path / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                            as_version=4)
    titles = [c.source.splitlines()[0].split(": ", 1)[1] for c in release.cells
              if c.metadata.get("nbgrader", {}).get("grade")]
    html = _page(demo_course, "ben")
    rows = _summary(html)
    assert [r["title"] for r in rows] == titles
    scores = demo_course.cell_scores("ben")
    assert [r["score"] for r in rows] == [scores[c.metadata.nbgrader.grade_id] for c in
                                          release.cells if c.metadata.get("nbgrader", {})
                                          .get("grade")]
    failed = [r for r in rows if not r["passed"]]
    assert len(failed) == 4 and all(r["why"] and r["score"] == 0 for r in failed), failed
    assert "the bias is missing" in failed[0]["why"]
    assert all(r["why"] == "" for r in rows if r["passed"])
    for number, title in ((1, "one neuron with a sum"), (4, "share memory, change in place")):
        assert f"Exercise {number}: {title}" in _text(html)
    assert "9 of 15 points" in _text(html)


def test_closing_words_fit_the_score(demo_course):
    assert "Well done" in _text(_page(demo_course, "ada"))  # full marks
    for student, score in (("ben", "9 of 15"), ("dee", "0 of 15")):
        text = _text(_page(demo_course, student))
        assert "Well done" not in text, student
        assert score in text and "submit again" in text, student


def test_gradescope_shows_the_same_text(demo_course):
    from graders import feedback_text
    from graders.gradescope.run import cell_results
    from graders.preprocessors.redact_hidden_tests import RedactHiddenTests

    for student in ("ben", "dee", "12_blank_ex2"):
        nb = demo_course.autograded(student)
        shown = set(_errors(_page(demo_course, student)))
        results = cell_results(demo_course.autograded(student))
        texts = feedback_text.messages(RedactHiddenTests().preprocess(nb, {})[0])
        assert texts, student
        for grade_id, text in texts.items():
            assert results[grade_id].messages == [text], (student, grade_id)
            assert f"AssertionError: {' '.join(text.split())}" in shown, (student, text)


def test_gradebook_comment_lines_in_the_students_words():
    from graders.feedback_text import comment_lines

    comment = ("[diagnosis] numpy_bridge.copy: b does not share memory with a.\n"
               "[review] cell 7, line 1: uses ctypes\n"
               "[diagnosis] numpy_bridge.copy: b does not share memory with a.\n"
               "[tampering] single_layer_sum.tampering: torch.allclose has been replaced.\n"
               "Well spotted, see me after class.")
    assert comment_lines(comment) == ["b does not share memory with a.",
                                      "torch.allclose has been replaced.",
                                      "Well spotted, see me after class."]


# --- test titles say what the test checks ----------------------------------------------------
def _claims(ex, part) -> list[str]:
    """What a test cell's title must say, from the check its part runs (exercises.py)."""
    p = ex.parts[part]
    names = list(p.names)
    if p.check == "shape":
        return [*names, "tensor", *(str(ex.outputs[n]) for n in names),
                "computed from the inputs"]
    if p.check == "value":
        return [*names, "right value", "new inputs"]
    if p.check == "method":
        return [*names, "matrix multiplication",
                *(f"{w} keeps its shape {ex.inputs[w]}" for w in ex.watched)]
    if p.check == "bridge_type":
        return ["b", "tensor", "shape of a", str(ex.inputs["a"])]
    if p.check == "bridge_memory":
        return ["b shares memory with a", "float64"]
    if p.check == "bridge_doubled":
        return ["doubled exactly once", "in place", "through b"]
    raise AssertionError(f"no claims for the check {p.check!r}: add them here")


@pytest.mark.parametrize("where", ["source", "release"])
def test_each_test_title_says_what_its_check_does(where):
    import nbformat
    from conftest import ROOT

    from graders.checks.exercises import TESTS

    nb = nbformat.read(ROOT / where / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    seen = set()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        ex, part = TESTS[grade_id]
        first = cell.source.splitlines()[0]
        prefix = f"# Test {ex.grade_id}: "
        assert first.startswith(prefix), first
        title = first[len(prefix):]
        for claim in _claims(ex, part):
            assert claim in title, f"{grade_id}: the title {title!r} does not say {claim!r}"
        # and it claims no shape its check does not look at
        shapes = set(re.findall(r"\(\d+, \d+\)", title))
        allowed = {str(s) for s in (*ex.outputs.values(), *ex.inputs.values())}
        assert shapes <= allowed, (grade_id, shapes)
        assert "sigmoid" not in title, f"{grade_id}: the hidden check is the value, not 0 < y < 1"
        seen.add(grade_id)
    assert seen == set(TESTS)


def test_moodle_feedback_column_says_what_the_page_says(demo_course, tmp_path):
    """Moodle's feedback column: the points, then each finding in the feedback page's words."""
    import csv

    from conftest import ROOT

    out, roster = tmp_path / "moodle.csv", ROOT / "tests" / "fixtures" / "lms" / "moodle_roster.csv"
    demo_course.nbgrader("export", "--exporter", "graders.lms.MoodleExportPlugin",
                         f"--MoodleExportPlugin.roster_csv={roster}",
                         "--MoodleExportPlugin.feedback_column=Feedback", "--to", str(out))
    with open(out, newline="", encoding="utf-8") as fh:
        rows = {row[0]: row[2] for row in csv.reader(fh)}
    ben = rows["b.nunez@uni.example"]
    assert ben.startswith("Autograded: 9 of 15 points. Exercise 1: y is 0.1214"), ben
    for text in feedback_messages(demo_course, "ben"):
        assert text in ben, (text, ben)
    dee = rows["dee.okafor@uni.example"]
    assert "Autograded: 0 of 15 points." in dee and "torch.allclose has been replaced" in dee
    assert dee.count("torch.allclose has been replaced") == 1, dee
    assert rows["ada.lovelace@uni.example"] == "Autograded: 15 of 15 points."
    for code in _codes():
        assert all(code not in text for text in rows.values()), code


def feedback_messages(course, student: str) -> set[str]:
    from graders import feedback_text

    return {r.text for r in feedback_text.test_results(course.autograded(student)) if r.text}


def _cell(grade_id, outputs, verdict=None, score=None, points=1):
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(f"# Test x: what {grade_id} checks\nassert True\n", outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id,
                                 "points": points}
    if score is not None:
        cell.metadata["nbgrader"]["score"] = score
    if verdict is not None:
        cell.metadata["graders"] = verdict
    return cell


def _error(ename, evalue):
    from nbformat.v4 import new_output

    return new_output("error", ename=ename, evalue=evalue, traceback=[])


def test_each_kind_of_failure_gives_one_message():
    from nbformat.v4 import new_notebook, new_output

    from graders.feedback_text import test_results

    nb = new_notebook(cells=[
        # the visible assert failed, the trusted verdict passed: the assert's own message
        _cell("test_single_layer_sum_shape", [_error("AssertionError", "y should be (1, 1).")],
              {"passed": True, "code": "", "message": ""}),
        # a name the test needs is missing: said in words, not as a NameError
        _cell("test_single_layer_sum_value", [_error("NameError", "name 'y' is not defined")]),
        # only stderr: nbgrader scores it 0, so the student is told why
        _cell("test_multilayer_shape", [new_output("stream", name="stderr",
                                                   text="UserWarning: careful\n")]),
        # both failed: the verdict, once, without the code
        _cell("test_numpy_bridge_memory", [
            _error("AssertionError", "b does not share memory with a: it is a copy."),
            _error("AssertionError", "b does not share memory with a. b is a copy of a.")],
            {"passed": False, "code": "numpy_bridge.copy",
             "message": "b does not share memory with a. b is a copy of a."}),
        _cell("test_numpy_bridge_type", [], {"passed": True, "code": "", "message": ""}),
    ])
    results = {r.grade_id: r for r in test_results(nb)}
    assert results["test_single_layer_sum_shape"].text == "y should be (1, 1)."
    assert results["test_single_layer_sum_value"].text.startswith(
        "y is not defined when this test runs: run the exercise's cell")
    assert "stderr" in results["test_multilayer_shape"].text
    assert "UserWarning: careful" in results["test_multilayer_shape"].text
    memory = results["test_numpy_bridge_memory"]
    assert memory.text == "b does not share memory with a. b is a copy of a."
    assert "numpy_bridge.copy" not in memory.why and memory.why.startswith("b does not share")
    assert results["test_numpy_bridge_type"].passed and not results["test_numpy_bridge_type"].text
    assert [r.title for r in results.values()][0] == "what test_single_layer_sum_shape checks"


def test_a_message_already_given_is_said_once_then_in_one_short_line():
    from nbformat.v4 import new_notebook

    from graders.feedback_text import test_results

    said = ("Exercise 3: your code raised SyntaxError: '(' was never closed (line 1). Run your "
            "cell, fix the error.")
    verdict = {"passed": False, "code": "multilayer.error", "message": said}
    nb = new_notebook(cells=[_cell(f"test_multilayer_{p}", [_error("AssertionError", said)],
                                   verdict) for p in ("shape", "hidden", "output")])
    first, *rest = test_results(nb)
    assert first.text == said
    for r in rest:
        assert r.text == ("Not checked: exercise 3: your code raised SyntaxError (see “what "
                          "test_multilayer_shape checks” above).")
        assert r.why == "Not checked: exercise 3: your code raised SyntaxError."
