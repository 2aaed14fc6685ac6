# Exercise 3 feeds features, not h, into the output layer: features (1, 3) @ W2 (2, 1) fails.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: shape=0 hidden=1 output=0
# expect numpy_bridge: full
# expect-code test_multilayer_output: multilayer.output_from_features
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(features, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
