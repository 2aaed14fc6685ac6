# Right everywhere, exercise 3 through a torch.fx GraphModule (symbolic_trace of a module: its
# forward is Python that torch.fx generated), exercise 2 with tensordot over explicit dims,
# exercise 4 with torch.as_tensor(a, dtype=torch.float64, device="cpu") (a's memory) doubled
# with b.mul_(2.0): full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.tensordot(features, weights, dims=([1], [1])) + bias)
# %% multilayer
import torch.fx

class TwoLayers(torch.nn.Module):
    def forward(self, x, w1, b1, w2, b2):
        hidden = torch.sigmoid(x @ w1 + b1)
        return hidden, torch.sigmoid(hidden @ w2 + b2)

net = torch.fx.symbolic_trace(TwoLayers())
h, output = net(features, W1, B1, W2, B2)
# %% numpy_bridge
b = torch.as_tensor(a, dtype=torch.float64, device="cpu")
b.mul_(2.0)
