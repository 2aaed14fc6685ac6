# A correct notebook that displays bundles that cannot be serialised as JSON (an object in the
# data, a NaN in application/json, bytes) in cells of its own. Full marks expected.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after single_layer_sum
from IPython.display import display
class Weird:
    def _repr_json_(self):
        return {"x": float("nan"), "y": object.__repr__(self)}
    def _repr_html_(self):
        return b"<b>bytes, not str</b>"
    def __repr__(self):
        return "Weird()"
display(Weird())
display({"text/plain": object()}, raw=True)
Weird()
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
