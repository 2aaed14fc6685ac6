# A correct notebook with debug cells: right after two test cells the student added a cell that
# logs a value with logging.warning (stderr). The engine attributes a stream chunk to the cell
# whose "start" frame it has seen, reading the pipes only when it processes a frame; when it
# lags, output that a cell wrote after the next cell's start is filed under the previous cell.
# A stderr line filed under a test cell zeroes that test (nbgrader: any stderr = 0 points).
# A secure grader attributes output to the cell that wrote it: full marks.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import logging
logging.warning("debug: y = %s", y)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% after test_single_layer_mm_method
logging.warning("debug: y = %s", y)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% after test_multilayer_output
logging.warning("debug: h = %s", h)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% after test_numpy_bridge_doubled
logging.warning("debug: b = %s", b)
