# Right everywhere; exercise 2's product called through torch's operator registry,
# torch.ops.aten.mm.default (an overload of aten's mm, as torch's own decompositions call it).
# A matrix product of features and weights like torch.mm: the method point stands (before, the
# overload's name, mm.default, was not known as a product: 14 of 15).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.ops.aten.mm.default(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.ops.aten.addmm(B1, features, W1))
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
