# Corpus 99's exercise 2 (its product checked against the sum before y is assigned, which fails
# on the grader's scaled products only), in a cell that takes 1.6 s (the engine's tests give a
# cell 3 s). The cell then runs again with plain products: that run must get its time, not what
# a useless re-run of the scaled cell left of it (that one raises again on the same inputs).
# Before, with one limit for all the extra runs, the two took 3.2 s, the plain run was cut
# short and y lost its shape and value points too.
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
z = torch.mm(features, weights.view(5, 1))
assert torch.allclose(z, torch.sum(features * weights)), "the product and the sum differ"
y = activation(z + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
