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
