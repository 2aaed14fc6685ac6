# A correct notebook using other torch APIs than the lesson's: exercise 1 with a tensor method
# and keepdim, exercise 2 with torch.nn.functional.linear (features @ weights.T + bias, one
# call), exercise 3 with torch.addmm and torch.sigmoid, exercise 4 with torch.mul(..., out=b).
# Full marks expected.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = torch.sigmoid((features * weights).sum(dim=1, keepdim=True) + bias)
# %% single_layer_mm
import torch.nn.functional as F
y = activation(F.linear(features, weights, bias[0]))
# %% multilayer
h = torch.sigmoid(torch.addmm(B1, features, W1))
output = torch.sigmoid(torch.addmm(B2, h, W2))
# %% numpy_bridge
b = torch.from_numpy(a)
torch.mul(b, 2, out=b)
