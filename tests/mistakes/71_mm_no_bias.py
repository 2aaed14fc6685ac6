# Exercise 2 with a correct matrix product but no bias.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=0 method=1
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_value: single_layer_mm.no_bias
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
