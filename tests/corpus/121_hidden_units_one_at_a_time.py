# Right everywhere, the hidden layer one unit at a time: a product of features with each column
# of W1 (a (1,) tensor each), stacked into h, and the output as a concatenation of products
# with W2's columns; exercise 2 with swapaxes and torch.Tensor.matmul; exercise 4 on a slice
# view of the tensor (b = torch.from_numpy(a)[:]) doubled by b.__imul__(2): full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(features.mul(weights).sum(dim=-1, keepdim=True) + bias)
# %% single_layer_mm
y = activation(torch.Tensor.matmul(features, weights.swapaxes(0, 1)) + bias)
# %% multilayer
h = activation(torch.stack([features @ W1[:, j] for j in range(n_hidden)], dim=1) + B1)
output = activation(torch.cat([h @ W2[:, k:k + 1] for k in range(n_output)], dim=1) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)[:]
b.__imul__(2)
