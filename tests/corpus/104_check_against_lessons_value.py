# A check that fails on any inputs but the lesson's, before the answer: exercise 2 asserts that
# its product gives the lesson's printed 0.1595. On new inputs it fails with plain products too,
# so the unscaled re-run of 99 raises as well and nothing changes: y is never assigned there,
# exercise 2 earns nothing, and the message is the general one (fix the error, use only the
# given variables), not the one about the grader's scaled products.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_shape: single_layer_mm.error
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
z = activation(torch.mm(features, weights.view(5, 1)) + bias)
assert abs(z.item() - 0.1595) < 1e-3, "not the lesson's value"
y = z
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
