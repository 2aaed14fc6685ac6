"""Instrument: the grader's re-run of a student's cells, on inputs the grading side chose.

Runs inside the student's (sandboxed) child, between the student's cells, as steps of the job the
grading side planned (:mod:`graders.checks.run_plan`):

* ``inject``: bind the given names to the values the grading side sent (plain numbers), as
  fresh tensors or arrays, right after the given cell that made the lesson's data;
* ``forget`` (in :mod:`graders.kernel.runner`): before an exercise's cells run, reset what
  earlier cells planted (hooks, threads' reach) and note the objects its answer names hold, so
  an answer the exercise's own cells did not rebind reads back as missing;
* ``label``: mark the input tensors (and arrays) of an exercise. A :class:`Trace`, a torch
  ``TorchFunctionMode`` active while the student's cells run, carries the marks from inputs to
  results through every torch operation, so the grading side can tell whether ``y`` came out of
  a matrix product of ``features`` and ``weights`` (whatever the syntax: ``torch.mm``, ``@``,
  ``@=``, ``matmul``, ``einsum``, ``F.linear``, ``nn.Linear``...), and whether ``b`` was
  changed in place by a torch operation, and where (the memory each in-place change wrote). In
  the fresh run the trace also gives every matrix product of the inputs ``weights`` times a
  factor the grading side chose (``scale``): the answer's values then say whether it came out
  of a product;
* ``extract``: read the answers back as plain data (kind, type, shape, dtype, values, marks) and
  send them to the grading side, which judges them (:mod:`graders.checks.verdicts`).

Nothing the student's code does here can make a wrong answer right: the grading side compares the
values with its own computation on inputs the student's code never saw before this run. Values are
read through ``torch._C.TensorBase`` and ``numpy.ndarray`` (immutable C types, captured when the
template started), so a patched ``Tensor.tolist`` changes nothing. What the probe reports beyond
values (marks, memory sharing, replaced helpers) is evidence, and says so in the security model.

Leans on torch (``TorchFunctionMode``, ``torch.overrides``) and NumPy. Written by hand: no library
tells where a tensor's values came from; the trace is this project's.
"""

from __future__ import annotations

import sys

import numpy
import torch
from torch.overrides import TorchFunctionMode, resolve_name
from torch.utils.weak import WeakIdKeyDictionary

_TensorBase = torch._C.TensorBase
_Tensor = torch.Tensor
_ndarray = numpy.ndarray
_shape, _dtype = _TensorBase.shape.__get__, _TensorBase.dtype.__get__
_tolist, _detach, _numel = _TensorBase.tolist, _TensorBase.detach, _TensorBase.numel
_data_ptr, _element_size = _TensorBase.data_ptr, _TensorBase.element_size
_is_complex, _storage = _TensorBase.is_complex, _TensorBase.untyped_storage
_nd_tolist = _ndarray.tolist
_type, _isinstance, _id, _len = type, isinstance, id, len
_no_torch_function = torch._C.DisableTorchFunction  # no mode, no subclass __torch_function__
# A tensor torch.func wraps (vmap's batched tensors): its marks are the tensor's it wraps.
_functorch = getattr(torch._C, "_functorch", None)
_is_wrapped = getattr(_functorch, "is_functorch_wrapped_tensor", None)
_unwrapped = getattr(_functorch, "get_unwrapped", None)

#: Largest answer read back, in elements; the lesson's are at most 12.
MAX_ELEMENTS = 4096

#: Results held alive by the trace per exercise, at most (see ``Trace.alive``).
MAX_ALIVE = 20_000

#: Operations that multiply matrices (torch names, without the module).
MATMUL_OPS = frozenset({
    "mm", "matmul", "__matmul__", "__rmatmul__", "__imatmul__", "bmm", "baddbmm", "addmm",
    "addbmm", "addmv", "mv", "dot", "vdot", "inner", "einsum", "tensordot", "linear",
    "bilinear", "multi_dot", "chain_matmul", "_addmm_activation", "vecdot", "linalg_vecdot",
    # sparse factors: torch.mm and torch.spmm are "mm"; torch.sparse.mm and torch.sparse.addmm
    # reach the trace by their C names (corpus 116)
    "_sparse_mm", "_sparse_addmm", "smm", "hspmm", "sspaddmm",
})
MATMUL = "matmul"

