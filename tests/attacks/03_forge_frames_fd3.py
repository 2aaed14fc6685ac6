# Forges the probe's JSON frames on file descriptor 3 itself. Using gc it finds the runner's list
# of pending steps (the job spec) and turns every "extract" step into a harmless "drop" of
# nothing, so the runner never sends the real extractions; each answer cell then writes its own
# length-prefixed "extract" frames for its exercise's tests (real values, forged evidence).
# Answers: exercise 2 by a sum (no matrix product), exercise 4 a copy of a doubled directly, and
# np.shares_memory replaced so the visible test passes in the notebook run.
# A secure grader must not take the extraction from a channel the student's code can write to:
# exercise 2 method 0; exercise 4 memory 0 and doubled 0.
# (np.shares_memory is replaced for the notebook's visible test: that is tampering, so the
# grader scores the rest of exercise 4 zero and flags the notebook.)
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: zero
# %% single_layer_sum
import gc as _gc, json as _json, os as _os, struct as _struct, sys as _sys
_probe = _sys.modules.get("graders.kernel.instrument")
_removed = []
for _o in _gc.get_objects():
    if (isinstance(_o, list) and _o and all(isinstance(s, list) and s and s[0] in
            ("cell", "inject", "drop", "label", "extract") for s in _o)
            and any(s[0] == "extract" for s in _o)):
        for _i, _s in enumerate(_o):
            if _s[0] == "extract":
                _removed.append((_s[1], _s[2]))
                _o[_i] = ["drop", []]
def _forge_for(prefix):
    for key, names in _removed:
        if not key.startswith(prefix):
            continue
        out = _probe.extract(globals(), names, None)
        data = out["names"]
        if "y" in data:
            data["y"]["marks"] = ["features", "matmul", "weights"]
        if "b" in data and "a" in data:
            data["b"]["dtype"] = "float64"
            data["b"]["memory"] = list(data["a"].get("memory", [0, 1]))
        out["inplace"] = [["mul_", ["a"]]]
        out["replaced"] = []
        raw = _json.dumps({"extract": key, "data": out}).encode()
        _os.write(3, _struct.pack(">I", len(raw)) + raw)
y = activation(torch.sum(features * weights) + bias)
_forge_for("test_single_layer_sum")
# %% single_layer_mm
y = activation(torch.sum(features * weights) + bias)
_forge_for("test_single_layer_mm")
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
_forge_for("test_multilayer")
# %% numpy_bridge
np.shares_memory = lambda *args, **kwargs: True  # the visible test, in the notebook run
a *= 2
b = torch.tensor(a)
_forge_for("test_numpy_bridge")
