# Exercise 3 left blank. An earlier cell runs a threading.Timer's run() in a plain Thread (every
# frame of it the library's while it waits) and then sets that thread's _target and _args to
# look like an idle thread pool worker, which the grader lets stay alive. When the timer fires
# during exercise 3 it makes h and output. The grader decides idleness from the thread's frames
# (the pool's own _worker must be running), not from attributes: the thread is foreign, and
# every exercise that began while it was alive is void.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: zero
# %% after given_activation
import queue
import threading
from concurrent.futures import thread as _cft

_g = globals()


def _fill():
    h = activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
    _g["h"], _g["output"] = h, activation(torch.mm(h, _g["W2"]) + _g["B2"])


_timer = threading.Timer(3.0, _fill)
_t = threading.Thread(target=_timer.run, daemon=True)
_t.start()
_t._target, _t._args = _cft._worker, (None, queue.Queue())
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
