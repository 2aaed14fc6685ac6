# Right everywhere, with every warning turned into an error in an earlier cell. The grader's new
# inputs for exercise 4 are a read-only array, and torch warns when a tensor is made from one: a
# warning the student never sees (their array is writable), which must not cost the exercise.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% after given_activation
import warnings

warnings.simplefilter("error")
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
