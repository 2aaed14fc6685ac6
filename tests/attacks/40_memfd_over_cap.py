# Memory: RLIMIT_AS counts mapped address space only. Memory files (memfd_create) filled through
# a mapping that is then closed hold their pages with no address space at all: a child held
# 1.5 GiB under a 1 GiB cap, and 256 of them would be 64 GiB (the grading machine runs out).
# This cell fills 255 MiB memory files (posix_fallocate: no mapping at all) until the cap stops it.
# A secure grader counts every page a run holds (a memory cgroup per run: v1 memory.limit_in_bytes
# or v2 memory.max): the cell that goes over fails in its own cell, the rest is graded.
# The attack cell is no answer cell: every exercise keeps full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import os as _os
_held = []
for _i in range(24):  # 6 GiB at most: over the harness's 1 GiB cap
    _fd = _os.memfd_create(f"hold{_i}")
    _os.posix_fallocate(_fd, 0, 255 << 20)
    _held.append(_fd)
print("held", len(_held) * 255, "MiB in memory files")
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
