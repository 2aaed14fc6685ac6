# An attack on the fallback of 99: an assert that fails only on the grader's scaled products,
# then a sum of products with a matrix product added times zero (the trace's marks see a
# product). The scaled run stops at the assert; the unscaled re-run gives the right y, and
# that earns shape and value as an honest sum of products does, never the method point: no
# scaled value shows a product.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
z = torch.mm(features, weights.view(5, 1))
assert torch.allclose(z, torch.sum(features * weights)), "the product and the sum differ"
y = activation(torch.sum(features * weights) + bias) + 0 * torch.mm(features, weights.view(5, 1))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
