# Against the pool's reading wait (BATCH_WAIT): a look that reads under 16 KiB makes the pool
# wait 5 ms. Exercise 1's cell trickles ~4,000 tiny writes over about a second (each a frame of
# its own, none big enough to skip the wait), hoping to keep the shared pool asleep so that the
# other students' runs in the same batch are read late, cut short or time out, or that its own
# output is lost or reordered. The answers are right. A secure grader gives full marks here,
# keeps this notebook's output in order, and grades the honest students of the batch as usual.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import sys as _sys
import time as _time
for _i in range(4000):
    _sys.stdout.write(f"{_i}\n")
    _sys.stdout.flush()
    if _i % 16 == 0:
        _time.sleep(0.004)
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
