"""Every number the report shows, as plain data (``report.json``), from what was read.

Standard library only, written by hand: nbgrader has no report.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict

from ..checks.exercises import EXERCISES
from ..findings import describe
from .gradebook_reader import CourseResults


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _sentence(code: str) -> tuple[str, str]:
    """(kind, what it means) of a diagnosis code, from the registry (:mod:`graders.findings`):
    the Exercise table's sentence for a catalogued mistake, the code's meaning otherwise."""
    known = describe(code)
    if known is None:
        return "general", ""
    return known.label, known.meaning


def _exercise_label(grade_id: str) -> str:
    ex = EXERCISES.get(grade_id)
    return f"{ex.number} {grade_id}" if ex else (grade_id or "other")


def numbers(book: CourseResults) -> dict:
    """Every number the page shows, as plain data (``report.json``)."""
    subs, tests = book.submissions, book.tests
    n = len(subs)
    max_score = book.max_score
    scores = [s.score for s in subs]
    integral = all(float(x).is_integer() for x in scores) and max_score <= 60
    distribution = Counter(int(x) if integral else round(x, 2) for x in scores)

    test_rows = []
    codes_per_test: dict[str, Counter] = defaultdict(Counter)
    for sub in subs:
        for test, code in sub.test_codes.items():
            codes_per_test[test][code] += 1
    for t in tests:
        got = [s.scores.get(t.name, 0.0) for s in subs]
        passed = sum(1 for g in got if g >= t.points - 1e-9)
        partial = sum(1 for g in got if 0 < g < t.points - 1e-9)
        test_rows.append({
            "test": t.name, "notebook": t.notebook, "exercise": t.exercise,
            "points": t.points, "passed": passed, "partial": partial,
            "failed": n - passed - partial, "pass_rate": _pct(passed, n),
            "mean_points": round(sum(got) / n, 2) if n else 0.0,
            # Mistakes only: tampering is not one (Mistakes says so); it has its own count.
            "top_codes": [(code, count) for code, count in codes_per_test[t.name].most_common()
                          if _sentence(code)[0] != "tampering"][:3],
            "tampering": sum(count for code, count in codes_per_test[t.name].items()
                             if _sentence(code)[0] == "tampering"),
        })
    exercise_rows = []
    for grade_id in dict.fromkeys(t.exercise for t in tests):
        mine = [t for t in tests if t.exercise == grade_id]
        points = sum(t.points for t in mine)
        all_passed = sum(1 for s in subs
                         if all(s.scores.get(t.name, 0.0) >= t.points - 1e-9 for t in mine))
        got = sum(s.scores.get(t.name, 0.0) for s in subs for t in mine)
        exercise_rows.append({
            "exercise": grade_id, "label": _exercise_label(grade_id),
            "tests": [t.name for t in mine], "points": points, "all_passed": all_passed,
            "pass_rate": _pct(all_passed, n),
            "mean_points": round(got / n, 2) if n else 0.0,
        })

    students_per_code: dict[str, list[str]] = defaultdict(list)
    for sub in subs:
        for code in sub.codes:
            students_per_code[code].append(sub.student)
    mistakes, tampered = [], set()
    for code, students in sorted(students_per_code.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        kind, says = _sentence(code)
        if kind == "tampering":  # not a mistake: listed with the flagged submissions
            tampered.update(students)
            continue
        exercise = code.rpartition(".")[0]
        mistakes.append({"code": code, "exercise": exercise, "kind": kind, "says": says,
                         "count": len(students), "share": _pct(len(students), n),
                         "students": students})

    flagged = []
    categories: Counter = Counter()
    for sub in subs:
        if not (sub.flagged or sub.problems):
            continue
        reasons = list(dict.fromkeys(p.category for p in sub.problems))
        if sub.flagged and not reasons:
            reasons = ["flagged, no reason recorded"]
        categories.update(reasons)
        flagged.append({"student": sub.student, "flagged": sub.flagged, "reasons": reasons,
                        "details": list(dict.fromkeys(p.detail for p in sub.problems)),
                        "score": sub.score})
    review = [hit for sub in subs for hit in sub.review]

    recorded = [(s.seconds, s.student) for s in subs if s.seconds is not None]
    seconds = sorted(x for x, _ in recorded)
    times = {"recorded": len(recorded), "not_recorded": n - len(recorded)}
    if seconds:
        times.update({
            "median": round(statistics.median(seconds), 3),
            "p90": round(seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))], 3),
            "mean": round(statistics.fmean(seconds), 3), "max": round(seconds[-1], 3),
            "min": round(seconds[0], 3), "total": round(sum(seconds), 1),
            "slowest": [{"student": s, "seconds": round(x, 3)}
                        for x, s in sorted(recorded, key=lambda r: (-r[0], r[1]))[:10]],
        })
    return {
        "assignment": book.assignment, "gradebook": book.source, "max_score": max_score,
        "submissions": n, "without_submission": book.without_submission,
        "scores": {
            "distribution": {str(k): v for k, v in sorted(distribution.items())},
            "mean": round(statistics.fmean(scores), 2) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "full_marks": sum(1 for x in scores if x >= max_score - 1e-9),
            "zero": sum(1 for x in scores if x <= 1e-9),
        },
        "tests": test_rows, "exercises": exercise_rows, "mistakes": mistakes,
        "tampering": sorted(tampered),
        "flagged": {"count": sum(1 for f in flagged if f["flagged"]),
                    "by_reason": dict(categories.most_common()), "submissions": flagged},
        "review": {"hits": len(review), "submissions": len({h.student for h in review}),
                   "by_category": dict(Counter(h.category for h in review).most_common()),
                   "rows": [vars(h) for h in review]},
        "time": times,
    }
