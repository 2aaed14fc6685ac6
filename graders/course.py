"""Course: what the grader knows about a course folder, in one place.

Its configuration (``nbgrader_config.py``, read as nbgrader reads it), its folders (nbgrader's
``CourseDirectory``), the rule that grades a renamed notebook (``tensors (1).ipynb``), the limits
a submission's process runs under (``c.GradingEngine.*``) and the seeded answers' file
(``c.VerifyAnswers.reference_file``). The engine, the stages and the report read these here, so
they cannot drift apart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from .checks.run_plan import REFERENCE_FILE
from .engine.sandbox import Limits
from .engine.settings import GradingEngine

CONFIG_FILE = "nbgrader_config.py"


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
