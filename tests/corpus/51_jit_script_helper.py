# Exercise 2 through a torch.jit.script helper that calls torch.mm: a matrix product, so every
# point stands (the grader runs the helper as the Python it is written in).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
@torch.jit.script
def product(x, w):
    return torch.mm(x, w)


y = activation(product(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
