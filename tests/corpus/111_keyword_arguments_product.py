# Right everywhere; exercise 2 names the arguments of its product, as torch.mm's documentation
# spells them: torch.mm(input=features, mat2=weights.view(5, 1)). That is a matrix product of
# features and weights like any other, and earns the method point. Before, the grader's trace
# looked for the factors of a product among its positional arguments only: this product was not
# seen (not scaled in the grader's re-run), and the method point was lost: 14 of 15.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(input=features, mat2=weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.matmul(features, other=W1) + B1)
output = activation(torch.addmm(B2, h, mat2=W2))
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
