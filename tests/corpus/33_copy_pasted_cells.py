# Right everywhere, but copied and pasted cells (Jupyter copies their nbgrader metadata): a
# second copy of a test cell, and the answer of exercise 2 pasted into a copy of its cell. nbgrader
# keeps the last cell of each id; the copies must not lose the submission.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% copy test_single_layer_sum_shape
# %% single_layer_mm
raise NotImplementedError()
# %% copy single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
