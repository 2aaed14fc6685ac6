# Exercise 1 adds bias to every product before summing: bias counts five times.
# expect single_layer_sum: shape=1 value=0
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_sum_value: single_layer_sum.bias_per_element
# %% single_layer_sum
y = activation(torch.sum(features * weights + bias)).view(1, 1)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
