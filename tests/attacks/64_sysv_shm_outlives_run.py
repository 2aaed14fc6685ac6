# Memory: System V shared memory (shmget) is no file, so Landlock cannot see it; RLIMIT_AS counts
# a segment only while it is attached, and a segment lives in the machine's IPC namespace until
# someone removes it: filled and detached, it outlived the run, its memory cgroup and the batch
# (16 segments of 255 MiB, 4 GiB of the machine held after grading ended, root or not).
# These cells make four 64 MiB segments with the keys 0x7e570630..3, fill them and detach.
# A secure grader: shmget fails in the cell (seccomp), nothing is left in /proc/sysvipc/shm.
# The attack cells are no answer cells: every exercise keeps full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import ctypes as _ct, os as _os
_libc = _ct.CDLL(None, use_errno=True)
_libc.shmat.restype = _ct.c_void_p
_libc.shmat.argtypes = [_ct.c_int, _ct.c_void_p, _ct.c_int]
_libc.shmdt.argtypes = [_ct.c_void_p]
def _segment(n):
    i = _libc.shmget(0x7e570630 + n, 64 << 20, 0o1600)  # IPC_CREAT | 0600
    if i < 0:
        _e = _ct.get_errno(); raise OSError(_e, "shmget: " + _os.strerror(_e))
    p = _libc.shmat(i, None, 0)
    if p in (None, _ct.c_void_p(-1).value):
        _e = _ct.get_errno(); raise OSError(_e, "shmat: " + _os.strerror(_e))
    _ct.memset(p, 1, 64 << 20)
    _libc.shmdt(p)
    print("held segment", n)
for _n in range(4):
    _segment(_n)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
