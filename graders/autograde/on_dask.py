"""On Dask: a batch whose sealed runs go to a Dask cluster (``--scheduler``), while the grading
processes here prepare, decide and record every notebook as on one machine. Dask is imported
only here, and only then (it is an extra).

Written by hand: the batch's side of it (the same planning, recording and summary as on one
machine); Dask's own work, placement and retries, is in :mod:`graders.engine.dask_pool`.
"""

from __future__ import annotations

import threading
import time

from ..engine.progress import Progress
from .converter import NOTEBOOKS_PER_SHARD, BatchAutograde
from .outcome import Outcome, RunReport
from .sandbox_gate import check_sandbox, refuse_partial_sandbox
from .shards import forked, run_shards


def autograde_on_dask(planner: BatchAutograde, todo: list[str], require_sandbox,
                       progress: Progress, start: float, shards: int) -> RunReport:
    """The batch with its runs on a Dask cluster. The grading processes prepare, decide and
    record every notebook as on one machine (their stage work is what limits a large cluster,
    so there is one per core here too); the workers' threads set how many runs go at once.

    With an address, the grading processes are forked as for the local engine; they share
    one worker plugin (one warm template per worker), registered and the sandbox checked by a
    forked helper first, so that this process holds no Dask connection (no thread) when it
    forks, and removed by this process at the end. A ``Client`` or cluster object cannot cross
    a fork, nor should a process with threads (a cluster running in it) fork: then this process
    grades alone."""
    from ..engine.dask_pool import plugin_name, remove_plugin
    from ..engine.dask_stats import merge_stats, missing_lines
    from ..engine.dask_stats import report_lines as dask_lines

    required = bool(planner.settings.require_sandbox if require_sandbox is None
                    else require_sandbox)
    outcomes = dict(planner.outcomes)

    def report(outcome: Outcome) -> None:
        outcomes[outcome.student] = outcome
        progress.advance(outcome.student)

    if shards == 1 or not isinstance(planner.scheduler, str) or threading.active_count() > 1:
        return _dask_in_process(planner, todo, required, progress, start, outcomes, report)
    name = plugin_name()
    planner.dask_options = {"name": name, "keep_warm": True, "require_sandbox": required,
                            "shards": shards}
    stats = []
    status, checked = forked(_dask_check, planner)
    if status != "ok" or not checked["registered"]:  # nothing started on the cluster
        raise SystemExit(f"{checked if status != 'ok' else checked['error']}. Nothing was "
                         f"graded.")
    try:
        if checked["error"]:
            raise SystemExit(f"{checked['error']}. Nothing was graded.")
        missing = checked["missing"]
        refuse_partial_sandbox(missing, required)
        progress.start(len(todo))
        run_shards(planner, todo, shards, report, stats.append)
    finally:
        remove_plugin(planner.scheduler, name)
    merged = merge_stats(stats)
    if planner.sandbox and merged["missing"]:
        missing = missing_lines(merged["missing"])  # with the workers that joined meanwhile
    return RunReport(outcomes, time.monotonic() - start, missing, planner.gradebook_repaired,
                     dask_lines(merged))


def _dask_check(planner: BatchAutograde) -> dict:
    """In a forked helper: connect, start the shared plugin, check the workers' sandbox."""
    from ..engine.dask_pool import DaskPoolError

    pool = planner.make_pool(1)
    out = {"registered": False, "error": "", "missing": []}
    try:
        pool.warm_up()
        out["registered"] = True
        if not planner.sandbox:
            out["missing"] = ["the sandbox is off (--no-sandbox): submissions run with the "
                              "grader's rights"]
        else:
            out["missing"] = pool.sandbox_check()
    except DaskPoolError as err:
        out["error"] = str(err)
    finally:
        pool.close()
    return out


def _dask_in_process(planner: BatchAutograde, todo, required: bool, progress: Progress,
                     start: float, outcomes, report) -> RunReport:
    from ..engine.dask_pool import DaskPoolError

    planner.dask_options = {**planner.dask_options, "require_sandbox": required}
    pool = planner.make_pool(NOTEBOOKS_PER_SHARD)
    try:
        missing = check_sandbox(planner, required, pool)
        progress.start(len(todo))
        if todo:
            planner.grade(todo, report, pool=pool)
        if planner.sandbox:
            missing = pool.missing_summary()  # with the workers that joined during the batch
        engine = pool.report()
    except DaskPoolError as err:
        raise SystemExit(f"{err}. Every submission finished so far is recorded; run the same "
                         f"command again to grade the rest.") from None
    finally:
        pool.close()
    return RunReport(outcomes, time.monotonic() - start, missing, planner.gradebook_repaired,
                     engine)

