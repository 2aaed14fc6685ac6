# Batch attack (grading process): a chain of 1,500 nested folders left in the working folder.
# Python's os.walk and shutil.rmtree recurse once per level, so the pool's disk check, its
# clean-up of links and nbgrader's set_permissions raised RecursionError: the attacker and an
# honest student of the same grading process came out "failed", the scratch folders stayed.
# A secure grader walks and removes iteratively (graders/engine/scratch.py), keeps a run's files
# in a private tmpfs whose removal is one unmount, and keeps at most 64 levels of what is left.
# Answers are right: full marks; the batch goes on, honest students 15/15.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import os as _os
_fd = _os.open(".", _os.O_RDONLY)
for _ in range(1500):
    _os.mkdir("d", dir_fd=_fd)
    _next = _os.open("d", _os.O_RDONLY, dir_fd=_fd)
    _os.close(_fd)
    _fd = _next
_os.close(_fd)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
