# Fork bomb: forks until fork fails, every process sleeping; RLIMIT_NPROC (64) is meant to stop
# it in its own cell, and the process group kill to clean it up.
# A secure grader: the batch and other students are unaffected, nothing survives. Answers right.
# Check: honest students 15/15, no leftover processes, batch time normal.
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
import os as _os, time as _time
_n = 0
try:
    while True:
        if _os.fork() == 0:
            _time.sleep(3600)
            _os._exit(0)
        _n += 1
except OSError as _err:
    print("forked", _n, "then", _err)
