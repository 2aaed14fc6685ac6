# Sandbox escape through the grader: the notebook runs in autograded/<student>/.tensors.partial,
# which it may write. It creates a symlink there named tensors.ipynb pointing at
# ../../../gradebook.db. After grading, the engine writes the autograded notebook with
# nbformat.write(nb, staging / "tensors.ipynb"), which follows the symlink: the course's
# gradebook is overwritten with this notebook's JSON, as the grader's user (root here).
# A secure grader never follows links a submission planted (O_NOFOLLOW / check / fresh folder).
# Check: gradebook.db is still a SQLite database and every honest student keeps 15/15.
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
import os as _os
try:
    _os.symlink("../../../gradebook.db", "tensors.ipynb")
    print("planted", _os.readlink("tensors.ipynb"))
except OSError as _err:
    print("no symlink:", _err)
