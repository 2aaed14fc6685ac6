"""Runs: the sealed runs of one notebook, for the engine and for stock ``nbgrader autograde``.

Builds the jobs the pool runs for a notebook (the notebook itself, and the grader's re-runs
planned by :mod:`graders.checks.run_plan`), each in a scratch folder of its own holding the
submission's other files and the assignment's own files (as nbgrader's autograde copies them),
and makes a :class:`~graders.engine.pool.KernelPool` from the course's settings. The engine
(:mod:`graders.autograde`) runs these jobs alongside each other; the ``VerifyAnswers`` stage,
when stock ``nbgrader autograde`` runs it, uses :class:`ProbeRunner` to run the re-runs itself.

Leans on nbgrader's ``utils`` for the files its autograde copies; written by hand: the jobs and
their folders.
"""

from __future__ import annotations

import atexit
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from nbgrader import utils

from .. import course
from ..checks.run_plan import ProbePlan
from .jobs import Job, JobResult
from .pool import KernelPool, local_pool
from .pools import Pool
from .scratch import remove_tree

PROBES = ("seeded", "fresh")


def make_pool(root: Path, config, timeout: float, workers: int | None = None,
              sandbox: bool | None = None, memory_cap_gib: float | None = None,
              slot_offset: int | None = None, scheduler=None, **dask_options) -> Pool:
    """The pool the sealed runs go to, configured from ``c.GradingEngine`` (flags given here
    win): a local :class:`KernelPool`, or with ``scheduler`` (a Dask scheduler's address, a
    ``distributed.Client`` or a Dask cluster object; pass ``GradingEngine(config=config)
    .scheduler`` to follow the course's setting) a :class:`~graders.engine.dask_pool.DaskPool`
    with the same interface, whose workers each make the same local pool from the same
    settings (``dask_options`` go to it). Dask is imported only then."""
    settings = pool_settings(config, timeout, sandbox, memory_cap_gib)
    if scheduler is not None and not (isinstance(scheduler, str) and not scheduler):
        from .dask_pool import DaskPool

        return DaskPool(scheduler, str(root), settings, **dask_options)
    return local_pool(str(root), settings, workers, slot_offset)


def pool_settings(config, timeout: float, sandbox: bool | None = None,
                  memory_cap_gib: float | None = None) -> dict:
    """The course's pool settings as plain data (what a Dask worker receives)."""
    settings = course.settings(config)
    limits = course.limits(settings, memory_cap_gib)
    memory = limits.memory_cap
    return {"timeout": timeout, "grace": settings.kill_grace,
            "max_restarts": settings.max_restarts, "traceback_mode": settings.traceback_mode,
            "sandbox": bool(settings.sandbox if sandbox is None else sandbox),
            "limits": asdict(limits), "uid_base": settings.sandbox_uid_base,
            "memory_cap": memory, "max_stream_bytes": int(settings.max_output_mib * 2**20),
            "max_disk_bytes": settings.max_disk_mib * 2**20,
            "max_entries": settings.max_entries}


def copy_files(files: dict[str, bytes], into: Path) -> None:
    """Write ``files`` (relative path -> content) under ``into``."""
    for name, data in files.items():
        dest = into / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


def assignment_files(coursedir, converter, student: str, assignment: str) -> dict[str, bytes]:
    """Like nbgrader's autograde: the student's other files, then the source's (these win),
    never notebooks; as relative path -> content. Mirrors nbgrader 0.9.6
    ``Autograde.init_assignment``'s copy."""
    ignore = coursedir.ignore + ["*.ipynb"]
    submitted = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    source = coursedir.format_path(coursedir.source_directory, ".", assignment)
    keep = {os.path.join(source, x)
            for x in getattr(converter, "exclude_overwriting", {}).get(assignment, [])}
    out: dict[str, bytes] = {}
    for root, names in (
            (submitted, utils.find_all_files(submitted, ignore) if os.path.isdir(submitted)
             else []),
            (source, sorted(set(utils.find_all_files(source, ignore)) - keep)
             if os.path.isdir(source) else [])):
        for name in names:
            with open(name, "rb") as fh:
                out[os.path.relpath(name, root)] = fh.read()
    return out


def probe_jobs(key: str, plan: ProbePlan, files: dict[str, bytes], names=PROBES
               ) -> tuple[list[Job], list[Path]]:
    """The re-runs ``names`` of a notebook (both by default; the engine, whose run of the
    notebook is the seeded one, asks for "fresh" only), each in a new scratch folder with the
    assignment's files."""
    jobs, folders = [], []
    for name in names:
        folder = Path(tempfile.mkdtemp(prefix="graders-probe-"))
        copy_files(files, folder)
        folders.append(folder)
        jobs.append(Job(f"{key}#{name}", getattr(plan, name), str(folder), trace=True))
    return jobs, folders


class ProbeRunner:
    """Runs probes for the ``VerifyAnswers`` stage under stock ``nbgrader autograde``: one pool
    for the whole nbgrader process, its template started on first use."""

    _pool: KernelPool | None = None

    @classmethod
    def run(cls, root: Path, config, timeout: float, key: str, plan: ProbePlan,
            files) -> dict[str, JobResult]:
        if cls._pool is None:
            cls._pool = make_pool(root, config, timeout, workers=2)
            atexit.register(cls._pool.close)
        jobs, folders = probe_jobs(key, plan, files)
        try:
            return {r.key.rsplit("#", 1)[1]: r for r in cls._pool.run(jobs)}
        finally:
            for folder in folders:
                remove_tree(folder)
