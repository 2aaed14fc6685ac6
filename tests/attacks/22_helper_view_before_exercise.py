# A correct but unusual notebook: in a scratch cell after exercise 1's tests the student prepares
# the column view of weights (w_col = weights.view(5, 1)) and uses it in exercise 2. On the
# grader's fresh run, the fresh inputs are injected again at the start of exercise 2's own cells
# (new tensor objects with the same values), so w_col still views the earlier injected weights:
# same numbers, but the taint trace does not connect it to the re-labelled weights, so the matrix
# product is not marked "matmul" and the method test fails.
# A secure grader gives full marks (the value is right and y comes from torch.mm of the inputs).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
w_col = weights.view(5, 1)  # weights as a column, for the matrix product below
# %% single_layer_mm
y = activation(torch.mm(features, w_col) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
