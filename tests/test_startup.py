"""A batch's fixed start-up (:mod:`graders.engine.template_control`, ``graders autograde``).

One template serves every grading process of a batch: it is started first (:func:`start_shared`)
and each pool attaches to it over a socket pair of its own, so that the runs of two pools go to
the one template and each pool hears only of its own children; a pool whose shared template
dies starts one of its own and its job still runs. The command reads the course's
configuration (which imports nbgrader) only after its jsonschema trim is in place. Real
template, real sealed children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

import pytest
from traitlets.config import Config

from graders.engine import template_control
from graders.engine.pool import Job, local_pool
from graders.engine.runs import pool_settings
from graders.protocol import Cell

PRINT_PARENT = "import os\nprint('parent', os.getppid())\n"


@pytest.fixture
def shared(tmp_path):
    template_control.start_shared()
    yield tmp_path
    template_control.stop_shared(kill=True)


def _pool(course):
    return local_pool(str(course), pool_settings(Config(), timeout=60), workers=2)


def _stdout(result) -> str:
    return "".join(out.get("text", "") for out in result.outputs.get(0, [])
                   if out.get("name") == "stdout")


def _run(pool, key: str, source: str = PRINT_PARENT):
    folder = tempfile.mkdtemp(prefix="graders-test-")
    [result] = list(pool.run([Job(key, [Cell(0, source, True)], folder)]))
    return result


def test_two_pools_run_their_jobs_in_the_one_shared_template(shared):
    pools = [_pool(shared), _pool(shared)]
    try:
        results = [_run(pool, f"job{i}") for i, pool in enumerate(pools)]
        for pool in pools:
            assert pool.template.attached and pool.template.process is None
        template_pid = template_control._shared["process"].pid
        # Each job ran in a child of the shared template (the sandbox's namespaces may hide the
        # parent's pid from the child: then it reads 0), and each pool got its own result.
        for i, result in enumerate(results):
            text = _stdout(result)
            assert text.startswith("parent"), result.outputs
            assert int(text.split()[1]) in (template_pid, 0), text
            assert result.key == f"job{i}"
    finally:
        for pool in pools:
            pool.close()
    assert template_control._shared["process"].poll() is None  # still serving the batch


def test_a_pool_whose_shared_template_dies_starts_its_own(shared):
    pool = _pool(shared)
    try:
        assert _stdout(_run(pool, "before")).startswith("parent")
        os.kill(template_control._shared["process"].pid, signal.SIGKILL)
        template_control._shared["process"].wait()
        result = _run(pool, "after")
        assert _stdout(result).startswith("parent"), result.outputs
        assert not pool.template.attached and pool.template.process is not None
        assert pool.template.restarts == 1
    finally:
        pool.close()


def test_the_command_imports_nbformat_without_rfc3987_syntax(tmp_path):
    # as this course's does (it imports nbgrader), before the command imports anything itself
    (tmp_path / "nbgrader_config.py").write_text("import nbformat\n")
    code = ("import sys\nfrom graders.engine import template_control\n"
            "template_control.start_shared = lambda: None\n"
            "from graders.apps import main\n"
            f"main(['autograde', '--root', {str(tmp_path)!r}])\n"
            "assert 'nbformat' in sys.modules, 'the command never reached its imports'\n"
            "print('rfc3987_syntax', sys.modules.get('rfc3987_syntax', 'absent'))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] in ("rfc3987_syntax None", "rfc3987_syntax absent")


def test_a_pool_takes_jobs_ahead_while_its_template_warms_up(tmp_path):
    pool = _pool(tmp_path)  # its own template, started by run: not ready for a while
    seen = []

    def feed():
        for i in range(3):
            seen.append(pool.template.ready)  # ready yet when this job was made?
            yield Job(f"job{i}", [Cell(0, PRINT_PARENT, True)],
                      tempfile.mkdtemp(prefix="graders-test-"))

    try:
        results = {r.key: r for r in pool.run(feed())}
    finally:
        pool.close()
    assert sorted(results) == ["job0", "job1", "job2"]
    assert all(_stdout(r).startswith("parent") for r in results.values())
    assert seen == [False, False, False]  # all three made before the template was ready
