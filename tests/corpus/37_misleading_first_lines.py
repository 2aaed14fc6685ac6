# Right everywhere, but the answer cells start with lines that look like the notebook's own
# markers ("# Test ...", "# Given: ..."): cells are known by their nbgrader ids, not first lines.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
# Test single_layer_sum: my own answer, computed with a sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
# Given: features, weights and bias; here is my matrix product
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
# Test multilayer: hidden layer then output
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
# Given: the array a
b = torch.from_numpy(a)
b.mul_(2)
