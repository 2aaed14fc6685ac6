# Exercise 2 multiplies in the wrong order: weights (5, 1) times features (1, 5) gives 5 x 5.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_shape: single_layer_mm.wrong_order
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(weights.view(5, 1), features) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
