# Right everywhere, but cells changed type (one key press in Jupyter): a test cell of exercise 1
# made Markdown, the other raw, and exercise 4's answer cell made Markdown. nbgrader grades each
# as the code cell it is in the source; the change is noted, not flagged.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% meta test_single_layer_sum_shape cell_type=markdown
# %% meta test_single_layer_sum_value cell_type=raw
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% meta numpy_bridge cell_type=markdown
