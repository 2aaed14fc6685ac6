# A correct notebook whose student started a background shell command in their own cell (a
# "sleep; echo" that writes to stderr a moment later, like a progress bar thread or a slow
# subprocess). Its stderr lands while the next *test* cells run, which nbgrader scores 0.
# This is output the submission itself produced during the test; both graders attribute it to
# the cell that is running. Informational: a secure grader may zero these cells, but must not
# let the stray process affect other students or survive the job.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% after test_numpy_bridge_doubled
import subprocess
subprocess.Popen(["sh", "-c", "sleep 0.3; echo late-stderr >&2; sleep 30"])
