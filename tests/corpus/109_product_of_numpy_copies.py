# Right everywhere; exercise 2 multiplies torch copies of the inputs made through NumPy:
# torch.tensor(features.numpy()) @ torch.tensor(weights.numpy()).T. The arrays share the inputs'
# memory, and the copies are made from them, so the product is a product of features and
# weights, as with torch.from_numpy (which shares the memory and always counted). Before, the
# copies lost the inputs' marks and the method point was lost: 14 of 15.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
f = torch.tensor(features.numpy())
w = torch.tensor(weights.numpy())
y = activation(f @ w.T + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
