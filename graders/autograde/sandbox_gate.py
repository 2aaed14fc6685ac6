"""Sandbox gate: what the sandbox lacks on this machine (or on each Dask worker), found before any
submission runs, and the refusal to grade when the course requires all of it.

Standard library only.
"""

from __future__ import annotations

from .converter import BatchAutograde


def check_sandbox(planner: BatchAutograde, require: bool | None, pool=None) -> list[str]:
    """What this kernel (or with a Dask pool, each worker's) cannot do of the sandbox, found
    by sealing a throw-away child before any submission runs; refuses to go on when the
    sandbox is required and incomplete."""
    if not planner.sandbox:
        return ["the sandbox is off (--no-sandbox): submissions run with the grader's rights"]
    missing = (pool or planner.make_pool(1)).sandbox_check()
    refuse_partial_sandbox(missing, planner.settings.require_sandbox if require is None
                           else require)
    return missing


def refuse_partial_sandbox(missing: list[str], required: bool) -> None:
    if missing and required:
        raise SystemExit("The sandbox is required (c.GradingEngine.require_sandbox or "
                         "--require-sandbox) but this kernel lacks: " + "; ".join(missing)
                         + ". Nothing was graded.")

