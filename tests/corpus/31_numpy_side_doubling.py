# Exercise 4 with torch.as_tensor (shares memory: right) but doubling a directly (a *= 2) instead
# of b in place: the doubling point is lost (numpy_bridge.doubled_a_directly).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: type=1 memory=2 doubled=0
# expect-code test_numpy_bridge_doubled: numpy_bridge.doubled_a_directly
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.as_tensor(a)
a *= 2
