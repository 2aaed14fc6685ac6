"""The instructor's report: ``graders report <assignment>`` writes ``reports/<assignment>/``.

One page, ``index.html``, says how the assignment went: the score distribution; each exercise's
and each test cell's pass rate; the mistakes, by how many students made them (the mistake's
sentence from :mod:`graders.checks.exercises`, the students' ids); the flagged submissions and
why (kernel died, missing or invalid notebook, tampering, failed grading); the review list; and
the time each submission took to grade. It is one self-contained file: the charts are PNGs
embedded as ``data:`` URIs, the styles are inline, nothing is fetched (no script, font or CDN),
so it opens from disk, offline, and can be mailed. Next to it: CSV files with the full lists
(``students.csv``, ``tests.csv``, ``mistakes.csv``, ``flagged.csv``, ``review.csv``) and
``report.json`` with every number the page shows. Long lists are cut on the page (the first
ids, then "and N more") and kept whole in the CSVs, so the page stays small and readable for
5,000 students as for 4.

One module per job, in the order the report is made:

* :mod:`.gradebook_reader`: reads nbgrader's gradebook, the findings kept in the autograded
  notebooks (:mod:`graders.findings`) and the submitted notebooks' names
  (:class:`~.gradebook_reader.CourseResults`);
* :mod:`.numbers`: every number the page shows, as plain data (``report.json``);
* :mod:`.charts`: the PNG charts (matplotlib, Agg backend);
* :mod:`.render`: the page, from ``graders/templates/report/index.html.j2`` (jinja2,
  autoescape);
* :mod:`.csv_export`: the CSV files;
* here: :func:`build` (all of it) and :func:`main` (the command line's entry point).

Written by hand: nbgrader has no report beyond the Formgrader's pages.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .charts import chart_mistakes, chart_pass_rates, chart_scores, chart_times
from .csv_export import CSV_FILES, write_csvs
from .gradebook_reader import CourseResults, read
from .numbers import numbers
from .render import SHOWN_IDS, SHOWN_ROWS, plural, render

__all__ = ["CSV_FILES", "SHOWN_IDS", "SHOWN_ROWS", "CourseResults", "build", "main", "numbers",
           "read", "render", "summary"]


def summary(num: dict, index: Path) -> str:
    """The few lines ``graders report`` prints (the end of ``make grade``)."""
    n, sc, tm = num["submissions"], num["scores"], num["time"]
    lines = [f"Report: {index}"]
    if not n:
        return "\n".join([*lines, "  no submissions yet"])
    lines.append(f"  {plural(n, 'submission')}: mean {sc['mean']:g} / {num['max_score']:g}, median "
                 f"{sc['median']:g}, full marks {sc['full_marks']}, zero {sc['zero']}")
    hardest = min(num["tests"], key=lambda r: (r["pass_rate"], r["test"]), default=None)
    if hardest:
        lines.append(f"  hardest test: {hardest['test']} ({hardest['pass_rate']:.0f}% passed)")
    if num["mistakes"]:
        top = ", ".join(f"{m['code']} ({m['count']})" for m in num["mistakes"][:3])
        lines.append(f"  most common diagnoses: {top}")
    fl = num["flagged"]
    if fl["submissions"]:
        why = ", ".join(f"{k} {v}" for k, v in fl["by_reason"].items())
        lines.append(f"  flagged: {fl['count']} ({why})")
    rv = num["review"]
    if rv["hits"]:
        lines.append(f"  review list: {plural(rv['hits'], 'line')} in "
                     f"{plural(rv['submissions'], 'submission')}")
    if tm["recorded"]:
        lines.append(f"  time per submission: median {tm['median']:.2f} s, max {tm['max']:.2f} s"
                     + (f" (not recorded for {tm['not_recorded']})" if tm["not_recorded"]
                        else ""))
    else:
        lines.append("  time per submission: not recorded (graded by stock nbgrader autograde)")
    return "\n".join(lines)


def build(root: Path, assignment: str, out: Path | None = None, db: str | None = None,
          title: str | None = None) -> tuple[Path, dict]:
    """Read, count, draw and write the report; returns ``index.html``'s path and the numbers."""
    results = read(Path(root), assignment, db)
    num = numbers(results)
    num["students"] = [{"student": s.student, "score": s.score, "flagged": s.flagged,
                        "seconds": s.seconds, "codes": sorted(s.codes)}
                       for s in results.submissions]
    seconds = [s.seconds for s in results.submissions if s.seconds is not None]
    charts = {"scores": chart_scores(num) if results.submissions else None,
              "pass_rates": chart_pass_rates(num) if results.submissions else None,
              "mistakes": chart_mistakes(num), "times": chart_times(seconds)}
    out = Path(out) if out else Path(root) / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    generated = time.strftime("%Y-%m-%d %H:%M")
    page = render(num, charts, title or f"{assignment}: instructor's report", generated)
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    write_csvs(num, out)
    (out / "report.json").write_text(json.dumps(num, indent=1), encoding="utf-8")
    return index, num


def main(root: str, assignment: str, out: str | None = None, db: str | None = None) -> int:
    root_path = Path(root)
    try:
        index, num = build(root_path, assignment, Path(out) if out else None, db)
    except SystemExit as err:
        print(err, file=sys.stderr)
        return 2
    try:
        shown = index.relative_to(Path.cwd())
    except ValueError:
        shown = index
    print(summary(num, shown))
    return 0
