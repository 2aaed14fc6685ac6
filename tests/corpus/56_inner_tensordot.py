# Exercise 2 with torch.inner, exercise 3 with torch.tensordot and torch.matmul: products of the
# inputs in other spellings, full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.inner(features, weights) + bias)
# %% multilayer
h = activation(torch.tensordot(features, W1, dims=1) + B1)
output = activation(torch.matmul(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
