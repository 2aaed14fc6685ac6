# Right everywhere; exercise 2's cell checks its matrix product against the sum of products
# before using it (the lesson says "You should get the same value as in exercise 1"). On new
# inputs the grader's products see weights times a factor, so the assert fails there only and
# y is never assigned in that run. The cells then run once more there with plain products: y
# keeps its shape and value points on those answers, but the method point rests on the scaled
# run's values, which never came (a sum of products preceded by such an assert would earn it
# otherwise, see 103), and the message says why and where to put the check.
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_method: single_layer_mm.stopped_scaled_run
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
z = torch.mm(features, weights.view(5, 1))
assert torch.allclose(z, torch.sum(features * weights)), "the product and the sum differ"
y = activation(z + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
