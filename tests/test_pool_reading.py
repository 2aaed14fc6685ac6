"""How the kernel pool reads what its sealed children send (:mod:`graders.engine.pool`).

A pool with nothing else to do (a Dask worker's, or the local engine's once every notebook is
prepared) must not wake for every small frame a child writes: it waits ``BATCH_WAIT`` after a
look that found only a little output, so a chatty run costs a few looks, not one per frame. What
the child wrote must still arrive whole and in order, and output that floods must still be read
as fast as it comes (no wait after a look that read a lot). Real template, real sealed children.
"""

from __future__ import annotations

import tempfile
import time

import pytest
from traitlets.config import Config

from graders.engine import pool as pool_module
from graders.engine.pool import Job, local_pool
from graders.engine.runs import pool_settings
from graders.protocol import Cell

LINES = 400
# One frame a line, spread over ~0.25 s: a pool that woke for each would look ~400 times.
CHATTY = (f"import sys, time\nfor i in range({LINES}):\n"
          f"    print('line', i, flush=True)\n    time.sleep(0.0005)\n")
# About 24 MiB of output in big writes, as fast as the child can.
FLOOD = "import sys\nfor i in range(400):\n    sys.stdout.write('x' * 65536)\nsys.stdout.flush()\n"


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    settings = pool_settings(Config(), timeout=60)
    settings["max_stream_bytes"] = 64 * 2**20  # keep the flood's output, to time its reading
    pool = local_pool(str(course), settings, workers=2)
    pool.warm_up()
    yield pool
    pool.close()


def _run(pool, source: str, monkeypatch) -> tuple[object, int]:
    looks = []
    real = pool._poll

    def counted(*args):
        looks.append(1)
        return real(*args)

    monkeypatch.setattr(pool, "_poll", counted)
    folder = tempfile.mkdtemp(prefix="graders-test-")
    job = Job("chatty", [Cell(0, source, True)], folder)
    [result] = list(pool.run([job]))
    return result, len(looks)


def _stdout(result) -> str:
    return "".join(out.get("text", "") for out in result.outputs.get(0, [])
                   if out.get("name") == "stdout")


def test_a_chatty_run_is_read_in_a_few_looks_whole_and_in_order(pool, monkeypatch):
    result, looks = _run(pool, CHATTY, monkeypatch)
    assert not result.faults, result.faults
    assert _stdout(result).splitlines() == [f"line {i}" for i in range(LINES)]
    assert looks < LINES / 3, f"the pool looked {looks} times for {LINES} small writes"


def test_without_the_wait_the_same_run_takes_a_look_per_frame(pool, monkeypatch):
    """The measure above can fail: with no wait the pool wakes for (nearly) every write."""
    monkeypatch.setattr(pool_module, "BATCH_WAIT", 0.0)
    result, looks = _run(pool, CHATTY, monkeypatch)
    assert _stdout(result).splitlines() == [f"line {i}" for i in range(LINES)]
    assert looks > LINES / 2, f"only {looks} looks without the wait"


def test_a_flood_is_read_without_waiting(pool, monkeypatch):
    slept = []
    real_sleep = time.sleep
    monkeypatch.setattr(pool_module.time, "sleep",
                        lambda s: (slept.append(s), real_sleep(s))[1])
    result, looks = _run(pool, FLOOD, monkeypatch)
    assert len(_stdout(result)) == 400 * 65536
    # every look that read a pipe's worth went straight on: far fewer waits than looks
    assert len(slept) < looks / 4, f"{len(slept)} waits in {looks} looks"
