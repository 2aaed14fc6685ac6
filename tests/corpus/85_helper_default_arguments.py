# Exercise 2's answer from a helper the student defined in a scratch cell after the data, with
# the inputs captured as default arguments (neuron_mm()): the helper's product is a matrix
# product of the inputs, so every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_single_layer_data
def neuron_mm(f=features, w=weights, b=bias):
    return activation(torch.mm(f, w.view(5, 1)) + b)
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = neuron_mm()
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
