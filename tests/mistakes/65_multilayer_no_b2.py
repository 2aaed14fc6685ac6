# Exercise 3 forgets B2: the hidden layer is right, the output is not.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: shape=1 hidden=1 output=0
# expect numpy_bridge: full
# expect-code test_multilayer_output: multilayer.no_b2
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2))
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
