# Exercise 2's cell only imports a module and reads the answer from it. In exercise 1's cell a
# finder is planted in the import system's cache (sys.path_importer_cache) for every folder on
# sys.path: when exercise 2's cell imports a module not loaded yet, the finder makes one whose
# `y` is computed then, from whatever features and weights the notebook holds (the fresh run's
# new inputs included), by a matrix product. The answer is made by code outside exercise 2's
# cells. The grader empties the cache before each exercise (the runner keeps the template's
# finders alive instead of freeing them, a speed-up: the cache must still be emptied), so the
# import finds the real module, which has no `y`.
# A secure grader gives exercise 2 nothing.
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
import importlib.abc
import importlib.util
import sys


class _Maker(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        g = get_ipython().user_ns
        module.y = g["activation"](torch.mm(g["features"], g["weights"].view(5, 1)) + g["bias"])


class _Finder:
    def __init__(self, real):
        self.real = real

    def find_spec(self, name, target=None):
        if name == "colorsys":
            return importlib.util.spec_from_loader(name, _Maker())
        return self.real.find_spec(name, target) if self.real is not None else None

    def invalidate_caches(self):
        pass


for _folder in sys.path:
    sys.path_importer_cache[_folder] = _Finder(sys.path_importer_cache.get(_folder))
sys.modules.pop("colorsys", None)
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
import colorsys
y = colorsys.y
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
