# Right everywhere, bound by a for loop's target (exercise 1), a match capture (exercise 2), a
# helper that declares `global h, output` (exercise 3); exercise 4 doubles the array through a
# temporary tensor made from it and then binds b to a new tensor on the same memory.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
for y in [activation(torch.sum(features * weights) + bias)]:
    print(y)
# %% single_layer_mm
match activation(torch.mm(features, weights.view(5, 1)) + bias):
    case y:
        print(y)
# %% multilayer
def run_network():
    global h, output
    h = activation(torch.mm(features, W1) + B1)
    output = activation(torch.mm(h, W2) + B2)


run_network()
# %% numpy_bridge
torch.from_numpy(a).mul_(2)
b = torch.from_numpy(a)
