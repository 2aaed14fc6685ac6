"""Progress: what the instructor sees while a batch runs and when it ends.

A progress bar with an ETA on a terminal (one line redrawn in place), or a line every few seconds
when the output is a log or a pipe (jupyter/nbgrader#1456 asks for this in nbgrader); then a
summary: the students with a problem and its reason, the counts graded, skipped and failed, wall
time and submissions per second.
Hand-written: a dozen lines do not justify a dependency such as tqdm.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int = 0, stream=None, interval: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.done, self.interval = total, 0, interval
        self.started = self.last_line = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def start(self, total: int) -> None:
        self.total, self.done = total, 0
        self.started = self.last_line = time.monotonic()
        self._draw("", force=True)

    def advance(self, student: str) -> None:
        self.done += 1
        self._draw(student, force=self.done == self.total)

    def _draw(self, student: str, force: bool = False) -> None:
        now = time.monotonic()
        elapsed = now - self.started
        if self.total == 0:
            return
        if not self.tty and not force and now - self.last_line < self.interval:
            return
        self.last_line = now
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        eta_text = f"ETA {eta:4.0f} s" if eta is not None else "ETA    ? s"
        line = (f"[{bar}] {self.done}/{self.total}  {elapsed:5.1f} s  {eta_text}  "
                f"{rate:5.1f}/s  {student}")
        if self.tty:
            end = "\n" if self.done == self.total else ""
            self.stream.write("\r" + line.ljust(100)[:100] + end)
        else:
            self.stream.write(line.rstrip() + "\n")
        self.stream.flush()


def summary(report) -> str:
    """The report printed at the end of a batch (a :class:`graders.autograde.RunReport`):
    first what the sandbox could not do on this machine, then every student with a problem or a
    note (failed, flagged, tampering, renamed notebook...), the review list (code worth a look,
    no points taken), then the counts, wall time and throughput."""
    outcomes, wall = report.outcomes, report.wall
    lines = []
    if report.sandbox:
        lines.append("WARNING: submissions ran with a partial sandbox on this machine:")
        lines += [f"  - {item}" for item in report.sandbox]
        lines.append("  (c.GradingEngine.require_sandbox = True refuses to grade instead)")
        lines.append("")
    if getattr(report, "repaired", None):
        lines.append("WARNING: the gradebook held objects nbgrader does not make, removed "
                     "before grading: " + ", ".join(report.repaired))
        lines.append("")
    graded = [o for o in outcomes.values() if o.status == "graded"]
    skipped = [o for o in outcomes.values() if o.status == "skipped"]
    failed = [o for o in outcomes.values() if o.status == "failed"]
    noted = sorted((o for o in outcomes.values() if o.status == "failed"
                    or (o.status == "graded" and o.notes)), key=lambda o: o.student)
    if noted:  # a list under a heading: the score table that ends `make grade` is the table
        lines.append(f"Problems and notes ({len(noted)} of {len(outcomes)} submissions; "
                     "`graders report` lists them under Flagged):")
        for o in noted:
            score = f", {o.score:g} / {o.max_score:g}" if o.score is not None else ""
            lines.append(f"{o.student}: {o.status}{score}: {'; '.join(o.notes) or '-'}")
        lines.append("")
    reviewed = sorted((o for o in outcomes.values() if o.review), key=lambda o: o.student)
    if reviewed:
        lines.append("Review list: code worth a look (no points were taken for it):")
        for o in reviewed:
            lines.append(f"  {o.student}:")
            lines += [f"    {hit}" for hit in o.review[:5]]
            if len(o.review) > 5:
                lines.append(f"    ... and {len(o.review) - 5} more (see the gradebook)")
        lines.append("")
    from .sandbox import CAPS  # what the sandbox check of this process found enforced

    if CAPS:
        lines.append("caps the kernel enforces: " + "; ".join(CAPS))
    setup = [ms for o in outcomes.values() for ms in getattr(o, "sandbox_ms", [])]
    if setup:
        lines.append(f"sandbox set-up: {sum(setup) / len(setup):.2f} ms of CPU per sealed "
                     f"process on average ({len(setup)} processes, max {max(setup):.2f} ms)")
    lines += getattr(report, "engine", None) or []
    rate = len(graded) / wall if wall > 0 else 0.0
    lines.append(f"graded {len(graded)}, skipped {len(skipped)} (already graded; --force "
                 f"regrades), failed {len(failed)}; wall time {wall:.1f} s, "
                 f"{rate:.2f} submissions/s")
    return "\n".join(lines)
