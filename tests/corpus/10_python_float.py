# Turned y into a Python float with .item() in both single-layer exercises.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_sum_shape: single_layer_sum.python_float
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias).item()
# %% single_layer_mm
y = float(activation(torch.mm(features, weights.view(5, 1)) + bias))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
