# Answers written in a new cell under the answer cell (exercise 1 whole, the output of exercise
# 3, the doubling of exercise 4), the answer cell left with a comment or half the work: the
# cells up to the tests are the exercise's own, every point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
# my answer is in the next cell
# %% after single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
# %% after multilayer
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
# %% after numpy_bridge
b.mul_(2)
