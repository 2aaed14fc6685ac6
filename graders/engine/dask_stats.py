"""Dask statistics: where a batch's runs went and what Dask had to redo, merged over the grading
processes and said in the run's summary.

Standard library only.
"""

from __future__ import annotations

from collections import Counter


def merge_stats(parts: list[dict]) -> dict:
    """The :meth:`DaskPool.stats` of several grading processes as one."""
    merged = {"address": "", "runs": Counter(), "lost": set(), "missing": {},
              "resubmitted": 0, "duplicates": 0, "tasks": 0}
    for part in parts:
        merged["address"] = merged["address"] or part["address"]
        merged["runs"].update(part["runs"])
        merged["lost"].update(part["lost"])
        merged["missing"].update(part["missing"])
        merged["resubmitted"] += part["resubmitted"]
        merged["tasks"] += part.get("tasks", 0)
        merged["duplicates"] += part["duplicates"]
    merged["lost"] = sorted(merged["lost"])
    return merged


def report_lines(stats: dict) -> list[str]:
    """Lines for the run's summary: where the runs went, what Dask had to redo."""
    runs = stats["runs"]
    if not runs:
        return []
    tasks = f" in {stats['tasks']} tasks" if stats.get("tasks") else ""
    lines = [f"Dask cluster {stats['address']}: {sum(runs.values())} runs{tasks} on {len(runs)} "
             f"worker(s) (" + ", ".join(f"{w} {n}" for w, n in sorted(runs.items())) + ")"]
    if stats["lost"]:
        lines.append(f"Dask: {len(stats['lost'])} worker(s) left during the batch "
                     f"({', '.join(stats['lost'])}); Dask re-ran their unfinished runs elsewhere")
    if stats["resubmitted"]:
        lines.append(f"Dask: {stats['resubmitted']} run(s) submitted again after an error")
    if stats["duplicates"]:
        lines.append(f"Dask: {stats['duplicates']} duplicate result(s) ignored")
    return lines


def missing_lines(missing: dict[str, list[str]]) -> list[str]:
    """What the sandbox lacks, from each worker's report: one list when all agree."""
    kinds = {tuple(m) for m in missing.values()}
    if len(kinds) == 1:
        return list(next(iter(kinds)))
    return [f"{worker}: {item}" for worker, items in sorted(missing.items()) for item in items]
