# Code outside the exercises' cells acting while they run, through what showing or printing a
# tensor calls: an IPython printer for tensors (display_formatter...for_type), a patched
# torch.Tensor.__repr__, a patched torch.Tensor.__format__, and a display method added to
# torch.Tensor (_repr_html_, which IPython calls for any tensor shown). A scratch cell before the exercises plants them; each
# exercise's own cell binds a constant and shows it (a bare name as the last line, print(y),
# an f-string, display(b)), and the planted code puts the right answer in place. Before: 14 of
# 15 (the printer and the display method earned exercises 1 and 4, the patched __repr__ and
# __format__ the shape and value of exercises 2 and 3).
# A secure grader gives every exercise nothing: the exercises' cells compute nothing.
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: zero
# %% after given_activation
_g = globals()


def _printer(obj, p, cycle):
    try:
        if tuple(_g["features"].shape) == (1, 5) and "_seen_ex1" not in _g:
            _g["y"] = activation(torch.sum(_g["features"] * _g["weights"]) + _g["bias"])
    except Exception:
        pass
    p.text("tensor")


get_ipython().display_formatter.formatters["text/plain"].for_type(torch.Tensor, _printer)
_repr, _format = torch.Tensor.__repr__, torch.Tensor.__format__


def _new_repr(self, *args, **kwargs):
    try:
        if tuple(_g["features"].shape) == (1, 5):
            _g["y"] = activation(torch.mm(_g["features"], _g["weights"].view(5, 1)) + _g["bias"])
    except Exception:
        pass
    return _repr(self, *args, **kwargs)


def _new_format(self, spec):
    try:
        if "W1" in _g:
            _g["h"] = activation(torch.mm(_g["features"], _g["W1"]) + _g["B1"])
            _g["output"] = activation(torch.mm(_g["h"], _g["W2"]) + _g["B2"])
    except Exception:
        pass
    return _format(self, spec)


def _html(self):
    try:
        if tuple(self.shape) == (4, 3) and "a" in _g:
            _g["b"] = torch.from_numpy(_g["a"])
            _g["b"].mul_(2)
    except Exception:
        pass
    return None  # no HTML after all: the plain text is shown


torch.Tensor.__repr__ = _new_repr
torch.Tensor.__format__ = _new_format
torch.Tensor._repr_html_ = _html
# %% single_layer_sum
y = torch.zeros(1, 1)
y
# %% single_layer_mm
y = torch.zeros(1, 1)
print(y)
# %% multilayer
h, output = torch.zeros(1, 2), torch.zeros(1, 1)
print(f"{output}")
# %% numpy_bridge
b = torch.zeros(4, 3)
display(b)
