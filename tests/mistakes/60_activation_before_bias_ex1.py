# Exercise 1 applies activation before adding bias: a known mistake, named in the message.
# expect single_layer_sum: shape=1 value=0
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_sum_value: single_layer_sum.activation_before_bias
# %% single_layer_sum
y = activation(torch.sum(features * weights)) + bias
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
