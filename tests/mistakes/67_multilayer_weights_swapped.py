# Exercise 3 swaps W1 and W2: features (1, 3) @ W2 (2, 1) fails, so h is never made.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# expect-code test_multilayer_shape: multilayer.weights_swapped
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W2) + B1)
output = activation(torch.mm(h, W1) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
