# Exercise 4 doubled with b.add_(b) (b + b in place); exercise 2 with torch.addmm (bias added by
# the product itself); exercise 3 in an nn.Sequential with a Dropout layer in eval mode.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.addmm(bias, features, weights.t()))
# %% multilayer
from torch import nn

first = nn.Linear(3, 2)
second = nn.Linear(2, 1)
net = nn.Sequential(first, nn.Sigmoid(), nn.Dropout(0.5), second, nn.Sigmoid()).eval()
with torch.no_grad():
    first.weight.copy_(W1.T)
    first.bias.copy_(B1[0])
    second.weight.copy_(W2.T)
    second.bias.copy_(B2[0])
    h = net[:3](features)
    output = net(features)
# %% numpy_bridge
b = torch.from_numpy(a)
b.add_(b)
