"""Course: what the grader knows about a course folder, in one place.

Its configuration (``nbgrader_config.py``, read as nbgrader reads it), the engine's settings in
it (:class:`GradingEngine`, ``c.GradingEngine.*``), its folders (nbgrader's ``CourseDirectory``),
the rule that grades a renamed notebook (``tensors (1).ipynb``), the :class:`Limits` a
submission's process runs under and the seeded answers' file (``c.VerifyAnswers.reference_file``).
The engine, the stages and the report read these here, so they cannot drift apart. It sits below
the engine: it imports nothing of it.

Leans on traitlets (the settings, read as nbgrader reads its configuration) and nbgrader's
``CourseDirectory``; written by hand: the renamed-notebook rule, the limits and the engine's
settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from traitlets import Bool, Enum, Float, Integer, Unicode
from traitlets.config import LoggingConfigurable

from .checks.run_plan import REFERENCE_FILE

CONFIG_FILE = "nbgrader_config.py"


class GradingEngine(LoggingConfigurable):
    workers = Integer(0, help="Grading processes; 0 means one per core. Each keeps one "
                              "notebook or two running, each as two sealed children (its run "
                              "and its re-run): about two children per core run at "
                              "once.").tag(config=True)
    memory_cap_gib = Float(4.0, help="Memory one submission's process may allocate (GiB) "
                                     "before its allocations fail with MemoryError; where the "
                                     "grader may make a memory cgroup, every page a run holds "
                                     "(memory files, tmpfs, shared memory) counts, and a run "
                                     "over it is stopped in its cell.").tag(config=True)
    kill_grace = Float(5.0, help="Seconds past the cell timeout (and the up to 5 s a cell's "
                                 "end waits for its output to be forwarded) before a cell "
                                 "that ignores the interrupt is killed.").tag(config=True)
    max_restarts = Integer(3, help="Kernel deaths per notebook before the grader stops "
                                   "restarting it.").tag(config=True)
    traceback_mode = Enum(
        ["Plain", "Context", "Verbose", "Minimal"], "Plain",
        help="IPython traceback style in autograded notebooks. 'Context' is ipykernel's (what "
             "nbgrader autograde shows) but costs about ten times as much per failing cell; "
             "grades and the students' feedback (which keeps only the error message) are the "
             "same either way.").tag(config=True)
    sandbox = Bool(True, help="Seal each submission's process (Landlock, seccomp, namespaces, "
                              "limits). Turn off only to debug (--no-sandbox).").tag(config=True)
    require_sandbox = Bool(False, help="Refuse to grade when the kernel lacks a part of the "
                                       "sandbox (instead of grading and saying so at the top "
                                       "of the summary).").tag(config=True)
    max_processes = Integer(64, help="Processes and threads one submission may run at once "
                                     "(a fork bomb fails in its cell).").tag(config=True)
    max_file_mib = Integer(256, help="Largest file a submission may write (MiB).").tag(
        config=True)
    max_open_files = Integer(256, help="Files a submission may have open at once.").tag(
        config=True)
    max_disk_mib = Integer(512, help="Disk space one submission's run may fill in its scratch "
                                     "and temporary folders (MiB): the size of its private "
                                     "tmpfs, so writing more fails in the cell (ENOSPC); "
                                     "without user namespaces, the run is stopped and what it "
                                     "wrote is removed.").tag(config=True)
    max_entries = Integer(10_000, help="Files and folders one submission's run may make in its "
                                       "scratch and temporary folders (a private tmpfs's "
                                       "nr_inodes); beyond it creating more fails in the cell "
                                       "(ENOSPC).").tag(config=True)
    max_output_mib = Float(1.0, help="Output kept per stream (stdout, stderr) and cell (MiB); "
                                     "the rest is dropped with a note.").tag(config=True)
    sandbox_uid_base = Integer(4_000_000, help="When the grader runs as root, each concurrent "
                                               "submission runs as its own unprivileged uid "
                                               "from this base upwards.").tag(config=True)
    scheduler = Unicode("", help="Address of a Dask scheduler (tcp://host:8786): the sealed runs "
                                 "go to its workers (graders/engine/dask_pool.py; needs the "
                                 "'dask' extra); the gradebook and all writing stay here. Empty: "
                                 "everything runs on this machine (--scheduler).").tag(config=True)


@dataclass
class Limits:
    """What one submission's process may use (see :func:`limits`)."""

    max_processes: int = 64
    max_file_bytes: int = 256 * 2**20
    max_open_files: int = 256
    memory_cap: int = 4 * 2**30


