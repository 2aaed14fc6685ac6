"""Crash recovery: what the pool does when a child dies before its job is over.

A child that dies (``os._exit``, a segfault, the kill after a cell ignored its timeout, a
protocol error) keeps every cell it finished: the cell it died in gets a ``KernelDied`` error
saying why, and the rest runs in a new child that first replays, silently, the cells before it,
the cell that died replayed as a stand-in that fails at once. After ``max_restarts`` deaths the
remaining cells are marked as not run. A child whose template died is not the submission's
doing: its job starts again from the beginning, at no cost to it.

Standard library only. Written by hand: nbclient raises ``DeadKernelError`` and nbgrader then drops
the whole submission; keeping the finished cells and replaying the rest is this module's.
"""

from __future__ import annotations

import signal
from dataclasses import replace

from ..protocol import Cell, Extract, Step
from .jobs import JobResult

# Seconds a cell's end waits at most for what reached fds 1 and 2 to be forwarded (a writer
# that never stops costs this much per cell); the cell's hard deadline allows for it.
DRAIN_WAIT = 5.0


def after_exit(child, timeout: float, grace: float, max_restarts: int):
    """None when the job of ``child`` (a pool's child that has ended) is over; otherwise what
    to run next: (job, result, steps, deaths, killers)."""
    reader = child.reader
    result = reader.result
    if reader.done and not reader.problem:
        return None
    if child.requeue:
        steps = [(pos, s, False) for pos, s in enumerate(child.job.steps)]
        return child.job, JobResult(child.job.key), steps, child.deaths, set()
    runnable = [pos for pos, step, silent in reader.steps
                if not silent and isinstance(step, Cell | Extract) and pos > reader.last_done]
    if not runnable:
        return None
    died_at = reader.current if reader.current is not None else runnable[0]
    if reader.problem:
        reason = reader.problem
    elif child.timed_out:
        reason = (f"the cell did not stop {grace + DRAIN_WAIT:g} s after its "
                  f"{timeout:g} s timeout and was killed")
    else:
        reason = exit_reason(child.exit_code)
    step = child.job.steps[died_at]
    record_death(result, step, reason)
    result.faults.append(f"{describe(step)}: kernel died ({reason})")
    killers = child.killers | ({died_at} if isinstance(step, Cell) else set())
    stand_ins = {child.job.steps[pos].index: stand_in(child.job.steps[pos], reason).source
                 for pos in killers}
    rest = [(pos, recheck_without(s, stand_ins), False)
            for pos, s in enumerate(child.job.steps) if pos > died_at]
    if not any(isinstance(s, Cell | Extract) for _, s, _ in rest):
        return None
    if child.deaths + 1 > max_restarts:
        for _, s, _ in rest:
            record_death(result, s, f"not run: the kernel died {child.deaths + 1} "
                                    f"times in this notebook, so the grader stopped "
                                    f"restarting it", prefix=False)
        result.faults.append(f"gave up after {child.deaths + 1} kernel deaths")
        return None
    replay = [(pos, stand_in(s, reason) if pos in killers else s, True)
              for pos, s in enumerate(child.job.steps)
              if pos < died_at and not isinstance(s, Extract)]
    for _, step, _ in rest:  # whatever the dead child reported for these is void
        if isinstance(step, Cell):
            for table in (result.outputs, result.execution_counts, result.cell_errors):
                table.pop(step.index, None)
        elif isinstance(step, Extract):
            result.extracts.pop(step.key, None)
    return child.job, result, replay + rest, child.deaths + 1, killers


def record_death(result: JobResult, step: Step, reason: str, prefix: bool = True) -> None:
    text = (f"the kernel died while running this cell ({reason}). Cells after it ran in a "
            f"fresh kernel, which first re-ran the cells before this one." if prefix
            else reason)
    if isinstance(step, Cell):
        if step.report:
            result.outputs[step.index] = [error_output("KernelDied", text)]
        result.cell_errors[step.index] = ["KernelDied", reason]
    elif isinstance(step, Extract):
        result.extracts[step.key] = {"failed": reason}


def error_output(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [f"{ename}: {evalue}"]}


def exit_reason(code: int | None) -> str:
    if code is None:
        return "it stopped responding"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"the process exited with code {code}"


def describe(step: Step) -> str:
    if isinstance(step, Cell):
        return f"cell {step.index}"
    return f"{step.kind} {getattr(step, 'key', '')}"


def stand_in(step: Cell, reason: str) -> Cell:
    """What a cell that killed the kernel becomes when the cells before the next one are
    replayed: code that fails at once, so the grader's re-runs report it instead of dying too."""
    message = f"this cell stopped the kernel when it ran ({reason}), so it was not run again"
    return replace(step, source=f"raise RuntimeError({message!r})")


def recheck_without(step: Step, stand_ins: dict) -> Step:
    """An extract whose recheck re-runs an exercise's cells runs a killer cell's stand-in too
    (the cell that stopped the kernel would stop it again in the middle of the extract)."""
    if not isinstance(step, Extract) or not step.recheck:
        return step
    return replace(step, recheck=[[index, stand_ins.get(index, source)]
                                  for index, source in step.recheck])
