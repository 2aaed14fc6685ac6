# Exercise 4: doubles a directly with NumPy (the "doubled_a_directly" mistake the grader names),
# then makes b from a and runs a no-op in-place torch op on it (b.add_(0)) so the trace records an
# in-place change of a tensor marked "a".
# A secure grader gives type and memory (b is a float64 view of a) but not "doubled" (a was not
# doubled through b).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: type=1 memory=2 doubled=0
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
a *= 2
b = torch.from_numpy(a)
b.add_(0)
