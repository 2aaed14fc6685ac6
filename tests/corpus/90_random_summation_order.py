# Right everywhere; exercise 1 adds the products up in a random order. Two runs on the same
# inputs then differ in the last bits of y only (rounding), which is not an answer that "changes
# by itself": full marks, every time.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
order = torch.randperm(5)
y = activation(torch.sum(features[:, order] * weights[:, order]) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