def load_config(root: str | os.PathLike):
    """nbgrader's configuration as nbgrader loads it: Jupyter's config folders, then the course's
    (a folder met twice, by another spelling of its path, is read once, where it first comes)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    folders = {}
    for folder in [*reversed(jupyter_config_path()), str(root)]:
        folders.setdefault(os.path.realpath(folder), folder)
    for folder in folders.values():
        if os.path.isfile(os.path.join(folder, CONFIG_FILE)):
            config.merge(PyFileConfigLoader(CONFIG_FILE, path=folder).load_config())
    return config


def course_directory(root: str | os.PathLike, config=None, db: str | None = None):
    """nbgrader's ``CourseDirectory`` of the course at ``root``: its configured root, or ``root``
    when the configuration names none (or names the current folder, nbgrader's default)."""
    from nbgrader.coursedir import CourseDirectory

    root = Path(root).resolve()
    coursedir = CourseDirectory(config=load_config(root) if config is None else config)
    if not coursedir.root or Path(coursedir.root).resolve() == Path.cwd().resolve():
        coursedir.root = str(root)
    if db:
        coursedir.db_url = db if "://" in db else f"sqlite:///{Path(db).resolve()}"
    return coursedir


def stage_course(stage) -> tuple[Path, object, object]:
    """The course folder, its ``CourseDirectory`` and the converter running ``stage`` (nbgrader
    makes a stage a child of its exporter, the engine a child of the converter itself)."""
    from nbgrader.coursedir import CourseDirectory

    converter = stage.parent
    if not hasattr(converter, "coursedir"):
        converter = getattr(converter, "parent", None)
    coursedir = getattr(converter, "coursedir", None) or CourseDirectory(config=stage.config)
    return Path(coursedir.root), coursedir, converter


def renamed_notebook(notebook: str, submitted: Iterable[str], known: Iterable[str]) -> str | None:
    """The file graded as ``<notebook>.ipynb`` when the student handed it in under another name:
    the one submitted notebook whose name starts with ``notebook`` (case aside) and is no other
    notebook of the assignment's (``tensors (1).ipynb``, ``Tensors-copy.ipynb``); None when there
    is none or more than one."""
    stem = notebook.lower()
    others = {f"{name}.ipynb" for name in known}
    candidates = [name for name in submitted
                  if name.lower().startswith(stem) and name not in others]
    return candidates[0] if len(candidates) == 1 else None


def settings(config) -> GradingEngine:
    """The engine's settings of the course (``c.GradingEngine.*``)."""
    return GradingEngine(config=config)


def limits(engine: GradingEngine, memory_cap_gib: float | None = None) -> Limits:
    """What one submission's process may use, from the course's settings (``memory_cap_gib``:
    the command line's, when given)."""
    return Limits(max_processes=engine.max_processes,
                  max_file_bytes=engine.max_file_mib * 2**20,
                  max_open_files=engine.max_open_files,
                  memory_cap=int((memory_cap_gib or engine.memory_cap_gib) * 2**30))


def reference_file(config) -> Path:
    """The seeded answers' file: ``c.VerifyAnswers.reference_file``, else the package's."""
    configured = config.get("VerifyAnswers", {}).get("reference_file") if config else None
    return Path(configured) if configured else REFERENCE_FILE


def load_reference(path: str | os.PathLike = REFERENCE_FILE) -> dict:
    """The seeded answers (written by ``graders reference``): exercise -> name -> matrix."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
