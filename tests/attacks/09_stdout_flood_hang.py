# Batch attack: forks 50 processes that write 64 KiB blocks to stdout (fd 1) forever. The pool
# reads a child's pipe in a loop until it is empty; if the writers are faster than the reader
# the loop never returns, so the grading process never gets back to its deadline checks or to
# any other student's child (a stalled batch).
# A secure grader bounds the time and data it reads from one child: it kills this one at its
# cell's deadline and grades everyone else. The answers here are right: a secure grader gives
# full marks (at worst the flood cell itself is killed and the rest replayed).
# Check: the batch finishes in about the normal time; honest students 15/15; no writer survives.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after test_single_layer_sum_value
import os as _os
_block = b"x" * 65536
for _ in range(50):
    try:
        if _os.fork() == 0:
            while True:
                try:
                    _os.write(1, _block)
                except BaseException:
                    pass
    except OSError:
        break
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
