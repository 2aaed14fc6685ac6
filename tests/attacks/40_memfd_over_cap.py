# Memory: RLIMIT_AS counts mapped address space only. Memory files (memfd_create) filled with
# posix_fallocate hold their pages with no address space at all: a child held 1.5 GiB under a
# 1 GiB cap, and 256 of them would be 64 GiB (the grading machine runs out). These cells fill
# 255 MiB memory files, 4 s per cell, up to 6 GiB: over the course's 4 GiB cap.
# A secure grader counts every page a run holds (a memory cgroup per run: v1 memory.limit_in_bytes
# or v2 memory.max): the cell that goes over fails in its own cell, the rest is graded.
# The attack cells are no answer cells: every exercise keeps full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import os as _os
import time as _time
_held = []
def _hold(seconds=4.0):  # stays under the 5 s cell timeout; the files stay held after the cell
    end = _time.monotonic() + seconds
    while len(_held) < 24 and _time.monotonic() < end:
        _fd = _os.memfd_create(f"hold{len(_held)}")
        _os.posix_fallocate(_fd, 0, 255 << 20)
        _held.append(_fd)
    print("held", len(_held) * 255, "MiB in memory files")
_hold()
# %% after test_single_layer_mm_method
_hold()
# %% after test_multilayer_output
_hold()
# %% after test_numpy_bridge_doubled
_hold()
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
