# Random answers in exercise 3, then an exception of the student's own named CellTimeoutError, the
# name of the runner's time-out error: a re-check that ran out of time holds nothing against the
# student, so a forged time-out would let random answers pass it. The runner tells a time-out by
# the time the cell took, not by the error's name: the exercise scores nothing, as random answers
# do (multilayer.random).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: zero
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
class CellTimeoutError(Exception):
    pass


torch.seed()  # a seed from the operating system's randomness
h = torch.rand(1, 2)
output = torch.rand(1, 1)
raise CellTimeoutError()
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
