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
