# Copy-pasted test cells: exercise 1 left blank, but its two test cells were copied (Jupyter's
# copy and paste keeps their nbgrader metadata) to after exercise 2's answer. nbgrader's
# DeduplicateIds keeps the *last* cell with an id, so the graded test_single_layer_sum_* cells
# are now the copies below exercise 2, and the originals become ordinary cells. The grader reads
# exercise 1's answer where its (moved) tests are, i.e. after exercise 2 has set y correctly.
# (The harness makes the copies: see the redteam-duplicate lines.)
# A secure grader gives exercise 1 nothing (its own cell raises NotImplementedError).
# redteam-duplicate: test_single_layer_sum_shape after single_layer_mm
# redteam-duplicate: test_single_layer_sum_value after single_layer_mm
# expect single_layer_sum: zero
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
