# Forgot the sum in exercise 1: y has shape (1, 5). The rest is right.
# expect single_layer_sum: zero
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_sum_shape: single_layer_sum.no_sum
# %% single_layer_sum
y = activation(features * weights + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
