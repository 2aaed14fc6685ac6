"""Memory that escapes RLIMIT_AS, in a child sealed as the engine seals its runs (fast).

A memory file's pages (``memfd_create``) are outside the address space once unmapped: where a
memory cgroup counts the run's pages (the grader may make one: root, or a delegated v2 group)
memory files stay allowed, since they count; where none does (a grader that is not root on most
hosts) they are refused, or one run could hold the machine's memory (6 GiB under a 4 GiB cap,
attack 40). System V shared memory is refused either way: its segments outlive the run.
"""

from __future__ import annotations

import ctypes
import json
import os

from graders.course import Limits
from graders.engine.sandbox import make_policy
from graders.kernel import confine


def _sealed(tmp_path, caps_report: dict | None) -> dict:
    """Seal a forked child with the engine's policy (and ``caps_report`` as enter_caps would
    have made it), then try what escapes RLIMIT_AS; returns what each attempt did."""
    cwd, private = tmp_path / "cwd", tmp_path / "private"
    cwd.mkdir(exist_ok=True)
    private.mkdir(exist_ok=True)
    job = make_policy(tmp_path, Limits()).for_job(str(cwd), str(private), slot=0)
    if caps_report is not None:
        job["caps_report"] = caps_report
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            confine.prepare()
            report = confine.apply(job)
            out = {"applied": report["applied"], "missing": report["missing"]}
            try:
                os.close(os.memfd_create("probe"))
                out["memfd"] = "made"
            except OSError as err:
                out["memfd"] = err.strerror
            libc = ctypes.CDLL(None, use_errno=True)
            segment = libc.shmget(0, 1 << 20, 0o1600)
            out["shmget"] = "made" if segment >= 0 else os.strerror(ctypes.get_errno())
            if segment >= 0:
                libc.shmctl(segment, 0, None)  # IPC_RMID: leave nothing behind
            os.write(write, json.dumps(out).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_without_a_memory_cgroup_memory_files_are_refused(tmp_path):
    out = _sealed(tmp_path, None)
    assert "seccomp" in out["applied"], out
    assert out["memfd"] == "Operation not permitted", out
    assert out["shmget"] == "Operation not permitted", out


def test_with_a_memory_cgroup_memory_files_count_and_stay_allowed(tmp_path):
    report = {"applied": ["memory cgroup v1 per run"], "missing": [], "memory_cgroup": True}
    out = _sealed(tmp_path, report)
    assert "seccomp" in out["applied"], out
    assert out["memfd"] == "made", out
    assert out["shmget"] == "Operation not permitted", out  # outlives the run, cgroup or not


def test_the_next_child_of_the_same_process_starts_from_the_prepared_filter(tmp_path):
    """The rule is added in the child that has no cgroup only: a template forks many."""
    assert _sealed(tmp_path, None)["memfd"] == "Operation not permitted"
    report = {"applied": [], "missing": [], "memory_cgroup": True}
    assert _sealed(tmp_path, report)["memfd"] == "made"
