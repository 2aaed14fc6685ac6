"""nbgrader caching, in a process of its own (it patches nbgrader for the whole process, as the
engine's processes do): one connection and one course check for a batch's many Gradebooks,
and the same gradebook contents."""

import json
import subprocess
import sys

from conftest import course_env

SCRIPT = r"""
import json, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from graders.engine import nbgrader_caching
from nbgrader.api import Course, Gradebook

if sys.argv[2] == "cached":
    nbgrader_caching.install()
url = f"sqlite:///{sys.argv[1]}"
counting, connects, statements = [], [], []
event.listen(Pool, "connect", lambda *a: counting and connects.append(1))
event.listen(Engine, "before_cursor_execute",
             lambda conn, cur, sql, *a: counting and statements.append(sql))
for i in range(5):
    with Gradebook(url, "course") as gb:  # after the first: as a batch's later stages do
        gb.update_or_create_student(f"s{i}", first_name="A")
    counting.append(1)
counting.clear()
with Gradebook(url, "course") as gb:
    students = sorted(s.id for s in gb.students)
    courses = [c.id for c in gb.db.query(Course)]
print(json.dumps({"connects": len(connects),
                  "course_checks": sum("FROM course" in s for s in statements),
                  "students": students, "courses": courses}))
"""


def _run(tmp_path, mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / f"{mode}.db"), mode],
                          capture_output=True, text=True, timeout=120, env=course_env())
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_one_connection_and_one_course_check_for_many_gradebooks(tmp_path):
    stock, cached = _run(tmp_path, "stock"), _run(tmp_path, "cached")
    assert stock["connects"] >= 4 and stock["course_checks"] >= 4  # nbgrader's own way
    assert cached["connects"] == 0  # the first Gradebook's connection serves all the others
    assert cached["course_checks"] == 0
    assert cached["students"] == stock["students"] == [f"s{i}" for i in range(5)]
    assert cached["courses"] == stock["courses"] == ["course"]
