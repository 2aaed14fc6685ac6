# Wrote a helper in exercise 1 and reused it, with float64 arithmetic: still right.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
def neuron(x, w, b):
    return activation(x.double().mul(w.double()).sum() + b.double())

y = neuron(features, weights, bias)
# %% single_layer_mm
def layer(x, w, b):
    return activation(torch.mm(x, w) + b)

y = layer(features, weights.view(5, 1), bias)
# %% multilayer
h = layer(features, W1, B1)
output = layer(h, W2, B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
