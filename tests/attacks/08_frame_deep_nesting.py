# Batch attack: writes a 200,000-deep JSON array as one frame on the grader's channel (fd 3).
# json.loads raises RecursionError (a RuntimeError), which the frame reader does not catch.
# A secure grader treats it as a protocol error of this child only.
# Check: the batch exits 0, honest students 15/15, this student graded (all answers right).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import os as _os, struct as _struct
_raw = b"[" * 200000 + b"]" * 200000
_os.write(3, _struct.pack(">I", len(_raw)) + _raw)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
