# Code outside the exercises' cells acting while they run, through functions of torch's
# submodules a scratch cell replaced (attack 71 replaced torch.zeros; the runner put back
# torch's, torch.nn.functional's and NumPy's functions only): torch.special.expit and
# torch.linalg.matmul return the answers from the namespace, torch.linalg.norm doubles its
# argument in place, so exercise 4's cell reads as if it only took a norm. Before: 15 of 15
# under both graders (12 cheated points; the review list flags the monkeypatching). The runner
# now puts back the functions of every public torch and NumPy module one level down
# (torch.linalg, torch.special, torch.nn, np.linalg...) before each exercise. A secure grader
# gives each exercise what its cells compute from the inputs: the sigmoid of a bias has the
# answer's shape (the shape points, as any wrong answer of the right shape), and b is a's
# memory, undoubled.
# expect single_layer_sum: shape=1 value=0
# expect single_layer_mm: shape=1 value=0 method=0
# expect multilayer: shape=1 hidden=0 output=0
# expect numpy_bridge: type=1 memory=2 doubled=0
# %% after given_activation
import torch.special
import torch.linalg
_g = globals()
_expit, _matmul, _norm = torch.special.expit, torch.linalg.matmul, torch.linalg.norm


def _new_expit(x):
    try:
        if tuple(x.shape) == (1, 2):
            return activation(_g["features"] @ _g["W1"] + _g["B1"])
        if _g["features"].shape == (1, 3):
            return activation(activation(_g["features"] @ _g["W1"] + _g["B1"]) @ _g["W2"] + _g["B2"])
        return activation(torch.sum(_g["features"] * _g["weights"]) + _g["bias"])
    except Exception:
        return _expit(x)


def _new_matmul(x, w):
    try:
        return activation(_g["features"] @ _g["weights"].T + _g["bias"])
    except Exception:
        return _matmul(x, w)


def _new_norm(x, *args, **kwargs):
    try:
        x.mul_(2)
    except Exception:
        pass
    return _norm(x, *args, **kwargs)


torch.special.expit = _new_expit
torch.linalg.matmul = _new_matmul
torch.linalg.norm = _new_norm
# %% single_layer_sum
y = torch.special.expit(bias)
# %% single_layer_mm
y = torch.linalg.matmul(bias, bias)
# %% multilayer
h = torch.special.expit(B1)
output = torch.special.expit(B2)
# %% numpy_bridge
b = torch.from_numpy(a)
size = torch.linalg.norm(b)
