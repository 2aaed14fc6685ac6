# Right everywhere, in the ways of later lessons: torch.special.expit in exercise 1, baddbmm
# (a batch of one, bias added by the product) in exercise 2, an nn.Module subclass with two
# nn.Linear layers given W1, B1, W2, B2 through load_state_dict in exercise 3, and
# torch.Tensor.mul_(b, 2) (the method called on the class) in exercise 4: full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = torch.special.expit((features * weights).sum() + bias)
# %% single_layer_mm
y = torch.sigmoid(torch.baddbmm(bias.unsqueeze(0), features.unsqueeze(0), weights.unsqueeze(-1))[0])
# %% multilayer
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(3, 2)
        self.out = torch.nn.Linear(2, 1)

    def forward(self, x):
        h = torch.sigmoid(self.hidden(x))
        return h, torch.sigmoid(self.out(h))


net = Net()
net.load_state_dict({"hidden.weight": W1.T, "hidden.bias": B1.view(-1),
                     "out.weight": W2.T, "out.bias": B2.view(-1)})
with torch.no_grad():
    h, output = net(features)
# %% numpy_bridge
b = torch.as_tensor(a)
torch.Tensor.mul_(b, 2)
