# Exercise 4 doubled in place through a view of b (b.view(-1).mul_(2)): the view shares b's
# memory, which is a's, so the torch operation doubles a in place. The judge counts an in-place
# operation only where the given array's memory is (corpus 100): a view is there, full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.view(-1).mul_(2)
