# Exercise 2 with torch.dot of the flattened inputs, exercise 3 with torch.einsum: both are
# products of the inputs, so every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.dot(features.view(-1), weights.view(-1)) + bias)
# %% multilayer
h = activation(torch.einsum("ij,jk->ik", features, W1) + B1)
output = activation(torch.einsum("ij,jk->ik", h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
