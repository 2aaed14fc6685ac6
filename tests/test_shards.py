"""The batch's grading processes take students from one queue (graders/autograde/shards.py).

The planner here is a stand-in with the two methods a shard calls (``make_pool`` and
``grade``), so these tests are about the queue and the relay alone: each student graded
exactly once, in the batch's order, both processes busy to the end, and a process that dies
failing only the students it had taken. The whole pipeline through the shards is covered by
every ``graders autograde`` test (two grading processes on a 2-core machine).
"""

from __future__ import annotations

import os
import time

import pytest

from graders.autograde import shards
from graders.autograde.outcome import Outcome


class _Pool:
    def stats(self):
        return None

    def close(self):
        pass


class FakePlanner:
    """Grades a student by sleeping ``seconds``; the process dies (as the OOM killer would end
    it) on the student named ``dies_on``."""

    def __init__(self, seconds: float = 0.0, dies_on: str = "", log: str = "") -> None:
        self.seconds, self.dies_on, self.log = seconds, dies_on, log

    def make_pool(self, notebooks):
        return _Pool()

    def grade(self, students, report, pool=None):
        for student in students:
            if self.log:
                with open(self.log, "a") as fh:
                    fh.write(f"{os.getpid()} {student}\n")
            if student == self.dies_on:
                os._exit(9)
            time.sleep(self.seconds)
            report(Outcome(student, "graded", score=1.0))


def _run(planner, students, processes=2):
    outcomes: list[Outcome] = []
    shards.run_shards(planner, students, processes, outcomes.append)
    return outcomes


def test_each_student_is_graded_once_and_by_both_processes(tmp_path):
    students = [f"s{i:03d}" for i in range(40)]
    log = tmp_path / "log"
    outcomes = _run(FakePlanner(0.01, log=str(log)), students)
    assert sorted(o.student for o in outcomes) == students
    assert all(o.status == "graded" for o in outcomes)
    taken = [line.split() for line in log.read_text().splitlines()]
    assert sorted(s for _, s in taken) == students  # none taken twice
    assert len({pid for pid, _ in taken}) == 2  # both processes took students
    # One queue in the batch's order: each process takes its students in that order, and the
    # two together take them in that order (the ticket a process reads is the next one).
    for pid in {pid for pid, _ in taken}:
        mine = [s for p, s in taken if p == pid]
        assert mine == sorted(mine)


def test_the_processes_finish_together_whatever_the_students_cost(tmp_path):
    """Fixed shares (every other student) left one process with all the slow ones; from one
    queue the other process takes more students instead."""
    students = [f"s{i:03d}" for i in range(12)]
    log = tmp_path / "log"

    class Uneven(FakePlanner):
        def grade(self, students, report, pool=None):
            for student in students:
                with open(log, "a") as fh:
                    fh.write(f"{os.getpid()} {student}\n")
                time.sleep(0.3 if int(student[1:]) % 2 == 0 else 0.0)
                report(Outcome(student, "graded"))

    outcomes = _run(Uneven(), students)
    assert sorted(o.student for o in outcomes) == students
    slow: dict[str, int] = {}
    for line in log.read_text().splitlines():
        pid, student = line.split()
        slow[pid] = slow.get(pid, 0) + (int(student[1:]) % 2 == 0)
    # With fixed shares (every other student) one process had all six slow students; from one
    # queue a process that is free takes the next student, slow or not.
    assert len(slow) == 2 and min(slow.values()) >= 2


def test_a_dying_process_fails_only_the_students_it_had(tmp_path):
    students = [f"s{i:03d}" for i in range(30)]
    log = tmp_path / "log"
    outcomes = _run(FakePlanner(0.01, dies_on="s005", log=str(log)), students)
    assert sorted(o.student for o in outcomes) == students  # each student once
    taken = [line.split() for line in log.read_text().splitlines()]
    dead = next(pid for pid, s in taken if s == "s005")
    failed = {o.student: o for o in outcomes if o.status == "failed"}
    assert "s005" in failed
    assert "grading process exited" in failed["s005"].notes[0]
    # Only what the dead process had taken can fail (an outcome it sent just before it died
    # may be lost with it: that student is failed, not lost); the other process graded the
    # rest of the batch, the students after s005 included.
    assert set(failed) <= {s for pid, s in taken if pid == dead}
    assert all(int(s[1:]) <= 5 for s in failed)
    assert len([o for o in outcomes if o.status == "graded"]) >= 24


def test_when_every_process_dies_the_rest_fail_with_a_reason(tmp_path):
    students = ["a", "b", "c", "d"]

    class DiesAtOnce(FakePlanner):
        def grade(self, students, report, pool=None):
            next(iter(students))
            os._exit(9)

    outcomes = _run(DiesAtOnce(), students)
    assert sorted(o.student for o in outcomes) == students
    assert all(o.status == "failed" for o in outcomes)
    assert all("grading process exited (9)" in o.notes[0] for o in outcomes)


@pytest.mark.parametrize("count", [0, 1, 5000])
def test_the_queue_holds_any_batch(count, monkeypatch):
    """Tickets that do not fit in the pipe are written as the processes read them."""
    monkeypatch.setattr(shards, "TICKET_PIPE_BYTES", 4096)  # 1,024 tickets up front
    students = [f"s{i:05d}" for i in range(count)]
    outcomes = _run(FakePlanner(), students)
    assert sorted(o.student for o in outcomes) == students


class DiesMidMessage(FakePlanner):
    """Dies 0.3 s into sending its report of ``dies_on`` (an 8 MiB note: the pipe holds 64 KiB,
    and the coordinator is not reading at that moment, see the test)."""

    def grade(self, students, report, pool=None):
        import threading

        for student in students:
            if student == self.dies_on:
                big = Outcome(student, "graded", notes=["x" * 2**23])
                threading.Thread(target=report, args=(big,), daemon=True).start()
                time.sleep(0.3)
                os._exit(9)
            time.sleep(self.seconds)
            report(Outcome(student, "graded", score=1.0))


def test_a_process_that_dies_in_the_middle_of_a_message_stops_nothing_else(tmp_path):
    """The shards' messages once shared one queue and its one write lock: a shard killed while
    sending left the lock taken (and half a message in the pipe), the other shard could then
    neither send nor exit, and the batch waited for ever. Each shard now has a pipe of its
    own."""
    import threading

    students = [f"s{i:03d}" for i in range(30)]
    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        if not outcomes:  # busy with the first outcome while the other shard sends and dies
            time.sleep(1.0)
        outcomes.append(outcome)

    batch = threading.Thread(target=shards.run_shards, daemon=True, args=(
        DiesMidMessage(0.01, dies_on="s005"), students, 2, report))
    batch.start()
    batch.join(timeout=60)
    assert not batch.is_alive(), "the batch is still waiting for its grading processes"
    assert sorted(o.student for o in outcomes) == students
    by_student = {o.student: o for o in outcomes}
    assert by_student["s005"].status == "failed"
    graded = [o for o in outcomes if o.status == "graded"]
    assert len(graded) >= len(students) - 2  # the other process graded the rest
