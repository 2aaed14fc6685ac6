# Fault 46's exercise 2 (its product checked against the sum before y is assigned, which fails on
# the grader's scaled products only) spread over two slow cells, each under the limit (1.6 s of
# the engine tests' 3 s), together over it. The cells run again with plain products, and that
# run, with one cell's limit for all of them, runs out of time: y is not seen at all and loses
# its shape and value points too, with a message about an error to fix (11 of 15). Fair: only
# the method point is lost, as in fault 46 (14 of 15).
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_method: single_layer_mm.stopped_scaled_run
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
import time

time.sleep(1.6)  # a slow cell, under the limit
total = torch.sum(features * weights)
# %% after single_layer_mm
time.sleep(1.6)  # another one
z = torch.mm(features, weights.view(5, 1))
assert torch.allclose(z, total), "the product and the sum differ"
y = activation(z + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
