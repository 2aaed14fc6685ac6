"""Scratch folders: look at, copy, tidy and remove what a submission left in a folder, safely.

A submission decides what its working folder holds: a chain of thousands of nested folders,
100,000 empty files, links, FIFOs. Python's ``os.walk`` and ``shutil.rmtree`` recurse once per
level (a 1,500-deep chain raises ``RecursionError`` in the grading process) and have no bound on
time or entries. Everything here is iterative, never follows a link, never builds a path longer
than :data:`MAX_PATH` characters, and stops at a bound (entries, depth, seconds) instead of
running on; each function says what it did not finish.

* :func:`scan`: what a folder holds (files with their sizes, folders, special files, folders too
  deep to enter), up to ``max_entries`` entries and ``max_depth`` levels;
* :func:`remove_tree`: removes a folder of any depth; each folder it meets is first moved up to
  the top (a rename), so no path it uses is more than two levels deep;
* :func:`prune`: removes special files (links, FIFOs, sockets, devices) and folders nested deeper
  than ``max_depth``, so that what stays can be walked by anyone (nbgrader's ``os.walk`` too);
* :func:`chown_tree`, :func:`copy_tree`: the same walk, applied.

Standard library only. Written by hand because ``os.walk``, ``shutil.copytree`` and
``shutil.rmtree`` recurse and have no bounds.
"""

from __future__ import annotations

import itertools
import os
import stat
import time
from collections import deque
from dataclasses import dataclass, field

#: Folders nested deeper than this are not entered: their content is not kept (see prune).
MAX_DEPTH = 64
#: Longest relative path looked at; a deeper one is treated as too deep.
MAX_PATH = 2048
#: Seconds a removal may take before it stops and says what is left.
REMOVE_SECONDS = 120.0
_counter = itertools.count()


@dataclass
class Scan:
    """What :func:`scan` found under a folder (relative paths)."""

    files: dict[str, int] = field(default_factory=dict)  # regular file -> size in bytes
    folders: list[str] = field(default_factory=list)
    special: list[str] = field(default_factory=list)  # links, FIFOs, sockets, devices
    too_deep: list[str] = field(default_factory=list)  # folders not entered (depth or path)
    entries: int = 0  # everything counted, folders included
    disk_bytes: int = 0  # blocks the regular files take
    complete: bool = True  # False when a bound (entries, time) stopped the scan


def scan(root: str, max_entries: int = 1_000_000, max_depth: int = MAX_DEPTH,
         max_seconds: float | None = None) -> Scan:
    """Walk ``root`` iteratively, never following links. Folders at ``max_depth`` are listed in
    ``too_deep`` with their content not entered; past ``max_entries`` entries or
    ``max_seconds`` the scan stops with ``complete`` False."""
    out = Scan()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    queue = deque([("", 0)])  # breadth first: what lies near the top is seen first
    while queue:
        relative, depth = queue.popleft()
        try:
            with os.scandir(os.path.join(root, relative) if relative else root) as entries:
                for entry in entries:
                    out.entries += 1
                    if out.entries > max_entries or (
                            deadline is not None and out.entries % 256 == 0
                            and time.monotonic() > deadline):
                        out.complete = False
                        return out
                    path = f"{relative}/{entry.name}" if relative else entry.name
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        out.folders.append(path)
                        if depth + 1 >= max_depth or len(path) > MAX_PATH:
                            out.too_deep.append(path)
                        else:
                            queue.append((path, depth + 1))
                    elif stat.S_ISREG(info.st_mode):
                        out.files[path] = info.st_size
                        out.disk_bytes += info.st_blocks * 512
                    else:
                        out.special.append(path)
        except OSError:
            continue  # gone, not a folder any more, or unreadable: nothing to count there
    return out


