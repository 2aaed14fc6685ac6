"""Outcome: what happened to each submission of a batch, and to the batch as a whole.

Plain dataclasses, standard library only: the shards pass them between processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    """What happened to one student's submission in this run."""

    student: str
    status: str = "graded"  # graded | skipped | failed
    score: float | None = None
    max_score: float | None = None
    notes: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sandbox_ms: list[float] = field(default_factory=list)  # set-up CPU time of each child
    zeroed: bool = False  # failed, and its scores were set to 0 (none of an earlier grading)



@dataclass
class RunReport:
    outcomes: dict[str, Outcome]
    wall: float
    sandbox: list[str] = field(default_factory=list)  # mechanisms the kernel lacks
    repaired: list[str] = field(default_factory=list)  # foreign objects removed from the gradebook
    engine: list[str] = field(default_factory=list)  # where the runs went (a Dask cluster)


def short(err: BaseException) -> str:
    """An exception as one line a person can read (never a whole notebook's JSON)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:300]