#: Operations that change their first argument (besides names ending in ``_`` and ``out=``).
IN_PLACE_DUNDERS = frozenset({
    "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
    "__ipow__", "__imatmul__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__",
    "__setitem__", "__set__",
})

#: Library functions a cheater might replace, checked at every extraction: (module, dotted).
GUARDED = [("torch", n) for n in (
    "allclose", "isclose", "equal", "eq", "sigmoid", "sum", "mm", "matmul", "from_numpy",
    "as_tensor", "testing.assert_close", "Tensor.__eq__", "Tensor.__ne__", "Tensor.__bool__",
    "Tensor.__float__", "Tensor.tolist", "Tensor.allclose", "Tensor.equal", "Tensor.numpy",
    "Tensor.item")] + [("numpy", n) for n in (
    "allclose", "isclose", "array_equal", "shares_memory", "may_share_memory",
    "testing.assert_allclose", "testing.assert_array_equal", "testing.assert_almost_equal",
    "testing.assert_array_almost_equal", "testing.assert_equal")]


def _resolve(module: str, dotted: str):
    obj = sys.modules.get(module)
    for attr in dotted.split("."):
        obj = getattr(obj, attr, None) if obj is not None else None
    return obj


#: The genuine objects, recorded when the template starts (before any student code).
_GENUINE = {(m, d): _resolve(m, d) for m, d in GUARDED}


def replaced_helpers() -> list[str]:
    """Guarded library functions that are no longer the library's own."""
    out = []
    for (module, dotted), genuine in _GENUINE.items():
        if module in sys.modules and _resolve(module, dotted) is not genuine:
            out.append(f"{'np' if module == 'numpy' else module}.{dotted}")
    if getattr(sys.modules.get("torch"), "Tensor", _Tensor) is not _Tensor:
        out.append("torch.Tensor")
    return out


