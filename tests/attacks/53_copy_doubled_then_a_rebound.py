# Exercise 4: b is a copy of a, doubled in place, and then a is rebound to b.numpy(), so that
# a and b share memory, a holds the doubled values and b was changed in place by torch.
# A secure grader gives the type point only: the given array was neither shared nor doubled.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: type=1 memory=0 doubled=0
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.tensor(a)
b.mul_(2)
a = b.numpy()
