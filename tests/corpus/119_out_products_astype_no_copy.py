# Right everywhere, every matrix product written into a tensor made beforehand (out=): torch.mm
# in exercise 2, torch.matmul and torch.addmm in exercise 3; exercise 4's tensor made from
# a.astype(np.float64, copy=False), which is a itself. The product's result is the out= tensor,
# and the grader's trace follows it there: full marks, the method point included.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
z = torch.empty(1, 1)
torch.mm(features, weights.T, out=z)
y = activation(z + bias)
# %% multilayer
hidden_in = torch.empty(1, 2)
torch.matmul(features, W1, out=hidden_in)
h = activation(hidden_in + B1)
out_in = torch.empty(1, 1)
torch.addmm(B2, h, W2, out=out_in)
output = activation(out_in)
# %% numpy_bridge
b = torch.from_numpy(a.astype(np.float64, copy=False))
b.mul_(2)
