# Right everywhere; exercise 2 with torch.func: torch.vmap(torch.dot) takes the dot product of
# each row of features with the same row of weights (one row here), a matrix product written
# as a batched dot product, like torch.linalg.vecdot (corpus 54); exercise 3 with
# torch.func.functional_call of nn.Linear layers given W1, B1, W2, B2 as their parameters. Inside
# vmap torch calls see the inputs wrapped as batched tensors, which the grader's trace did not
# know as features and weights: the product was not scaled on new inputs and exercise 2 lost
# its method point (14 of 15). The trace reads a wrapped tensor's marks from the tensor it wraps.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
row_dots = torch.vmap(torch.dot)(features, weights)  # one dot product per row: shape (1,)
y = activation(row_dots.view(1, 1) + bias)
# %% multilayer
from torch.func import functional_call

hidden_layer, output_layer = torch.nn.Linear(3, 2), torch.nn.Linear(2, 1)
h = activation(functional_call(hidden_layer, {"weight": W1.T, "bias": B1.view(-1)}, (features,)))
output = activation(functional_call(output_layer, {"weight": W2.T, "bias": B2.view(-1)}, (h,)))
# %% numpy_bridge
b = torch.from_dlpack(a)  # shares a's memory, as torch.from_numpy does
b.mul_(2)
