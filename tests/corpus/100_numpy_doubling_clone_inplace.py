# Exercise 4 doubled through NumPy on b's memory (b.numpy()[:] *= 2), then a clone of b divided
# in place (normalised /= total): the clone carries b's marks but not a's memory, so its
# in-place change is no torch doubling of a. As in corpus 92, doubling through b.numpy() earns
# no doubling point; the judge counts only in-place torch operations whose memory lies in the
# given array's (a red team's submission: the clone's op earned the point on its marks alone).
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
b = torch.from_numpy(a)
b.numpy()[:] *= 2
total = b.sum()
normalised = b.clone()
normalised /= total
print(normalised.max())
