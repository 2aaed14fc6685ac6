"""Sandbox uids (as root): each process that runs sealed children takes them from its own range,
so two graders on one machine (two courses, a regrade beside `graders serve`, a test run beside
another) never share a uid, and one's fork bomb (RLIMIT_NPROC counts a uid's processes
machine-wide) cannot stop the other's threads."""

from __future__ import annotations

import os

from graders.engine.pool import KernelPool
from graders.engine.sandbox import UID_STRIDE, SandboxPolicy, process_uid_offset


def _uids(pool: KernelPool, slots: int) -> set[int]:
    return {pool.sandbox.for_job("/tmp", "/tmp", pool.slot_offset + s)["uid"] for s in range(slots)}


def test_pools_in_two_processes_never_share_a_uid():
    policy = SandboxPolicy(read=[])
    ours = _uids(KernelPool(workers=4, sandbox=policy), UID_STRIDE)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # another grading process (a shard, a service, another course's command)
        try:
            theirs = _uids(KernelPool(workers=4, sandbox=policy), UID_STRIDE)
            os.write(write, (",".join(map(str, sorted(theirs)))).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        theirs = {int(x) for x in fh.read().split(",")}
    os.waitpid(pid, 0)
    assert len(ours) == len(theirs) == UID_STRIDE
    assert not ours & theirs
    assert min(ours) == policy.uid_base + process_uid_offset()


def test_the_largest_range_still_fits_a_uid():
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    assert 4_000_000 + process_uid_offset(pid_max) + UID_STRIDE < 2**32 - 1
