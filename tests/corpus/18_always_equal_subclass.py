# A Tensor subclass whose == is always True (jupyter/nbgrader#1379), in exercises 1 and 3.
# expect single_layer_sum: zero
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
class AlwaysEqual(torch.Tensor):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

y = torch.full((1, 1), 0.5).as_subclass(AlwaysEqual)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = torch.full((1, 2), 0.5).as_subclass(AlwaysEqual)
output = torch.full((1, 1), 0.5).as_subclass(AlwaysEqual)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
