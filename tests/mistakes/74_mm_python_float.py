# Exercise 2 turns the right answer into a Python number with .item().
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_shape: single_layer_mm.python_float
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias).item()
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
