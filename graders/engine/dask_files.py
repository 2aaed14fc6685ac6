"""Dask files: how a job's folder and a run's results cross between a Dask client and a worker
(plain data: relative paths and bytes, never links; checked relative paths only).

Standard library only; written by hand, as Dask moves values, not folders.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable
from pathlib import Path

from .run_folder import KEEP_ENTRIES
from .scratch import scan

#: Bytes of files one run may send back to the client (what a notebook wrote in its folder).
MAX_RETURN_BYTES = 64 * 2**20


def pack(data) -> bytes:
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(blob: bytes):
    """Data :func:`pack` ed by this package's own client or worker (never by a submission:
    a sealed child's reports are parsed by the pool and arrive here as plain data)."""
    return pickle.loads(blob)  # noqa: S301 - from our own client or worker, as Dask's own


def read_files(folder: str) -> tuple[dict[str, bytes], list[str]]:
    """The regular files under ``folder`` (relative path -> bytes) and its sub-folders, within
    :func:`graders.engine.scratch.scan`'s bounds (the pool keeps no more than that there)."""
    found = scan(folder, max_entries=4 * KEEP_ENTRIES)
    files = {}
    for relative in found.files:
        try:
            fd = os.open(os.path.join(folder, relative), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as fh:
            files[relative] = fh.read()
    return files, sorted(f for f in found.folders if f not in found.too_deep)


def safe(folder: Path, relative: str) -> Path:
    """``folder / relative`` when ``relative`` is a plain relative path none of whose folders is
    a link (a write must never land outside ``folder``); ValueError otherwise."""
    parts = Path(relative).parts
    if (not parts or Path(relative).is_absolute() or "\0" in relative
            or any(p in ("", ".", "..") for p in parts)):
        raise ValueError(f"not a relative path: {relative!r}")
    path = folder
    for part in parts[:-1]:
        path = path / part
        if path.is_symlink():
            raise ValueError(f"{relative!r} goes through a link ({path.name})")
    return folder.joinpath(*parts)


def write_files(folder: Path, files: dict[str, bytes], folders: Iterable[str]) -> list[str]:
    """Write ``files`` under ``folder`` as new regular files, never through a link; returns
    the paths that could not be written."""
    failed = []
    for relative in folders:
        try:
            path = safe(folder, relative)
            if not path.is_symlink():
                path.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError):
            failed.append(relative)
    for relative, data in files.items():
        try:
            path = safe(folder, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                raise ValueError(f"{relative} is not a regular file here")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except (OSError, ValueError):
            failed.append(relative)
    return failed


def changes(folder: Path, sent: dict[str, bytes], sent_folders: list[str]):
    """What a run changed in its folder: files created or changed (path -> bytes, up to
    :data:`MAX_RETURN_BYTES`), folders created, files deleted, and files left out."""
    now, folders = read_files(str(folder))
    back, left_out, size = {}, [], 0
    for relative in sorted(now):
        data = now[relative]
        if sent.get(relative) == data:
            continue
        if size + len(data) > MAX_RETURN_BYTES:
            left_out.append(relative)
            continue
        size += len(data)
        back[relative] = data
    made = sorted(set(folders) - set(sent_folders))
    removed = sorted(set(sent) - set(now))
    return back, made, removed, left_out


def apply_changes(folder: Path, payload: dict) -> list[str]:
    """Bring what a run changed in the worker's folder into the job's folder here."""
    problems = write_files(folder, payload["files"], payload["folders"])
    for relative in payload["removed"]:
        try:
            path = safe(folder, relative)
            if path.is_file() and not path.is_symlink():
                path.unlink()
        except (OSError, ValueError):
            problems.append(relative)
    return problems
