# Right everywhere; warnings on stderr right before a test cell (a cell of the student's) and in
# test cells (a hook the student registered to time each cell warns before every cell runs, and
# torch warns when a test reads a y that requires grad, as the assignment's visible tests did
# before they detached it). A warning costs no points: nbgrader would score each of those test
# cells 0; WarningsAreNotErrors moves warning-only stderr to stdout, with a note.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after single_layer_sum
import warnings

warnings.warn("checked by hand: y looks right")
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias).requires_grad_()
float(y)  # torch warns once per process: in this cell, not in a test cell
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% after multilayer
import warnings


def slow_cell_warning(info):
    warnings.warn("this cell is being timed", stacklevel=1)


get_ipython().events.register("pre_run_cell", slow_cell_warning)
# %% after test_multilayer_output
get_ipython().events.unregister("pre_run_cell", slow_cell_warning)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
