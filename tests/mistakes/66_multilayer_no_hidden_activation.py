# Exercise 3 applies no activation to the hidden layer (h goes straight into the output layer).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: shape=1 hidden=0 output=0
# expect numpy_bridge: full
# expect-code test_multilayer_hidden: multilayer.no_activation_hidden
# expect-code test_multilayer_output: multilayer.no_activation_hidden
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = torch.mm(features, W1) + B1
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