class Trace(TorchFunctionMode):
    """Carries marks from the exercise's inputs to every tensor computed from them."""

    def __init__(self) -> None:
        super().__init__()
        self.marks = WeakIdKeyDictionary()
        self.arrays: dict[int, tuple[object, frozenset]] = {}  # id -> (array, marks)
        self.storages: dict[int, frozenset] = {}  # data pointer of an input -> its marks
        self.ranges: list[tuple[int, int, frozenset]] = []  # arrays' memory -> their marks
        # (op, marks of the changed tensor, [start, end) of its memory or None)
        self.inplace: list[tuple[str, frozenset, list[int] | None]] = []
        self.changed = WeakIdKeyDictionary()  # tensors changed in place by a torch operation
        self.scale: tuple[str, float] | None = None  # (input, factor) for matrix products
        self.pointers: dict[int, frozenset] = {}  # storage of marked results -> their marks
        # The tensors whose memory ``storages`` and ``pointers`` name, held so that memory is
        # not freed and given to another tensor, which would inherit their marks by address
        # (a torch.eye(1) made where a freed sum of products was: attack 63). Bounded: past
        # it, results are no longer found by their memory (only nn.Parameter(...clone()) is).
        self.alive: list = []
        # Only an exercise's own cells are followed (from its "label" step to its "extract"):
        # elsewhere, given and test cells and printing tensors, torch runs as it would.
        self.watching = False

    def reset(self, carry: bool = False) -> None:
        """Forget what the last exercise's inputs led to before the next exercise's are
        marked; ``carry``: the next exercise works on the same inputs (the trace went on
        watching between the two: exercise 1's tensors made from features and weights, such
        as float64 copies or a column of weights, are still theirs in exercise 2, as the
        products exercise 1 scaled are; corpus 106), so only the evidence of in-place changes
        is forgotten."""
        self.changed = WeakIdKeyDictionary()
        self.inplace.clear()
        if carry:
            return
        self.marks = WeakIdKeyDictionary()
        self.arrays.clear()
        self.storages.clear()
        self.ranges.clear()
        self.pointers.clear()
        self.alive = []

    def label(self, name: str, value) -> None:
        mark = frozenset({name})
        if _isinstance(value, _TensorBase):
            self.marks[value] = mark
            self.storages[_data_ptr(value)] = mark
            self.alive.append(value)
        elif _isinstance(value, _ndarray):
            self.arrays[_id(value)] = (value, mark)
            start = value.__array_interface__["data"][0]
            self.ranges.append((start, start + value.nbytes, mark))

    def of(self, value) -> frozenset:
        if _isinstance(value, _TensorBase):
            found = self.marks.get(value)
            if found is None:  # nn.Parameter(weights), torch.from_numpy(a): same memory
                try:
                    found = self._at(_data_ptr(value))
                except Exception:  # noqa: BLE001 - tensors without storage
                    found = None
            if not found and _unwrapped is not None:  # torch.vmap(torch.dot)(features, weights)
                inner = _wrapped_in(value)  # sees its inputs batched: corpus 114
                if inner is not value:
                    return self.of(inner)
            return found or frozenset()
        if _isinstance(value, _ndarray):
            entry = self.arrays.get(_id(value))
            if entry is not None and entry[0] is value:
                return entry[1]
            try:  # features.numpy(): the array is the tensor's memory (corpus 109)
                return self._at(value.__array_interface__["data"][0]) or frozenset()
            except Exception:  # noqa: BLE001 - an array without an address
                return frozenset()
        return frozenset()

    def _at(self, ptr: int) -> frozenset | None:
        """The marks of whatever marked tensor or array holds the memory at ``ptr``."""
        return self.storages.get(ptr) or self.pointers.get(ptr) or next(
            (m for lo, hi, m in self.ranges if lo <= ptr < hi), None)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if not self.watching:
            return func(*args, **kwargs)
        before = self._before_in_place(func, args, kwargs)
        if self.scale is not None:
            args, kwargs = self._scaled(func, args, kwargs)
        result = func(*args, **kwargs)
        try:
            self._follow(func, args, kwargs, result, before)
        except Exception:  # noqa: BLE001 - tracing never changes what the student's code does
            pass
        return result

    def _scaled(self, func, args, kwargs):
        """``args`` and ``kwargs`` with the scaled input's operand of a matrix product of the
        inputs times the factor (``features @ weights.T`` becomes ``features @ (factor *
        weights.T)``; with a bias, ``F.linear`` gives ``features @ (factor * weights).T + bias``;
        ``torch.mm(features, mat2=weights.T)`` alike: corpus 111)."""
        try:
            names = _op_names(func)
            if not names & MATMUL_OPS:
                return args, kwargs
            factors = _factors(names, args, kwargs)
            if not _mixes_inputs([frozenset().union(*map(self.of, f)) for f in factors]):
                return args, kwargs
            operands = [x for found in factors for x in found]
            name, factor = self.scale
            carriers = [x for x in operands if _isinstance(x, _TensorBase) and name in self.of(x)]
            if not carriers:
                return args, kwargs
            target = min(carriers, key=lambda x: _len(self.of(x)))
            with _no_torch_function():
                scaled = _TensorBase.mul(target, factor)
            self.marks[scaled] = self.of(target)
            return (_replace(args, target, scaled),
                    {key: _replace(value, target, scaled) for key, value in kwargs.items()})
        except Exception:  # noqa: BLE001 - tracing never breaks the student's code
            return args, kwargs

    def _before_in_place(self, func, args, kwargs):
        """The values of the tensor an in-place operation is about to change, when it carries
        an input's marks (so the trace can tell a real change from ``b.add_(0)``)."""
        try:
            names = {getattr(func, "__name__", "")}
            in_place = "out" in kwargs or any(
                n in IN_PLACE_DUNDERS or (n.endswith("_") and not n.startswith("_"))
                for n in names)
            target = kwargs.get("out") if "out" in kwargs else (args[0] if args else None)
            if in_place and _isinstance(target, _TensorBase) and self.of(target) and (
                    _numel(target) <= MAX_ELEMENTS):
                with _no_torch_function():
                    return _TensorBase.clone(_detach(target))
        except Exception:  # noqa: BLE001
            pass
        return None

    def _follow(self, func, args, kwargs, result, before=None) -> None:
        inputs: list = []
        _collect(args, inputs)
        _collect(kwargs, inputs)
        marks = frozenset().union(*(self.of(x) for x in inputs)) if inputs else frozenset()
        names = _op_names(func)
        if names & MATMUL_OPS and _mixes_inputs(
                [frozenset().union(*map(self.of, f)) for f in _factors(names, args, kwargs)]):
            marks |= {MATMUL}
        outputs: list = []
        _collect(result, outputs)
        for out in outputs:
            if _isinstance(out, _TensorBase):
                self.marks[out] = self.of(out) | marks
                if marks and _len(self.alive) < MAX_ALIVE:  # nn.Parameter(weights.clone())
                    try:  # shares the clone's storage
                        self.pointers[_data_ptr(out)] = self.marks[out]
                        self.alive.append(out)
                    except Exception:  # noqa: BLE001 - tensors without storage
                        pass
        in_place = "out" in kwargs or any(
            n in IN_PLACE_DUNDERS or (n.endswith("_") and not n.startswith("_")) for n in names)
        if in_place and inputs:
            target = kwargs["out"] if "out" in kwargs else inputs[0]
            if _isinstance(target, _TensorBase):
                had = self.of(target)
                self.marks[target] = had | marks
                self.changed[target] = True
                if before is not None:  # an in-place change that leaves the values as they were
                    with _no_torch_function():  # (b.add_(0)) is no change at all
                        if _TensorBase.equal(before, _detach(target)):
                            return
                # Where the change landed, not only what it came from: a clone of b carries b's
                # marks but not its memory, so its in-place change leaves the array as it was.
                # The grading side compares this with the given array's memory.
                try:
                    where = _extent(target)
                except Exception:  # noqa: BLE001 - tensors without storage
                    where = None
                self.inplace.append(
                    (sorted(names - {""})[0] if names - {""} else "?", had, where))


