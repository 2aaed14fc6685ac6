"""The report's CSV files: the full lists the page cuts short.

Standard library only (``csv``).
"""

from __future__ import annotations

import csv
from pathlib import Path

CSV_FILES = ["students.csv", "tests.csv", "mistakes.csv", "flagged.csv", "review.csv"]


def _write_csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_csvs(num: dict, out: Path) -> None:
    _write_csv(out / "students.csv", ["student", "score", "max_score", "flagged", "seconds",
                                      "diagnoses"],
               ([s["student"], f"{s['score']:g}", f"{num['max_score']:g}",
                 "yes" if s["flagged"] else "", "" if s["seconds"] is None else s["seconds"],
                 " ".join(s["codes"])] for s in num["students"]))
    _write_csv(out / "tests.csv", ["test", "exercise", "points", "passed", "partial", "failed",
                                   "pass_rate", "mean_points"],
               ([r["test"], r["exercise"], f"{r['points']:g}", r["passed"], r["partial"],
                 r["failed"], r["pass_rate"], r["mean_points"]] for r in num["tests"]))
    _write_csv(out / "mistakes.csv", ["code", "kind", "student"],
               ([m["code"], m["kind"], s] for m in num["mistakes"] for s in m["students"]))
    _write_csv(out / "flagged.csv", ["student", "flagged", "reason", "detail"],
               ([f["student"], "yes" if f["flagged"] else "no", "; ".join(f["reasons"]), d]
                for f in num["flagged"]["submissions"] for d in (f["details"] or [""])))
    _write_csv(out / "review.csv", ["student", "cell", "line", "category", "what", "code"],
               ([h["student"], h["cell"], h["line"], h["category"], h["what"], h["code"]]
                for h in num["review"]["rows"]))
