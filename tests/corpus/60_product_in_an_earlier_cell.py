# Exercise 2's product computed in a scratch cell right after exercise 1's tests (before the
# given cell that shows the shape error), and used in exercise 2's answer: the answer still
# comes out of a matrix product of the inputs, full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
early = features @ weights.T
# %% single_layer_mm
y = activation(early + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
