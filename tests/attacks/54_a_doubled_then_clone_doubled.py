# Exercise 4: b shares a's memory, but a is doubled with NumPy (a *= 2, inside a try so that
# nothing stops), and then a clone of b is doubled in place so that a trace sees a tensor made
# from a changed in place by torch.
# A secure grader gives type and memory, not the doubling (it did not go through b).
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
b = torch.from_numpy(a)
try:
    a *= 2
except ValueError:
    pass
c = b.clone()
c.mul_(2)
