# Exercise 2's cell checks its matrix-product answer against the sum of exercise 1 in the same
# cell (a careful student's sanity check); exercise 4 with torch.asarray, which shares memory.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
assert torch.allclose(y, activation(torch.sum(features * weights) + bias)), "mm and sum differ"
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.asarray(a)
b.mul_(2)
