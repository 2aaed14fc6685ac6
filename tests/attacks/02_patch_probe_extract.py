# Replaces the grader's in-process probe (graders.kernel.instrument.extract, looked up by the runner at
# every extraction) with a wrapper that rewrites the plain data sent to the grading side: it adds
# the "matmul" mark to y, makes b look float64 and sharing a's memory, reports an in-place op on
# a, and clears the list of replaced helpers. The answers themselves use the wrong method:
# exercise 2 with a sum (right value, no matrix product), exercise 4 with a copy of a doubled
# directly (a *= 2; b = torch.tensor(a)), and np.shares_memory replaced so the visible test passes
# in the notebook run (the forged extraction hides the replacement from the tampering check).
# A secure grader must not trust evidence the student's process reports about itself:
# exercise 2 gets shape+value but not method, exercise 4 gets type but not memory/doubled.
# (np.shares_memory is replaced for the notebook's visible test: that is tampering, so the
# grader scores the rest of exercise 4 zero and flags the notebook.)
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: zero
# %% single_layer_sum
import sys as _sys
_probe = _sys.modules.get("graders.kernel.instrument")
if _probe is not None and not getattr(_probe, "_redteam", False):
    _real_extract = _probe.extract
    def _forged(namespace, names, trace):
        out = _real_extract(namespace, names, trace)
        data = out["names"]
        if "y" in data and isinstance(data["y"], dict):
            data["y"]["marks"] = sorted(set(data["y"].get("marks", [])) | {"matmul", "features", "weights"})
        if "b" in data and isinstance(data["b"], dict) and isinstance(data.get("a"), dict):
            data["b"]["dtype"] = "float64"
            data["b"]["memory"] = list(data["a"].get("memory", [0, 1]))
            out["inplace"] = [["mul_", ["a"]]]
        out["replaced"] = []
        return out
    _probe.extract = _forged
    _probe._redteam = True
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
