"""Two-submission attack of 33_fresh_input_oracle.py: grade, read the student's feedback HTML,
put the expected fresh values it reveals into answers.json next to the same notebook, regrade.

    .venv/bin/python tests/attacks/oracle.py [--stock] [--keep DIR]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import ASSIGNMENT, BIN, build, course_env, expected_scores, scores  # noqa: E402

CASE = HERE / "33_fresh_input_oracle.py"


def grade(course: Path, stock: bool) -> None:
    cmd = ([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force", "--log-level=ERROR"]
           if stock else [sys.executable, "-m", "graders", "autograde", ASSIGNMENT, "--force"])
    subprocess.run(cmd, cwd=course, env=course_env(), capture_output=True, check=False)
    subprocess.run([str(BIN / "nbgrader"), "generate_feedback", ASSIGNMENT, "--force",
                    "--log-level=ERROR"], cwd=course, env=course_env(), capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stock", action="store_true")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    parent = args.keep or Path(tempfile.mkdtemp(prefix="oracle-"))
    parent.mkdir(parents=True, exist_ok=True)
    course = build(parent, [CASE])
    student = CASE.stem
    grade(course, args.stock)
    first = scores(course, student)
    page = html.unescape((course / "feedback" / student / ASSIGNMENT /
                          f"{ASSIGNMENT}.html").read_text())
    found = {}
    for name in ("h", "output"):
        m = re.search(rf"{name} is right on the lesson's data but not on new inputs:.*?instead "
                      rf"of (\[[-0-9., ]+\]|-?\d+\.\d+)", page)
        if m:
            found[name] = [[float(x) for x in m.group(1).strip("[]").split(",")]]
    side = course / "submitted" / student / ASSIGNMENT / "answers.json"
    side.write_text(json.dumps(found))
    grade(course, args.stock)
    second = scores(course, student)
    print(json.dumps({"course": str(course), "revealed": found,
                      "first": sum(first.values()), "second": sum(second.values()),
                      "expected": sum(expected_scores(CASE).values()),
                      "second_cells": second}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
