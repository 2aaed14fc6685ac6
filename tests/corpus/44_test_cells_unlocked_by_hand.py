# Right everywhere, but exercise 2's test cells were unlocked and set to grade: false by editing
# the notebook's metadata (one to 0 points). nbgrader failed the whole notebook ("Inconsistent
# checksums"); the source's metadata is put back from the gradebook, the test cells restored,
# everything graded, and the notebook flagged for the instructor with a comment saying why.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% meta test_single_layer_mm_shape grade=false locked=false editable=true deletable=true
# %% meta test_single_layer_mm_value grade=false locked=false points=0
# %% meta test_single_layer_mm_method grade=false locked=false
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
