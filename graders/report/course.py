"""Where the course's gradebook and folders are, as nbgrader finds them.

The same reading of the course's configuration as :func:`graders.engine.batch.load_config`
(Jupyter's config folders, then the course's ``nbgrader_config.py``); the two are to become one
course module, shared by the engine and the report.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"


def course_directory(root: Path, db: str | None = None):
    """nbgrader's ``CourseDirectory`` of the course at ``root`` (``db``: another gradebook,
    a URL or a path)."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in dict.fromkeys([*reversed(jupyter_config_path()), str(root)]):
        if os.path.isfile(os.path.join(folder, CONFIG_FILE)):
            config.merge(PyFileConfigLoader(CONFIG_FILE, path=folder).load_config())
    coursedir = CourseDirectory(config=config)
    if not coursedir.root or Path(coursedir.root).resolve() == Path.cwd().resolve():
        coursedir.root = str(root.resolve())
    if db:
        coursedir.db_url = db if "://" in db else f"sqlite:///{Path(db).resolve()}"
    return coursedir
