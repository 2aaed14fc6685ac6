# Exercise 4 doubles out of place (b = b * 2): b no longer shares memory, a is unchanged.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: type=1 memory=0 doubled=0
# expect-code test_numpy_bridge_memory: numpy_bridge.doubled_out_of_place
# expect-code test_numpy_bridge_doubled: numpy_bridge.doubled_out_of_place
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b = b * 2