#: torch's name of each function the trace has seen (``resolve_name``, which also resets the
#: warnings filters on every call, costs ~30 us): id -> (function, last part of its name); the
#: function is kept, so its id is not reused. Bounded: past it, names are looked up each time.
_NAMES: dict[int, tuple[object, str]] = {}
_MAX_NAMES = 4096


def _op_names(func) -> set:
    """The names a torch call is known by: ``mm`` for ``torch.mm``, ``Tensor.mm`` and aten's
    ``torch.ops.aten.mm`` and ``torch.ops.aten.mm.default`` (an overload: ``mm.default``)."""
    name = getattr(func, "__name__", "")
    name = name if _isinstance(name, str) else ""
    return {name, name.partition(".")[0], _short_name(func)}


def _short_name(func) -> str:
    entry = _NAMES.get(_id(func))
    if entry is not None and entry[0] is func:
        return entry[1]
    name = (resolve_name(func) or "").rsplit(".", 1)[-1]
    if _len(_NAMES) < _MAX_NAMES:
        _NAMES[_id(func)] = (func, name)
    return name


def _wrapped_in(value):
    """The tensor a torch.func transform wrapped (at most 8 levels), or ``value`` itself."""
    inner = value
    try:
        for _ in range(8):
            if not _is_wrapped(inner):
                break
            inner = _unwrapped(inner)
    except Exception:  # noqa: BLE001 - tracing never breaks the student's code
        return value
    return inner