def remove_tree(path: str, max_seconds: float = REMOVE_SECONDS) -> bool:
    """Remove ``path`` (a folder of any depth, a file or a link) without recursion and without
    following links; True when it is gone, False when ``max_seconds`` ran out first. Each
    folder found below the top is moved up to be a child of ``path`` before it is emptied."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    if not stat.S_ISDIR(info.st_mode):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return True
    deadline = time.monotonic() + max_seconds
    stack = [path]
    done = 0
    while stack:
        folder = stack[-1]
        found = False
        try:
            entries = list(os.scandir(folder))
        except PermissionError:
            _open_up(folder)
            try:
                entries = list(os.scandir(folder))
            except OSError:
                entries = []
        except OSError:
            entries = []
        for entry in entries:
            done += 1
            if done % 256 == 0 and time.monotonic() > deadline:
                return False
            try:
                if entry.is_dir(follow_symlinks=False):
                    found = True
                    if folder == path:
                        stack.append(entry.path)
                    else:  # up to the top: no path grows with the depth of the tree
                        _open_up(folder)
                        top = os.path.join(path, f".graders-rm-{os.getpid()}-{next(_counter)}")
                        os.rename(entry.path, top)
                        stack.append(top)
                else:
                    os.unlink(entry.path)
            except FileNotFoundError:
                pass
            except PermissionError:
                _open_up(folder)
                if entry.is_dir(follow_symlinks=False):
                    # Moving a folder to another parent rewrites its "..": it needs write
                    # rights of its own. Root never notices; a grader that is not root spun
                    # here until the time bound and left the tree behind.
                    _open_up(entry.path)
                found = True  # try again when this folder comes up next
        if not found:
            try:
                os.rmdir(folder)
            except FileNotFoundError:
                pass
            except OSError:
                if time.monotonic() > deadline:
                    return False
                continue  # something new appeared in it: look again
            stack.pop()
        elif time.monotonic() > deadline:
            return False
    return True


def _open_up(folder: str) -> None:
    """A folder whose owner (the grader, or root) took away its own rights: give them back."""
    try:
        os.chmod(folder, 0o700, follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass


def prune(root: str, max_depth: int = MAX_DEPTH, max_entries: int = 1_000_000) -> dict:
    """Remove from ``root`` what no later walk of it may meet: special files (links, FIFOs,
    sockets, devices: the grader must never follow a link a submission planted) and folders
    nested deeper than ``max_depth``. Returns what was removed: ``{"special": [...],
    "too_deep": [...]}`` (relative paths)."""
    found = scan(root, max_entries=max_entries, max_depth=max_depth)
    for relative in found.special:
        try:
            os.unlink(os.path.join(root, relative))
        except OSError:
            pass
    for relative in found.too_deep:
        remove_tree(os.path.join(root, relative))
    return {"special": found.special, "too_deep": found.too_deep}


def chown_tree(root: str, uid: int, gid: int, max_entries: int = 1_000_000) -> None:
    """``lchown`` ``root`` and what it holds (within :func:`scan`'s bounds)."""
    found = scan(root, max_entries=max_entries)
    for relative in ["", *found.folders, *found.files, *found.special]:
        try:
            os.lchown(os.path.join(root, relative) if relative else root, uid, gid)
        except OSError:
            pass


def copy_tree(source: str, target: str, max_entries: int = 1_000_000,
              max_depth: int = MAX_DEPTH, owner: tuple[int, int] | None = None,
              remove_missing: bool = False, max_bytes: int | None = None,
              skip_top: str | None = None) -> dict:
    """Make ``target`` hold the regular files and folders of ``source`` (within the bounds):
    files that differ are written as new files (never through a link), folders made, and with
    ``remove_missing`` the regular files of ``target`` that ``source`` lacks removed (only
    after a complete look at ``source``). With ``max_bytes``, files are kept while their
    lengths add up to no more than that: a copy writes a file's whole length, so a sparse file
    (no blocks in ``source``) or a hard link to one file costs it in full (attack 82). Files
    at the top whose names end with ``skip_top`` are neither copied nor removed. Returns
    ``{"too_deep": [...], "complete": bool, "over": [...], "skipped": [...]}``: what was not
    copied."""
    found = scan(source, max_entries=max_entries, max_depth=max_depth)
    there = scan(target, max_entries=max_entries, max_depth=max_depth)
    for relative in found.folders:
        if relative in found.too_deep:
            continue
        path = os.path.join(target, relative)
        try:
            if not os.path.isdir(path) or os.path.islink(path):
                os.mkdir(path, 0o755)
                if owner:
                    os.lchown(path, *owner)
        except OSError:
            pass
    skipped = {f"{d}/" for d in found.too_deep}
    kept_bytes, over, passed = 0, [], []

    def top(relative: str) -> bool:
        return bool(skip_top) and "/" not in relative and relative.endswith(skip_top)

    for relative, size in found.files.items():
        if any(relative.startswith(d) for d in skipped):
            continue
        if top(relative):
            passed.append(relative)
            continue
        if max_bytes is not None and kept_bytes + size > max_bytes:
            over.append(relative)
            continue
        kept_bytes += size
        src, dst = os.path.join(source, relative), os.path.join(target, relative)
        try:
            if there.files.get(relative) == size and _same(src, dst):
                continue
            _copy_file(src, dst, owner)
        except OSError:
            pass
    if remove_missing and found.complete:
        for relative in there.files:
            if relative not in found.files and not top(relative):
                try:
                    os.unlink(os.path.join(target, relative))
                except OSError:
                    pass
    return {"too_deep": found.too_deep, "complete": found.complete, "over": over,
            "skipped": passed}


def _same(a: str, b: str) -> bool:
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


def _copy_file(src: str, dst: str, owner: tuple[int, int] | None) -> None:
    fd_in = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        try:
            if stat.S_ISLNK(os.lstat(dst).st_mode) or not stat.S_ISREG(os.lstat(dst).st_mode):
                remove_tree(dst)
        except FileNotFoundError:
            pass
        fd_out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            while True:
                chunk = os.read(fd_in, 1 << 20)
                if not chunk:
                    break
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd_out, view):]
            if owner:
                os.fchown(fd_out, *owner)
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)
