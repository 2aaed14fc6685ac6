# Disk: the disk cap counted file bytes only. Empty files and folders take no bytes, so a loop
# left 30,000+ entries with no bound, and removing 140,000 folders from a disk mounted with
# `discard` took a grading process over 3 minutes. This cell makes empty files until it is told
# no (at most 200,000).
# A secure grader counts entries too (a private tmpfs's nr_inodes): creating more fails in the
# cell (ENOSPC), what is left is dropped with the tmpfs, and the batch is not slowed.
# The attack cell is no answer cell: every exercise keeps full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import os as _os
_os.makedirs("many", exist_ok=True)
for _i in range(200_000):
    try:
        open(f"many/e{_i}", "w").close()
    except OSError as _err:
        print("stopped after", _i, "entries:", _err.strerror)
        break
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
