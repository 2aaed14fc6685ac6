"""GuardGradebook: undo what a submission did to the gradebook (an nbgrader stage).

Under stock ``nbgrader autograde`` the student's notebook runs in an ordinary kernel, with the
grader's rights: it can open ``gradebook.db`` and add a trigger that rewrites every score saved
after it, or a view or table of its own. (Under ``graders autograde`` the sandbox keeps the
gradebook out of reach; this stage runs there too, as a second line.) Placed right after
``Execute``, before any score is saved, it compares the SQLite schema with nbgrader's own (its
tables, their automatic indexes and alembic's version table), drops every trigger and view and
every other object, and records a ``tampering`` finding for the notebook that was running, which
``SaveFindings`` turns into a flag and a comment.

Written by hand: nbgrader trusts its database; SQLite's ``sqlite_master`` lists the schema.
Databases other than SQLite are not checked (the kernel would need credentials to reach them).
"""

from __future__ import annotations

import sqlite3

from nbgrader.api import Base
from nbgrader.preprocessors import NbGraderPreprocessor

from ..findings import Finding

EXPECTED_TABLES = set(Base.metadata.tables) | {"alembic_version"}


def foreign_objects(path: str) -> list[tuple[str, str]]:
    """(type, name) of every schema object nbgrader did not make."""
    with sqlite3.connect(path) as db:
        rows = db.execute("select type, name, tbl_name from sqlite_master").fetchall()
    out = []
    for kind, name, table in rows:
        ours = (kind == "table" and name in EXPECTED_TABLES) or (
            kind == "index" and name.startswith("sqlite_autoindex_") and table in EXPECTED_TABLES)
        if not ours:
            out.append((kind, name))
    return out


def remove(path: str, objects: list[tuple[str, str]]) -> None:
    with sqlite3.connect(path) as db:
        for kind, name in objects:
            quoted = '"' + name.replace('"', '""') + '"'
            db.execute(f"drop {kind} if exists {quoted}")


def sqlite_path(db_url: str) -> str | None:
    prefix = "sqlite:///"
    return db_url[len(prefix):] if db_url.startswith(prefix) else None


class GuardGradebook(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        path = sqlite_path(resources["nbgrader"]["db_url"])
        if path is None:
            return nb, resources
        objects = foreign_objects(path)
        if objects:
            remove(path, objects)
            names = ", ".join(f"{kind} {name}" for kind, name in objects)
            resources.setdefault("graders", {}).setdefault("findings", []).append(Finding(
                "tampering", "gradebook", f"the gradebook was changed while this notebook ran "
                                          f"({names}); the grader removed it").to_json())
            self.log.warning("Removed from the gradebook while grading %s: %s",
                             resources["nbgrader"]["student"], names)
        return nb, resources
