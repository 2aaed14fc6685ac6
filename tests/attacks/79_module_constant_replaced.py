# Code outside the exercises' cells acting while they run, through a constant of torch's a
# scratch cell replaced: torch.pi becomes an object whose __radd__ computes the answers from the
# namespace, so y = bias * 0 + torch.pi (a tensor plus an object torch does not know hands the
# sum to the object) reads like a constant. The runner put back a module's functions, not its
# data. Before: 15 of 15 under both graders (11 cheated points; the review list flags the
# monkeypatching). The runner now puts back the library modules' public constants (numbers,
# strings, None) with their functions before each exercise. A secure grader gives exercises
# 1-3 nothing; exercise 4 is honest.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: full
# %% after given_activation
_g = globals()


class _Answer:
    def __radd__(self, other):
        try:
            if tuple(other.shape) == (1, 2):
                return activation(_g["features"] @ _g["W1"] + _g["B1"])
            if _g["features"].shape == (1, 3):
                h = activation(_g["features"] @ _g["W1"] + _g["B1"])
                return activation(h @ _g["W2"] + _g["B2"])
            return activation(_g["features"] @ _g["weights"].T + _g["bias"])
        except Exception:
            return other


torch.pi = _Answer()
# %% single_layer_sum
y = bias * 0 + torch.pi
# %% single_layer_mm
y = bias * 0 + torch.pi
# %% multilayer
h = B1 * 0 + torch.pi
output = B2 * 0 + torch.pi
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
