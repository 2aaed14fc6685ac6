# Exercise 2 as a sum of products; then the grader's own trace, found through
# torch.overrides._get_current_function_mode(), is told that y came out of a matrix product of
# features and weights (its marks written by hand).
# A secure grader gives shape and value, not the method point.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
import torch.overrides

y = activation(torch.sum(features * weights) + bias)
mode = torch.overrides._get_current_function_mode()
try:
    mode.marks[y] = frozenset({"features", "weights", "matmul"})
    mode.inplace.append(("mm", frozenset({"features", "weights"})))
except AttributeError:
    pass
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
