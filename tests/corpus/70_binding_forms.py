# Right everywhere, bound in less usual ways: an annotated assignment (exercise 1), a chained
# assignment (exercise 2), tuple unpacking from a function defined in the same cell (exercise 3),
# and torch.as_tensor, which shares a float64 array's memory like torch.from_numpy (exercise 4).
# The bindings rule reads all of these as binding the answer's name: every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y: torch.Tensor = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = y_mm = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
def forward(x):
    hidden = activation(torch.mm(x, W1) + B1)
    return hidden, activation(torch.mm(hidden, W2) + B2)


h, output = forward(features)
# %% numpy_bridge
b = torch.as_tensor(a)
b.mul_(2)
