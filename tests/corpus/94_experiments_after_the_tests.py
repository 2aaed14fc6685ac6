# Right everywhere, with the experiments the lesson invites, in cells of the student's own after
# each exercise's tests: resize_ tried on weights after exercise 2 ("changes weights itself"),
# n_hidden changed and the layer rebuilt after exercise 3 ("try changing n_hidden in a scratch
# cell"), and a written through after exercise 4 to watch b change (as the demo does with its
# array; on the grader's new inputs a is read-only, so that cell fails there). Cells after an
# exercise's tests are not its own: every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% after test_single_layer_mm_method
weights.resize_(5, 1)
print(weights.shape)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% after test_multilayer_output
n_hidden = 4
W1 = torch.randn(n_input, n_hidden)
W2 = torch.randn(n_hidden, n_output)
B1 = torch.randn((1, n_hidden))
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
print(W1.shape, W2.shape, h.shape)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% after test_numpy_bridge_doubled
a[0, 0] = 100.0
print(b[0, 0])
