# Right everywhere, but a test cell's nbgrader id was renamed and exercise 3's answer cell was
# made a grade cell worth 10 points. nbgrader failed the whole notebook ("No such grade cell");
# the answer cell's metadata is put back (flagged), the renamed cell runs as the student's own
# and the source's test cell is put back in its place.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% meta test_single_layer_mm_value grade_id=my_test
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% meta multilayer grade=true points=10
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
