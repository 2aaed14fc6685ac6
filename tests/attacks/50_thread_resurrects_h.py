# Exercise 3 left blank. Exercise 1's cell starts a daemon thread that, every millisecond,
# makes h and output from the multilayer data whenever they are missing or stale, so that
# whatever the grader does between forgetting them and reading them back, they are there.
# Exercise 2's cell binds y to zeros; the thread replaces it with the right answer.
# A secure grader gives exercise 3 nothing (its cells bind neither name), and nothing to any
# exercise that ran while the thread was alive (it cannot tell which code made the answer).
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: zero
# %% single_layer_sum
import threading
import time

_g = globals()


def _keep():
    while True:
        time.sleep(0.001)
        try:
            if "W1" in _g and tuple(_g["features"].shape) == (1, 3):
                h = activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
                _g["h"], _g["output"] = h, activation(torch.mm(h, _g["W2"]) + _g["B2"])
            elif tuple(_g["features"].shape) == (1, 5) and "y_ok" in _g:
                _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1))
                                     + _g["bias"])
        except Exception:
            pass


threading.Thread(target=_keep, daemon=True).start()
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y_ok = True
y = torch.zeros(1, 1)
time.sleep(0.05)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
