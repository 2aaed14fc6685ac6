"""Every corpus submission gets exactly the grades its file expects, test cell by test cell."""

from pathlib import Path

import pytest
from conftest import CORPUS, MISTAKES, expected_codes, expected_scores

pytestmark = pytest.mark.xdist_group("stock")

CASES = sorted(CORPUS.glob("*.py"))


def test_corpus_is_large_and_covers_every_verdict():
    assert len(CASES) >= 25
    verdicts = set()
    for path in CASES:
        scores = expected_scores(path)
        verdicts.add("full" if all(scores.values()) else "zero" if not any(scores.values())
                     else "partial")
    assert verdicts == {"full", "zero", "partial"}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_submission_is_graded_as_expected(graded_course, case: Path):
    got = graded_course.cell_scores(case.stem)
    want = expected_scores(case)
    assert got == want, "\n".join(
        f"{cell}: got {got.get(cell)}, expected {want[cell]}"
        for cell in sorted(want) if got.get(cell) != want[cell]
    )


def test_reference_solution_earns_the_maximum(graded_course):
    scores = graded_course.cell_scores("01_reference")
    assert sum(scores.values()) == graded_course.max_score() >= 10


def test_untouched_release_earns_nothing(graded_course):
    assert sum(graded_course.cell_scores("02_untouched").values()) == 0


@pytest.mark.parametrize("case", [c for c in CASES if expected_codes(c)], ids=lambda p: p.stem)
def test_a_known_mistake_records_its_diagnosis_code(graded_course, case: Path):
    codes = graded_course.cell_codes(case.stem)
    for test, code in expected_codes(case).items():
        assert codes.get(test) == code, f"{test}: got {codes.get(test)}, expected {code}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_a_passed_test_never_gets_a_diagnosis(graded_course, case: Path):
    scores, codes = graded_course.cell_scores(case.stem), graded_course.cell_codes(case.stem)
    assert not [t for t, code in codes.items() if scores.get(t)]


def test_every_catalogued_mistake_has_a_corpus_entry():
    from graders.checks.exercises import EXERCISES

    cases = CASES + sorted(MISTAKES.glob("*.py"))
    seen = {code for case in cases for code in expected_codes(case).values()}
    catalogue = {ex.code(m.code) for ex in EXERCISES.values() for m in ex.mistakes}
    assert catalogue <= seen, f"no corpus entry for {sorted(catalogue - seen)}"


def _comments(course, student: str) -> tuple[bool, str]:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        nb = gb.find_submission_notebook("tensors", "tensors", student)
        return nb.flagged, "\n".join(c.auto_comment or "" for c in nb.comments)


def test_text_utf8_cannot_encode_is_kept_visible_and_noted(graded_course):
    flagged, comments = _comments(graded_course, "41_text_a_notebook_may_hold")
    assert not flagged
    assert "[autograder] surrogate_text: cell 7 held text that UTF-8 cannot encode" in comments
    cells = graded_course.autograded("41_text_a_notebook_may_hold").cells
    answer = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id")
                  == "single_layer_sum")
    assert answer.source.endswith("# done \\ud83d")  # the six characters, nothing lost


def test_hand_edited_nbgrader_metadata_is_put_back_and_flagged(graded_course):
    flagged, comments = _comments(graded_course, "44_test_cells_unlocked_by_hand")
    assert flagged
    assert comments.count("had its nbgrader metadata edited by hand") == 3
    assert "(test_single_layer_mm_value) had its nbgrader metadata edited by hand (grade False " \
           "instead of True; locked False instead of True; points 0 instead of 2.0)" in comments
    flagged, comments = _comments(graded_course, "46_ids_and_points_edited")
    assert flagged and "(multilayer) had its nbgrader metadata edited by hand" in comments
    assert "nbgrader id the assignment does not know (my_test)" in comments
    assert "test cell test_single_layer_mm_value was not in the notebook" in comments


def test_a_changed_cell_type_is_noted_not_flagged(graded_course):
    flagged, comments = _comments(graded_course, "45_cell_types_changed")
    assert not flagged
    assert "(test_single_layer_sum_value) was made a raw cell" in comments
    assert "(numpy_bridge) was made a markdown cell" in comments


def test_a_warning_in_a_test_cell_is_moved_to_stdout_with_a_note(graded_course):
    from graders.preprocessors.warnings_are_not_errors import NOTE

    cells = graded_course.autograded("43_warnings_before_and_in_test_cells").cells
    test = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "test_multilayer_output")
    streams = [(o.name, o.text) for o in test.outputs if o.output_type == "stream"]
    assert ("stdout", NOTE) in [(n, t[:len(NOTE)]) for n, t in streams]
    assert "UserWarning: this cell is being timed" in "".join(t for _, t in streams)
    assert all(name == "stdout" for name, _ in streams)


def test_feedback_of_a_notebook_with_odd_text_shows_it_and_the_note(graded_course):
    student = "41_text_a_notebook_may_hold"
    graded_course.nbgrader("generate_feedback", "tensors", "--student", student)
    page = (graded_course.path / "feedback" / student / "tensors" / "tensors.html").read_text(
        encoding="utf-8")
    assert "\\ud83d" in page and "held text that UTF-8 cannot encode" in page
