"""Rules of the sealed child's runner (graders/kernel/runner.py) on their own: when two runs
of an exercise's cells count as giving the same answer, which threads alive when an exercise
begins cannot put an answer in place (an idle thread pool's workers), and what the fresh run's
unscaled re-run of cells that raised on the scaled products reports."""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from graders.kernel import instrument, runner


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


# --- the fresh run's unscaled re-run (runner._unscaled), with a stand-in for IPython's shell ---
class _Shell:
    """What the runner's cell runs use of the shell: a namespace, a cell run, its error."""

    def __init__(self, user_ns: dict) -> None:
        self.user_ns, self.errors_sent, self.reporting, self.last_error = user_ns, 0, True, None

    def run_cell(self, source, store_history=True):
        try:
            exec(source, self.user_ns)
        except Exception as err:  # noqa: BLE001 - as IPython reports a cell's error
            self.errors_sent += 1
            self.last_error = (type(err).__name__, str(err))
            return SimpleNamespace(success=False, error_in_exec=err)
        return SimpleNamespace(success=True)

    def emit(self, output) -> None:
        pass

    def _showtraceback(self, etype, evalue, stb) -> None:  # the time limit, between statements
        self.errors_sent += 1
        self.last_error = (etype.__name__, "")


CHECK_BEFORE_ANSWER = (  # corpus 99's exercise 2
    "z = torch.mm(features, weights.view(5, 1))\n"
    "assert torch.allclose(z, torch.sum(features * weights)), 'the product and the sum differ'\n"
    "y = activation(z + bias)\n")


def _exercise_2(cell: str, until=None):
    """Exercise 2's cell run as the fresh run runs it (weights scaled in every matrix product),
    then the runner's unscaled re-run: (the shell, the re-run's report, the trace)."""
    import torch

    gen = torch.Generator().manual_seed(11)
    values = {"features": torch.randn(1, 5, generator=gen).tolist(),
              "weights": torch.randn(1, 5, generator=gen).tolist(),
              "bias": torch.randn(1, 1, generator=gen).tolist()}
    inject = {n: {"kind": "tensor", "dtype": "float32", "values": v} for n, v in values.items()}
    ns = {"torch": torch, "activation": lambda x: 1 / (1 + torch.exp(-x))}
    instrument.inject(ns, inject)
    shell, trace = _Shell(ns), instrument.Trace()
    for name in inject:
        trace.label(name, ns[name])
    trace.scale, trace.watching = ("weights", -1.5), True
    saved = dict(ns)
    channel = SimpleNamespace(muted=False)
    hooks = SimpleNamespace(restore=lambda: None)
    with trace:
        first = runner._run_cell(shell, cell, 0)
        report = runner._unscaled(shell, trace, hooks, channel, saved, [[7, cell]],
                                  ["y", "weights"], ["y"], inject, 0, {}, ["weights"],
                                  until=until)
    return shell, first, report, trace, values


def test_a_check_that_stops_the_scaled_run_leaves_the_answers_of_the_unscaled_one():
    shell, first, report, trace, values = _exercise_2(CHECK_BEFORE_ANSWER)
    assert first == ("AssertionError", "the product and the sum differ")
    total = sum(f * w for f, w in zip(values["features"][0], values["weights"][0], strict=True))
    want = 1 / (1 + math.exp(-(total + values["bias"][0][0])))
    y = report["names"]["y"]
    assert y["shape"] == [1, 1] and abs(y["values"][0][0] - want) < 1e-6
    assert report["repeat"] == {"y": True}
    # the scaled run's namespace and factor are put back: y was never assigned there
    assert "y" not in shell.user_ns and trace.scale == ("weights", -1.5)
    assert shell.reporting is True


def test_cells_that_raise_without_the_scaling_report_nothing():
    for cell in ("y = torch.mm(features, weights)\n",  # the shape error, on any inputs
                 "import time\ntime.sleep(0.5)\n" + CHECK_BEFORE_ANSWER):  # no time left
        signal.signal(signal.SIGALRM, runner._on_timeout)
        try:
            shell, first, report, trace, _ = _exercise_2(cell, until=time.monotonic())
        finally:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        assert first is not None and report is None
        assert "y" not in shell.user_ns and trace.scale == ("weights", -1.5)


def test_a_cell_stops_by_the_time_given_to_the_extra_runs():
    assert runner._left(30, None) == 30 and runner._left(0, None) == 0
    assert 1.9 < runner._left(30, time.monotonic() + 2) <= 2
    assert runner._left(30, time.monotonic() - 1) == 0.001
    assert 4.9 < runner._left(0, time.monotonic() + 5) <= 5


COMPILE = """
import os, sys
os.environ["TORCHDYNAMO_DISABLE"] = "1"  # as the runner's child sets it
import torch
from graders.kernel import runner
assert "torch._dynamo" not in sys.modules
def f(x):
    return x * 2
module = torch.nn.Linear(2, 2)
assert torch.compile(f, backend="eager") is f and torch.compile(module) is module
assert torch.compile(backend="eager", fullgraph=True)(f) is f
try:
    torch.compile(f, backnd="eager")
except TypeError:
    pass
else:
    raise AssertionError("a misspelt argument passed")
try:
    torch.compile()(None)
except RuntimeError:
    pass
else:
    raise AssertionError("a None model passed")
from torch.utils.flop_counter import FlopCounterMode  # its __torch_dispatch__: _disable_dynamo
with FlopCounterMode(display=False) as flops:
    torch.mm(torch.ones(1, 5), torch.ones(5, 1))
assert flops.get_total_flops() == 10, flops.get_total_flops()
assert "torch._dynamo" not in sys.modules, "TorchDynamo imported"
print("ok")
"""


def test_torch_compile_in_the_graders_runs_hands_back_the_model_without_importing_dynamo():
    """With TorchDynamo off (the grader's runs), torch.compile hands back what it is given; the
    runner's stand-in does it without torch's 1.2 s of imports, and checks the arguments alike.
    A dispatch mode's wrapped ``__torch_dispatch__`` runs without importing TorchDynamo too."""
    import subprocess

    proc = subprocess.run([sys.executable, "-c", COMPILE], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr
