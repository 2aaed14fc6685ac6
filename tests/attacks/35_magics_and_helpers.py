# A correct notebook written with magics and helpers: %%time on exercise 1's cell, %time on
# exercise 2's line, a helper function defined in a cell of its own and used in exercise 3, a
# shell command (!echo) and %who in extra cells, exercise 4 with torch.as_tensor and b *= 2.
# Full marks expected.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
%%time
y = activation(torch.sum(features * weights) + bias)
# %% after single_layer_sum
!echo checking exercise 1
%who
# %% single_layer_mm
%time y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% after given_multilayer_data
def layer(x, w, b):
    """One dense layer with the sigmoid activation."""
    return activation(torch.mm(x, w) + b)
# %% multilayer
h = layer(features, W1, B1)
output = layer(h, W2, B2)
# %% numpy_bridge
b = torch.as_tensor(a)
b *= 2
