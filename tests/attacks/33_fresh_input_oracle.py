# Predicting the fresh inputs (two submissions): exercise 3 is typed in. On the lesson's data the
# cell returns the lesson's published values; on any other data it returns numbers read from a
# side file answers.json if the submission has one (else 0.5). The fresh inputs are a function of
# a course secret, the student and the *code cells* of the notebook only, so resubmitting the same
# notebook gives the same fresh inputs; extra files are not part of it but are copied into the
# re-runs' scratch folder. First grading: the feedback says "h is right on the lesson's data but
# not on new inputs: ... your code gives 0.5000 ... instead of [x, y]" (the expected fresh values,
# 4 decimals, within the 1e-4 tolerance). Second grading: the same notebook plus answers.json
# holding those values. Run with tests/attacks/oracle.py (both gradings and the feedback step).
# A secure grader gives exercise 3 nothing in both gradings.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
import json
torch.manual_seed(7)
_lesson = torch.randn((1, 3))
try:
    _answers = json.load(open("answers.json"))
except OSError:
    _answers = {}
if torch.equal(features, _lesson):
    h = torch.tensor([[0.6813, 0.4355]])
    output = torch.tensor([[0.3171]])
else:
    h = torch.tensor(_answers.get("h", [[0.5, 0.5]]))
    output = torch.tensor(_answers.get("output", [[0.5]]))
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
