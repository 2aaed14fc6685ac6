# Right everywhere: exercise 1 with torch.dot on the rows, exercise 2 with matmul and .mT,
# exercise 3 with tensor methods (an in-place add_ on an intermediate result), exercise 4
# doubled by b.copy_(b * 2).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.dot(features[0], weights[0]).view(1, 1) + bias)
# %% single_layer_mm
y = activation(features.matmul(weights.mT) + bias)
# %% multilayer
h = activation(features.mm(W1).add(B1))
output = activation(h.mm(W2).add_(B2))
# %% numpy_bridge
b = torch.from_numpy(a)
b.copy_(b * 2)