def _extent(value) -> list[int]:
    """The addresses a tensor's elements start at and end before (its data as laid out from
    its first element: what ``describe`` reports as ``memory``)."""
    start = _data_ptr(value)
    return [start, start + _numel(value) * _element_size(value)]


#: Matrix products that also add one of their arguments (by position) to the product: that
#: argument is no factor of it (``torch.addmm(bias, total, torch.eye(1))`` multiplies nothing of
#: the inputs' by the other).
ADDED_ARG = {"addmm": 0, "addmv": 0, "addbmm": 0, "baddbmm": 0, "_addmm_activation": 0,
             "_sparse_addmm": 0, "sspaddmm": 0, "linear": 2, "bilinear": 3}
#: The same argument when passed by keyword (``torch.addmm(input=bias, mat1=..., mat2=...)``).
ADDED_KEYWORD = {"addmm": "input", "addmv": "input", "addbmm": "input", "baddbmm": "input",
                 "_addmm_activation": "input", "_sparse_addmm": "input", "sspaddmm": "input",
                 "linear": "bias", "bilinear": "bias"}


def _factors(names: set, args, kwargs=None) -> list[list]:
    """The tensors of each factor of a matrix product: each argument, positional or by keyword
    (``torch.mm(features, mat2=weights.T)``: corpus 111), or each item of a list argument
    (``multi_dot([features, weights.T])``), the added argument and ``out=`` left out."""
    skip = next((ADDED_ARG[n] for n in names if n in ADDED_ARG), None)
    skip_key = next((ADDED_KEYWORD[n] for n in names if n in ADDED_KEYWORD), None)
    given = list(args if _isinstance(args, (tuple, list)) else (args,))
    given = [arg for i, arg in enumerate(given) if i != skip]
    given += [arg for key, arg in (kwargs or {}).items() if key not in (skip_key, "out")]
    out = []
    for arg in given:
        for item in (arg if _isinstance(arg, (list, tuple)) else (arg,)):
            found: list = []
            _collect(item, found)
            out.append(found)
    return out


def _mixes_inputs(marks: list[frozenset]) -> bool:
    """A matrix product counts when two of its factors carry different inputs' marks (features
    on one side, weights on the other), e.g. not ``torch.mm(torch.eye(1), torch.eye(1))``, and
    not a product whose one factor carries both while the other carries none (the sum of
    products through ``torch.mm(total, torch.eye(1))`` or ``(features * weights) @ ones``:
    attack 63). ``marks``: one set per factor."""
    sides = [m - {MATMUL} for m in marks]
    for i, first in enumerate(sides):
        for second in sides[i + 1:]:
            if first and second and (_len(first | second) >= 2):
                return True
    return False


def _replace(value, old, new, depth: int = 0):
    """``value`` (args: tuples, lists) with ``old`` replaced by ``new``, once."""
    if value is old:
        return new
    if depth < 3 and _isinstance(value, (list, tuple)):
        items = [_replace(item, old, new, depth + 1) for item in value]
        return _type(value)(items) if _type(value) in (list, tuple) else value
    return value


def _collect(value, into: list, depth: int = 0) -> None:
    if depth > 3:
        return
    if _isinstance(value, (_TensorBase, _ndarray)):
        into.append(value)
    elif _isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, into, depth + 1)
    elif _isinstance(value, dict):
        for item in value.values():
            _collect(item, into, depth + 1)


