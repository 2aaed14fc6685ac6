# Right everywhere, with randomness unrelated to the answer in the exercises' cells: exercise 1
# seeds torch and prints a random number, exercise 2 prints a random.random(), exercise 3 builds
# a dropout-free nn.Sequential (random initial weights) and copies the lesson's weights in, and
# exercise 4 draws a random index to print. The answers are the same on every run: no `random`.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
torch.manual_seed(0)
print("a random number:", torch.rand(1))
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
import random

print("lucky number:", random.random())
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
from torch import nn

net = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
with torch.no_grad():
    net[0].weight.copy_(W1.T)
    net[0].bias.copy_(B1.view(-1))
    net[2].weight.copy_(W2.T)
    net[2].bias.copy_(B2.view(-1))
    h = net[:2](features)
    output = net(features)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
print("a random entry:", b[np.random.randint(4), np.random.randint(3)])
