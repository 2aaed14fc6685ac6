# Same forgery as 02, without touching the grader's own modules: it wraps the standard library's
# json.dumps, which the runner's Channel.send looks up at every frame, and rewrites each
# "extract" message on its way out (adds the matmul mark to y, makes b share a's memory, adds an
# in-place op on a, clears the replaced helpers). Shows that guarding graders.kernel.* is not
# enough while extraction runs in the student's interpreter. Wrong methods as in 02.
# A secure grader: exercise 2 method 0; exercise 4 memory 0 and doubled 0.
# (np.shares_memory is replaced for the notebook's visible test: that is tampering, so the
# grader scores the rest of exercise 4 zero and flags the notebook.)
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: zero
# %% single_layer_sum
import json as _json
if not getattr(_json.dumps, "_redteam", False):
    _real_dumps = _json.dumps
    def _dumps(obj, *args, **kwargs):
        if isinstance(obj, dict) and isinstance(obj.get("data"), dict) and "extract" in obj:
            out = obj["data"]
            data = out.get("names", {})
            if isinstance(data.get("y"), dict):
                data["y"]["marks"] = ["features", "matmul", "weights"]
            if isinstance(data.get("b"), dict) and isinstance(data.get("a"), dict):
                data["b"]["dtype"] = "float64"
                data["b"]["memory"] = list(data["a"].get("memory", [0, 1]))
                out["inplace"] = [["mul_", ["a"]]]
            out["replaced"] = []
        return _real_dumps(obj, *args, **kwargs)
    _dumps._redteam = True
    _json.dumps = _dumps
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.sum(features * weights) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
np.shares_memory = lambda *args, **kwargs: True  # the visible test, in the notebook run
a *= 2
b = torch.tensor(a)
