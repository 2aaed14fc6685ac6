# Right everywhere, with less usual forms: exercise 1 sums a flattened product with
# torch.sum(..., dtype=torch.float64) and casts back, exercise 2 goes through a Python float
# (.item()) between the product and the bias, exercise 3 in float64, exercise 4 doubles b through
# a flat view (b.view(-1).mul_(2)). Every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum((features * weights).flatten(), dtype=torch.float64).float() + bias)
# %% single_layer_mm
z = torch.mm(features, weights.view(5, 1)).item()
y = activation(torch.tensor([[z]]) + bias)
# %% multilayer
h = activation(torch.mm(features.double(), W1.double()) + B1.double())
output = activation(torch.mm(h, W2.double()) + B2.double())
# %% numpy_bridge
b = torch.from_numpy(a)
b.view(-1).mul_(2)