# --------------------------------------------------------------------------- steps
def inject(namespace: dict, values: dict) -> None:
    """Bind each name to a tensor or array holding the values the grading side chose. A name
    that holds exactly those values already keeps its object, so helpers made from it before
    (a view of ``weights``, say) still see the same data. A ``readonly`` array is a view of
    immutable bytes: NumPy cannot write into it nor make it writeable again, a tensor sharing
    its memory (``torch.from_numpy``) can."""
    with _no_torch_function():
        for name, spec in values.items():
            old = namespace.get(name)
            if spec["kind"] == "ndarray":
                value = numpy.array(spec["values"], dtype=spec["dtype"])
                readonly = bool(spec.get("readonly"))
                if (_type(old) is _ndarray and old.dtype == value.dtype
                        and old.shape == value.shape and bool((old == value).all())
                        and not (readonly and old.flags.writeable)):
                    continue
                if readonly:
                    value = numpy.frombuffer(bytes(value.tobytes()),
                                             dtype=value.dtype).reshape(value.shape)
            else:
                value = torch.tensor(spec["values"], dtype=getattr(torch, spec["dtype"]))
                if (_isinstance(old, _TensorBase) and _dtype(old) == _dtype(value)
                        and tuple(_shape(old)) == tuple(_shape(value))
                        and _TensorBase.equal(_detach(old), value)):
                    continue
            namespace[name] = value


def describe(value, trace: Trace | None = None) -> dict:
    """Plain data about ``value``: what the grading side needs to judge it."""
    kind = _type(value)
    if _isinstance(value, _TensorBase):
        shape = list(_shape(value))
        info = {"kind": "tensor", "type": kind.__name__, "exact": kind is _Tensor,
                "shape": shape, "dtype": str(_dtype(value)).replace("torch.", "")}
        if _numel(value) <= MAX_ELEMENTS and not _is_complex(value):
            try:
                info["values"] = _tolist(_detach(value))
            except Exception as err:  # noqa: BLE001 - e.g. a meta tensor
                info["unreadable"] = f"{_type(err).__name__}: {err}"
        if trace is not None:
            info["marks"] = sorted(trace.of(value))
            info["changed_in_place"] = trace.changed.get(value, False)
        try:
            info["memory"] = _extent(value)
        except Exception:  # noqa: BLE001
            pass
        return info
    if _isinstance(value, _ndarray):
        info = {"kind": "ndarray", "type": kind.__name__, "shape": list(value.shape),
                "dtype": str(value.dtype)}
        if value.size <= MAX_ELEMENTS and value.dtype.kind in "fiub":
            info["values"] = _nd_tolist(value)
        start = value.__array_interface__["data"][0]
        info["memory"] = [start, start + value.nbytes]
        if trace is not None:
            info["marks"] = sorted(trace.of(value))
        return info
    if kind in (int, float, bool):
        return {"kind": "number", "type": kind.__name__, "value": float(value)}
    return {"kind": "other", "type": kind.__name__}


MISSING = {"kind": "missing"}


def values(value):
    """The values of a tensor or array as nested lists (None for anything else)."""
    with _no_torch_function():
        info = describe(value)
    return info.get("values") if info.get("kind") in ("tensor", "ndarray") else None


def extract(namespace: dict, names: list[str], trace: Trace | None, _describe=describe,
            _replaced=replaced_helpers, kept: dict | None = None,
            given: dict | None = None) -> dict:
    """The answers ``names`` as plain data, plus what the grading side treats as evidence.
    ``kept``: the objects the answer names held before the exercise (an answer still bound to
    one was not made by the exercise's cells: it reads as missing, ``"kept": true``);
    ``given``: the input objects the exercise started with (is the name still bound to it, and
    where its memory is and what it holds now)."""
    kept, given = kept or {}, given or {}
    with _no_torch_function():
        data = {}
        for name in names:
            if name not in namespace:
                data[name] = MISSING
            elif name in kept and namespace[name] is kept[name]:
                data[name] = {"kind": "missing", "kept": True}
            else:
                data[name] = _describe(namespace[name], trace)
        start = {}
        for name, obj in given.items():
            info = _describe(obj, None)
            start[name] = {"same": namespace.get(name) is obj, "memory": info.get("memory"),
                           "values": info.get("values")}
    out = {"names": data, "replaced": _replaced(), "given": start}
    if trace is not None:
        # (an entry the student's code appended without its memory is sent as it is: the
        # grading side counts it for nothing)
        out["inplace"] = [[op, sorted(marks), *where] for op, marks, *where in trace.inplace]
    return out
