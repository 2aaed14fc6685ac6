"""Run folder: what a run leaves on disk, kept within bounds and cleaned up after it.

With a private tmpfs (a kernel with user namespaces: :func:`graders.kernel.confine.enter_caps`)
the tmpfs itself caps a run's bytes and entries; what the run left in its folder is copied back
into the notebook's folder (so into ``autograded/``, as under nbgrader) and the tmpfs is dropped
whole. Without one, the pool counts what a running child wrote (:func:`over_disk`) and prunes its
folder in place afterwards.

Standard library only, written by hand (see :mod:`.scratch` for why).
"""

from __future__ import annotations

import os
import queue
import threading

from . import scratch

#: Without a private tmpfs (a kernel without user namespaces), seconds between looks at what a
#: running child wrote to disk, counted in bytes and entries.
DISK_CHECK_EVERY = 1.0
#: At most this many entries of what a run left in its folder are kept (copied back from its
#: tmpfs into the notebook's folder, so into autograded/); the rest is dropped with a fault.
KEEP_ENTRIES = 1000


def keep_files(cwd: str, scratch_fd: int | None, held: list[int], faults: list[str],
               max_entries: int, max_disk_bytes: int) -> None:
    """What the run left in its folder stays there (as under nbgrader): copied back from its
    private tmpfs ``scratch_fd`` (regular files and folders only, at most :data:`KEEP_ENTRIES`
    entries and :data:`scratch.MAX_DEPTH` levels), which is then dropped whole with ``held``
    (its mount namespace). Without a tmpfs, its folder is pruned in place (links, FIFOs and the
    like, folders nested too deep). What was not kept is added to ``faults``."""
    if scratch_fd is not None:
        try:
            # Notebooks the run saved at the top of its folder are not kept: nbgrader never
            # puts a notebook there that is not the assignment's (its autograde copies none),
            # and generate_feedback takes every one it finds for one of the assignment's: a
            # student whose code saved one got no feedback at all (attack 84).
            kept = scratch.copy_tree(f"/proc/self/fd/{scratch_fd}/work", cwd,
                                     max_entries=KEEP_ENTRIES, remove_missing=True,
                                     max_bytes=max_disk_bytes or None, skip_top=".ipynb")
        finally:  # the tmpfs and whatever it holds go with these, in the background
            drop([scratch_fd, *held])
        left = [*kept["too_deep"], *kept["over"], *([] if kept["complete"] else ["..."])]
    else:
        removed = scratch.prune(cwd, max_entries=max_entries * 4)
        left = removed["too_deep"]
        if max_disk_bytes and over_disk([cwd], max_disk_bytes, max_entries):
            scratch.remove_tree(cwd)
            os.makedirs(cwd, exist_ok=True)
            left = ["everything (over the disk cap)"]
    note = "what the notebook left in its folder was not all kept"
    if left and not any(f.startswith(note) for f in faults):
        faults.append(
            f"{note}: folders nested more than {scratch.MAX_DEPTH} deep, more than "
            f"{KEEP_ENTRIES:,} entries or files longer than "
            f"{max_disk_bytes / 2**20:.0f} MiB in all, holes included "
            f"({', '.join(x[:80] for x in left[:3])})")


def over_disk(folders: list[str], max_disk_bytes: int, max_entries: int) -> str:
    """Without a tmpfs: why the run's ``folders`` hold more than a submission may ("" if not)."""
    found = [scratch.scan(f, max_entries=max_entries + 1, max_seconds=1.0) for f in folders]
    used = sum(f.disk_bytes for f in found)
    entries = sum(f.entries for f in found)
    if used > max_disk_bytes:
        return (f"it wrote {used / 2**20:.0f} MiB to disk, more than the "
                f"{max_disk_bytes / 2**20:.0f} MiB a submission may")
    if entries > max_entries:
        return (f"it made more than {max_entries:,} files and folders, the most a "
                f"submission may")
    if any(f.too_deep for f in found):
        return (f"it nested folders more than {scratch.MAX_DEPTH} deep, the most a "
                f"submission may")
    return ""


_dropping: queue.SimpleQueue | None = None


def drop(fds: list[int]) -> None:
    """Close a run's tmpfs and mount namespace in a thread of their own: the last reference to
    a mount namespace waits for an RCU grace period (~30 ms here) and a tmpfs with many entries
    takes a while to free, neither of which the pool's loop should wait for."""
    global _dropping
    if _dropping is None:
        _dropping = queue.SimpleQueue()

        def closer(q=_dropping):
            while True:
                for fd in q.get():
                    try:
                        os.close(fd)
                    except OSError:
                        pass

        threading.Thread(target=closer, name="graders-scratch-closer", daemon=True).start()
    _dropping.put(list(fds))
