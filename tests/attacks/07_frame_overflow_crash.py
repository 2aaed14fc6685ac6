# Batch attack: writes one well-formed frame {"start": Infinity} on the grader's channel (fd 3).
# The pool parses it (json accepts Infinity) and calls int(inf) on the cell index, which raises
# OverflowError, an exception the frame reader does not catch (it catches ValueError, TypeError
# and KeyError only).
# A secure grader treats it as a protocol error of this one child (kill it, replay, carry on):
# every exercise of this notebook is answered right and must get full marks, and every other
# student in the batch must be graded normally.
# Check: the batch exits 0, the honest students have 15/15, this student is graded.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import os as _os, struct as _struct
_raw = b'{"start": Infinity}'
_os.write(3, _struct.pack(">I", len(_raw)) + _raw)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
