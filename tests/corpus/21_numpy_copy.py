# Exercise 4 with a.copy(): the tensor shares memory with the copy, not with a.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: type=1 memory=0 doubled=0
# expect-code test_numpy_bridge_memory: numpy_bridge.copy
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a.copy())
b *= 2
