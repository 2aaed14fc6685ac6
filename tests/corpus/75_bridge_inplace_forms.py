# Exercise 4 doubled in place by other torch operations on b: slice assignment b[:] = b * 2
# (a copy_ into b's memory). Exercise 1 written with tensor methods and keepdim.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation((features * weights).sum(dim=1, keepdim=True) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b[:] = b * 2
