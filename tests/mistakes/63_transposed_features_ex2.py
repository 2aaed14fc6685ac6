# Exercise 2 transposes features instead of weights: features.T (5, 1) @ weights (1, 5) is 5 x 5.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_value: single_layer_mm.transposed_features
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(features.T @ weights + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
