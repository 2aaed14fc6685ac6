"""Settings of the grading engine, read from ``nbgrader_config.py`` as ``c.GradingEngine.<name>``
(traitlets, nbgrader's own convention; command-line flags override them)."""

from __future__ import annotations

from traitlets import Bool, Enum, Float, Integer, Unicode
from traitlets.config import LoggingConfigurable


class GradingEngine(LoggingConfigurable):
    workers = Integer(0, help="Grading processes; 0 means one per core. Each keeps two "
                              "notebooks running with their re-runs, so about 6 x workers "
                              "children run at once.").tag(config=True)
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
