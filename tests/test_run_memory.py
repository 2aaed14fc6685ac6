"""A run's memory where no memory cgroup counts it (:mod:`graders.engine.run_memory`).

A grader that is not root makes no memory cgroup, and ``RLIMIT_AS`` caps each process, not the
run: forked children could each hold just under the cap (attack 85). The pool sums what the
run's process group holds and stops it past the cap; a run's ordinary forked workers, which
share torch's pages with the template, are not charged for them many times over. Real template
and sealed children, with the pool's cgroups turned off as on such a host (1 GiB cap). Stock
nbgrader's sealed kernel is watched by a thread that stops the kernel's children and leaves the
kernel: tested on a process group of the test's own.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time

import pytest
from traitlets.config import Config

from graders.engine.cgroups import RunGroups
from graders.engine.jobs import Job
from graders.engine.pool import local_pool
from graders.engine.run_memory import Watch, group_members
from graders.engine.runs import pool_settings
from graders.protocol import Cell

CAP = 2**30

def _hog(children: int, mib: int) -> str:
    """A cell that forks ``children`` children that each fill ``mib`` MiB (every page written)
    and wait; the cell waits for them at most 10 s, then says how many are left."""
    return f"""
import os, select, time
r, w = os.pipe()
pids = []
for _ in range({children}):
    pid = os.fork()
    if pid == 0:
        held = bytearray({mib} * 2**20)
        os.write(w, b"+")
        time.sleep(60)
        os._exit(0)
    pids.append(pid)
got, end = b"", time.monotonic() + 10
while len(got) < {children} and time.monotonic() < end:
    if select.select([r], [], [], 0.1)[0]:
        got += os.read(r, {children})
time.sleep(1)
alive = [p for p in pids if os.waitpid(p, os.WNOHANG) == (0, 0)]
print("children left:", len(alive))
"""


#: Three children of 0.5 GiB: 1.5 GiB for the run, each child under its own address-space cap.
HOG = _hog(3, 512)
#: Four forked workers that compute a little with torch and end: what a student's
#: multiprocessing might do; their shared pages are not 4 times the template's.
WORKERS = """
import os, time
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        t = torch.ones(100, 100) @ torch.ones(100, 100)
        time.sleep(1.5)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
print("workers done")
"""


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    settings = pool_settings(Config(), timeout=60)
    settings["memory_cap"] = settings["limits"]["memory_cap"] = CAP
    pool = local_pool(str(course), settings, workers=2)
    pool.groups = RunGroups()
    pool.groups.kind = ""  # as for a grader that is not root: no memory cgroup for the runs
    yield pool
    pool.close()


def _run(pool, *sources: str):
    folder = tempfile.mkdtemp(prefix="graders-test-")
    [result] = list(pool.run([Job("run", [Cell(i, s, True) for i, s in enumerate(sources)],
                                  folder)]))
    return result


def _printed(result, index: int) -> str:
    return "".join(o.get("text", "") for o in result.outputs.get(index, []))


def test_forked_children_that_hold_more_than_the_cap_together_are_stopped(pool):
    result = _run(pool, "import torch", HOG, "print('the cell after runs')")
    assert any("together held" in f and "1 GiB of memory a submission may" in f
               for f in result.faults), result.faults
    assert "the cell after runs" in _printed(result, 2)


def test_forked_workers_sharing_the_templates_pages_are_not_stopped(pool):
    result = _run(pool, "import torch", WORKERS)
    assert result.faults == []
    assert "workers done" in _printed(result, 1)


def _group_with_hogs(count: int, each: int) -> int:
    """A process group of its own: a leader that forks ``count`` children holding ``each``
    bytes (every page written) and sleeps; returns the leader's pid once all are holding."""
    r, w = os.pipe()
    leader = os.fork()
    if leader == 0:
        try:
            os.setsid()
            for _ in range(count):
                if os.fork() == 0:
                    held = bytearray(each)  # noqa: F841 - zero-filled: its pages are resident
                    os.write(w, b"+")
                    time.sleep(60)
                    os._exit(0)
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    got = b""
    while len(got) < count:
        got += os.read(r, count)
    os.close(r)
    return leader


def test_a_watch_stops_a_groups_children_past_the_cap_and_leaves_its_leader():
    leader = _group_with_hogs(3, 2**29)
    watch = Watch(leader, CAP)
    watch.start()
    try:
        end = time.monotonic() + 10
        while time.monotonic() < end and group_members(leader) != [leader]:
            time.sleep(0.05)
        assert group_members(leader) == [leader]  # the three children gone, the leader kept
        assert watch.stopped and "together held 1." in watch.stopped[0]  # 1.5 GiB and Python
    finally:
        watch.stop()
        os.killpg(leader, signal.SIGKILL)
        os.waitpid(leader, 0)
    assert not watch.is_alive()


def test_a_watch_leaves_a_group_under_the_cap_alone():
    leader = _group_with_hogs(2, 2**27)
    watch = Watch(leader, CAP)
    watch.start()
    try:
        time.sleep(1.0)
        assert watch.stopped == [] and len(group_members(leader)) == 3
    finally:
        watch.stop()
        os.killpg(leader, signal.SIGKILL)
        os.waitpid(leader, 0)


#: In a notebook's kernel (whose own cap counts ipykernel's mappings too): four of 0.3 GiB.
KERNEL_HOG = _hog(4, 300)


def test_under_stock_nbgrader_a_kernels_children_past_the_cap_are_stopped(tmp_path, monkeypatch):
    """SealedExecute without a memory cgroup (made so here: the grader is root in CI) watches
    the kernel's group: its children go, the kernel and the notebook go on."""
    from nbformat.v4 import new_code_cell, new_notebook

    from graders.engine import cgroups
    from graders.preprocessors.sealed_execute import SealedExecute

    monkeypatch.setattr(cgroups.RunGroups, "create", lambda self, *args: [])
    folder = tmp_path / "course" / "autograded" / "s" / "a"
    folder.mkdir(parents=True)
    config = Config()
    config.CourseDirectory.root = str(tmp_path / "course")
    config.GradingEngine.memory_cap_gib = 1.0
    stage = SealedExecute(config=config)
    warnings = []
    monkeypatch.setattr(stage.log, "warning", lambda text, *args: warnings.append(text % args))
    nb = new_notebook(cells=[new_code_cell(KERNEL_HOG), new_code_cell("print('after')")])
    resources = {"metadata": {"path": str(folder)},
                 "nbgrader": {"student": "s", "assignment": "a", "notebook": "a"}}
    nb, _ = stage.preprocess(nb, resources)
    printed = ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]
    assert "children left: 0" in printed[0], nb.cells[0].outputs
    assert "after" in printed[1]
    assert any("together held 1." in w for w in warnings), warnings
