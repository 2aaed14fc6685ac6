# Answers bound in ways the grader reads from the cell's text although no plain assignment shows
# them: code run by exec from a string written out, globals().update with keywords and with a
# dict, an item assignment into vars(). Each is the student's own cell binding the name, so every
# point stands.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
exec("y = activation(torch.sum(features * weights) + bias)")
# %% single_layer_mm
globals().update(y=activation(torch.mm(features, weights.view(5, 1)) + bias))
# %% multilayer
globals().update({"h": activation(torch.mm(features, W1) + B1)})
vars()["output"] = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
exec("b = torch.from_numpy(a)\nb.mul_(2)")
