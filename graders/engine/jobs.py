"""Jobs: one sealed run as the grading side asks for it (:class:`Job`), and what came of it
(:class:`JobResult`), the same for the local pool and a Dask cluster's.

Plain dataclasses, standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..protocol import Step


@dataclass
class Job:
    """One run: ``steps`` as the runner takes them (see :mod:`graders.protocol`), in the folder
    ``cwd``; ``trace``: the child watches the exercises' matrix products."""

    key: str
    steps: list[Step]
    cwd: str
    trace: bool = False


@dataclass
class JobResult:
    """What the child reported, cell by cell (outputs, execution counts, errors), what it read
    back (``extracts``: exercise -> plain data), and what went wrong around it (``faults``)."""

    key: str
    outputs: dict[int, list[dict]] = field(default_factory=dict)
    execution_counts: dict[int, int] = field(default_factory=dict)
    extracts: dict[str, dict] = field(default_factory=dict)
    cell_errors: dict[int, list] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    sandbox: dict | None = None
    seconds: float = 0.0
    budgets: dict = field(default_factory=dict, repr=False)  # (cell, stream) -> bytes left
