# Inputs gathered in scratch cells of the student's own: a list of (W, B) layers after the
# multilayer data, used by a loop in exercise 3, and b made from a in a cell after the given
# array, so that exercise 4's cell only says b.mul_(2). The scratch cells count as the
# exercise's own code: every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_multilayer_data
layers = [(W1, B1), (W2, B2)]
# %% after given_numpy_data
b = torch.from_numpy(a)
print(b.dtype)
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
x = features
values = []
for W, B in layers:
    x = activation(x @ W + B)
    values.append(x)
h, output = values
# %% numpy_bridge
b.mul_(2)
