# Hidden layer right, but no activation on the output layer.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: shape=1 hidden=1 output=0
# expect numpy_bridge: full
# expect-code test_multilayer_output: multilayer.no_activation_output
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = torch.mm(h, W2) + B2
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
