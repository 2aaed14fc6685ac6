# Exercise 4: b made as a copy (torch.tensor), doubled, and then a rebound to b.numpy() "so that
# they share memory". The given array is neither shared nor doubled: only the type point.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: type=1 memory=0 doubled=0
# expect-code test_numpy_bridge_memory: numpy_bridge.a_replaced
# expect-code test_numpy_bridge_doubled: numpy_bridge.a_replaced
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.tensor(a)
b.mul_(2)
a = b.numpy()
