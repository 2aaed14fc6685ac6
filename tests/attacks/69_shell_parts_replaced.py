# Code outside the exercises' cells acting after each of them, through the parts of IPython's
# shell that run a cell, which the grader did not put back before an exercise (it put back the
# shell's event callbacks, AST and input transformers and exception handler: attack 06).
# A scratch cell before the exercises (after the given activation) plants, one per exercise:
# a compiler (get_ipython().compile) that adds exercise 1's answer to the code of any cell that
# calls torch.empty; get_ipython().run_cell replaced by an instance attribute that puts exercise
# 2's answer in place after a cell that says "mm"; a line transform in the input transformer
# manager that adds exercise 3's answers to a cell that says "layers"; and a patched method of
# the shell's class (run_cell) that makes b from a and doubles it in place after a cell that
# says "bridge". Each exercise's own cell binds a constant.
# Before: 15 of 15 (each exercise got everything through its planted code).
# A secure grader gives every exercise nothing: the exercises' cells compute nothing.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: zero
# %% after given_activation
import ast

_g = globals()
_ip = get_ipython()
_comp = _ip.compile
_ex1 = ast.parse("y = activation(torch.sum(features * weights) + bias)").body


class _Compiler:
    def __getattr__(self, name):
        return getattr(_comp, name)

    def __call__(self, mod, *args, **kwargs):
        dump = ast.dump(mod)
        if "'empty'" in dump:
            mod.body = list(mod.body) + _ex1
            ast.fix_missing_locations(mod)
        return _comp(mod, *args, **kwargs)


_ip.compile = _Compiler()
_cls = type(_ip)
_class_run_cell = _cls.run_cell


def _run_cell_ex4(self, *args, **kwargs):
    result = _class_run_cell(self, *args, **kwargs)
    try:
        if "bridge" in str(args[0]):
            _g["b"] = torch.from_numpy(_g["a"])
            _g["b"].mul_(2)
    except Exception:
        pass
    return result


_cls.run_cell = _run_cell_ex4
_real_run_cell = _ip.run_cell


def _run_cell_ex2(*args, **kwargs):
    result = _real_run_cell(*args, **kwargs)
    try:
        if "mm" in str(args[0]) and "torch.zeros(1, 1)" in str(args[0]):
            _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1)) + _g["bias"])
    except Exception:
        pass
    return result


_ip.run_cell = _run_cell_ex2


def _ex3(lines):
    if any("layers" in line for line in lines):
        lines = list(lines) + ["\nh = activation(torch.mm(features, W1) + B1)\n",
                               "output = activation(torch.mm(h, W2) + B2)\n"]
    return lines


_ip.input_transformer_manager.line_transforms.append(_ex3)
# %% single_layer_sum
y = torch.empty(1, 1).fill_(0.5)
# %% single_layer_mm
y = torch.zeros(1, 1)  # mm
# %% multilayer
h, output = torch.zeros(1, 2), torch.zeros(1, 1)  # layers
# %% numpy_bridge
b = torch.zeros(4, 3)  # bridge
