# `from torch import *` in exercise 1's cell, then torch's functions by their bare names
# (sigmoid, sum, mm, matmul, from_numpy). Right everywhere, so every point should stand.
# torch's star import also binds float, bool, sum, all, min, max... (dtypes and torch functions)
# over Python's builtins in the notebook's namespace; the visible value tests called float(...)
# and bool(...), which then raised "TypeError: 'torch.dtype' object is not callable": 8 of 15
# before the fix, under both graders, with that TypeError as the only feedback.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
from torch import *
y = sigmoid(sum(features * weights) + bias)
# %% single_layer_mm
y = sigmoid(mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = sigmoid(matmul(features, W1) + B1)
output = sigmoid(matmul(h, W2) + B2)
# %% numpy_bridge
b = from_numpy(a)
b.mul_(2)
