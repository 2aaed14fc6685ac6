"""What the template does before its first fork to make each sealed run cheaper
(:mod:`graders.kernel.template`) must not show in the runs: a child's first cell finds a shell
no cell ran in. And what the speed work measures must be there: each child's CPU and page faults
reported with its exit, and the template's memory on huge pages where the kernel offers them.
Real template, real sealed children."""

from __future__ import annotations

import os
import tempfile

import pytest
from traitlets.config import Config

from graders.engine.pool import Job, local_pool
from graders.engine.runs import pool_settings
from graders.protocol import Cell

FIRST = ("print(len(In), repr(_), 'torch' in globals(), 'x' in globals())\n"
         "import linecache\n"
         "print(sum(k.startswith('<ipython-input') for k in linecache.cache))\n")


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    pool = local_pool(str(course), pool_settings(Config(), timeout=60), workers=2)
    exited: list[dict] = []
    messages = pool.template.messages

    def recording():
        out = messages()
        if out:
            exited.extend(m for m in out if "exited" in m)
        return out

    pool.template.messages = recording
    pool.exited = exited
    pool.warm_up()
    yield pool
    pool.close()


def _stdout(result, index=0) -> str:
    return "".join(o.get("text", "") for o in result.outputs.get(index, [])
                   if o.get("name") == "stdout")


def test_a_childs_first_cell_finds_a_shell_no_cell_ran_in(pool):
    job = Job("first", [Cell(0, FIRST, True)], tempfile.mkdtemp(prefix="graders-test-"))
    (result,) = pool.run([job])
    # (the one cell in linecache is this one)
    assert _stdout(result) == "2 '' False False\n1\n", result.outputs
    assert result.execution_counts == {0: 1}


def test_each_child_reports_its_cpu_and_page_faults_when_it_exits(pool):
    pool.exited.clear()
    jobs = [Job(f"n{i}", [Cell(0, "pass", True)], tempfile.mkdtemp(prefix="graders-test-"))
            for i in range(2)]
    assert len(list(pool.run(jobs))) == 2
    assert len(pool.exited) == 2, pool.exited
    for message in pool.exited:
        user, system = message["cpu"]
        minor, major = message["faults"]
        assert user >= 0 and system >= 0 and user + system > 0, message
        assert minor > 0 and major >= 0, message


def _huge_pages_offered() -> bool:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as fh:
            if "[never]" in fh.read():
                return False
    except OSError:
        return False
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (6, 1)  # MADV_COLLAPSE


@pytest.mark.skipif(not _huge_pages_offered(), reason="no transparent huge pages here")
def test_the_templates_memory_is_on_huge_pages(pool):
    list(pool.run([Job("w", [], tempfile.mkdtemp(prefix="graders-test-"))]))
    with open(f"/proc/{pool.template.process.pid}/smaps_rollup") as fh:
        fields = dict(line.split(":", 1) for line in fh if ":" in line)
    huge = int(fields["AnonHugePages"].split()[0]) * 1024
    anonymous = int(fields["Anonymous"].split()[0]) * 1024
    # (a kernel short of free 2 MiB blocks moves less: a third is the floor asked)
    assert huge >= anonymous // 3, (huge, anonymous)
