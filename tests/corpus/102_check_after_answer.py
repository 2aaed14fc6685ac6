# The companion of 99: the same check of the matrix product against the sum of products, in a
# cell of its own after the answer cell. On the grader's scaled products it fails too, but y
# was assigned by then (from the scaled product): every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% after single_layer_mm
z = torch.mm(features, weights.view(5, 1))
assert torch.allclose(z, torch.sum(features * weights)), "the product and the sum differ"
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
