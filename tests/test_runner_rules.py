"""Two rules of the sealed child's runner (graders/kernel/runner.py) on their own: when two runs
of an exercise's cells count as giving the same answer, and which threads alive when an
exercise begins cannot put an answer in place (an idle thread pool's workers)."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from graders.kernel import runner


def test_answers_that_differ_by_rounding_are_the_same_answer():
    assert runner._same([[0.15954681]], [[0.15954681 + 3e-8]])  # a sum in another order
    assert not runner._same([[0.1595]], [[0.1595 + 2e-3]])  # noise added to typed-in values
    assert not runner._same([[0.5, 0.2]], [[0.5]])
    assert runner._same(None, None) and not runner._same([[1.0]], None)


def _frames(threads):
    """The current frames of ``threads`` (the test process has threads of its own: pytest-xdist's,
    other tests' pools)."""
    frames = sys._current_frames()
    return {t.ident: frames[t.ident] for t in threads}


def test_an_idle_pool_worker_is_harmless_and_a_busy_one_or_a_thread_is_not():
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        assert list(pool.map(abs, [-1, -2])) == [1, 2]
        time.sleep(0.05)
        idle = _frames(pool._threads)
        assert idle and all(runner._idle_pool_worker(i, f) for i, f in idle.items())

        def task():  # a task of the student's: a frame of its own while it runs
            time.sleep(0.5)

        pool.submit(task)
        time.sleep(0.05)
        assert not all(runner._idle_pool_worker(i, f)
                       for i, f in _frames(pool._threads).items())
    finally:
        pool.shutdown(wait=True)
    thread = threading.Thread(target=time.sleep, args=(0.3,))
    thread.start()
    try:
        assert not runner._idle_pool_worker(thread.ident, _frames([thread])[thread.ident])
    finally:
        thread.join()
