"""Runner: one child process, forked from the template, that runs one job's steps.

A job is what the grading side planned (:mod:`graders.engine.pool`): the notebook's code cells in
order, and in the grader's own re-runs also the probe steps of :mod:`graders.kernel.instrument`. The
child first seals itself (:mod:`graders.kernel.confine`), then runs each cell in IPython's
``InteractiveShell``, the same shell an ipykernel wraps, so magics (``%time``, ``%%time``),
``!echo``, the display formatter and tracebacks behave as in Jupyter.

How outputs leave the child (plain data only, never pickles), in order:

* everything Python writes to ``sys.stdout``/``sys.stderr``, and every ``display_data``,
  ``execute_result`` and ``error``, cell boundary and probe extraction, goes as length-prefixed
  JSON frames on the channel, file descriptor 3, in the order it happened (stream text is
  batched and sent before any other frame). Stream text beyond ``max_stream_bytes`` per cell is
  counted, not sent; a bundle that cannot be serialised or is too large is replaced by a note;
* what reaches file descriptors 1 and 2 directly (``!echo``, a subprocess, C code) goes into
  pipes that a thread of the child reads and forwards on the channel as stream text, as an
  ipykernel's output capture does; before a cell's end is reported, the child waits until the
  pipes are empty and forwarded, so the output lands in the cell that made it, however slow
  the machine.

As nbgrader's ``Execute`` does with an error reply, a cell that failed without an error output
gets one. None of this is trusted: the student's code shares this process and can forge any of
it; the points are decided by the grading side (:mod:`graders.checks`).

Also written by hand: a soft time limit per cell (``CellTimeoutError`` raised in the cell, as
nbclient's interrupt does; the grading side kills the child a few seconds later if the cell
ignores it).
"""

from __future__ import annotations

import array
import builtins
import codecs
import contextlib
import ctypes
import fcntl
import functools
import gc
import inspect
import io
import json
import os
import queue
import select
import signal
import struct
import sys
import termios
import threading
import time
import types
import warnings
from collections.abc import Callable
from concurrent.futures import thread as _futures_thread

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from .. import protocol
from ..protocol import CellEnd, Crash, Done, Extracted, Ready, Start, Stream
from . import confine, instrument

# Captured when the template imports this module, before any student code runs: a submission
# that replaces json.dumps or os.write does not change what the runner sends.
_dumps, _os_write, _pack = json.dumps, os.write, struct.pack
_encode, _step_fields = protocol.encode, protocol.step_fields
_recheck_limits = protocol.recheck_limits
_filterwarnings = warnings.filterwarnings

CHANNEL_FD = 3
RAW_READ_FDS = (4, 5)  # the read ends of the pipes on fds 1 and 2
STREAM_BATCH = 64 * 1024
RAW_DRAIN_WAIT = 5.0  # seconds a cell's end waits at most for its raw output to be forwarded
# (the grading side may say otherwise: spec["drain_wait"], which its cell deadline allows for)
ALLOCATION_FAILED = "can't allocate memory"  # how torch's CPU allocator says it
MAX_OUTPUT_BYTES = 2 * 2**20  # one display or error output, as JSON


class CellTimeoutError(BaseException):
    """Raised inside a cell that ran past the per-cell timeout (BaseException, like nbclient's
    KeyboardInterrupt, so that ``except Exception`` in student code does not swallow it)."""


class Channel:
    """Length-prefixed JSON frames to the grading side, with Python's stream text batched in
    (and flushed before any other frame, so the order of prints and displays is kept)."""

    def __init__(self, fd: int, max_stream_bytes: int = 2**20) -> None:
        self.fd, self.max_stream_bytes = fd, max_stream_bytes
        self.lock = threading.RLock()  # the main thread and the raw-output forwarder
        self.pending: list[tuple[str, list[str]]] = []
        self.muted = False  # the grader's own extra run of cells: its output goes nowhere
        self.pending_size = 0
        self.sent = {"stdout": 0, "stderr": 0}  # this cell's stream bytes, sent or dropped
        self.dropped = {"stdout": 0, "stderr": 0}

    def _write(self, message: protocol.Message) -> None:
        data = _dumps(_encode(message)).encode()
        view = memoryview(_pack(">I", len(data)) + data)
        # A frame is written whole: the cell's timeout signal waits until it is out.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            while view:
                view = view[_os_write(self.fd, view):]
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})

    def stream(self, name: str, text: str) -> None:
        if self.muted:
            return
        with self.lock:
            self._stream(name, text)

    def _stream(self, name: str, text: str) -> None:
        room = self.max_stream_bytes - self.sent[name]
        self.sent[name] += len(text)
        if room <= 0:
            self.dropped[name] += len(text)
            return
        if len(text) > room:
            self.dropped[name] += len(text) - room
            text = text[:room]
        if self.pending and self.pending[-1][0] == name:
            self.pending[-1][1].append(text)
        else:
            self.pending.append((name, [text]))
        self.pending_size += len(text)
        if self.pending_size >= STREAM_BATCH:
            self._flush()

    def flush(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        pending, self.pending, self.pending_size = self.pending, [], 0
        for name, chunks in pending:
            text = "".join(chunks)
            for start in range(0, len(text), STREAM_BATCH):
                self._write(Stream(name, text[start:start + STREAM_BATCH]))

    def send(self, message: protocol.Message) -> None:
        with self.lock:
            self._flush()
            self._write(message)

    def new_cell(self) -> dict:
        """Start counting a new cell's stream text; returns what the last cell dropped."""
        with self.lock:
            dropped = {k: v for k, v in self.dropped.items() if v}
            self.sent = {"stdout": 0, "stderr": 0}
            self.dropped = {"stdout": 0, "stderr": 0}
            return dropped


class RawOutput(threading.Thread):
    """Forwards what reaches fds 1 and 2 (subprocesses, C code) to the channel, in order."""

    def __init__(self, channel: Channel, drain_wait: float = RAW_DRAIN_WAIT) -> None:
        super().__init__(daemon=True, name="graders-raw-output")
        self.channel, self.drain_wait = channel, drain_wait
        self.names = {RAW_READ_FDS[0]: "stdout", RAW_READ_FDS[1]: "stderr"}
        self.decoders = {fd: codecs.getincrementaldecoder("utf-8")("replace")
                         for fd in RAW_READ_FDS}
        self.busy = False

    def run(self) -> None:
        open_fds = list(RAW_READ_FDS)
        while open_fds:
            readable, _, _ = select.select(open_fds, [], [])
            for fd in readable:
                self.busy = True
                data = os.read(fd, 65536)
                if not data:
                    open_fds.remove(fd)
                else:
                    self.channel.stream(self.names[fd], self.decoders[fd].decode(data))
                self.busy = False

    def drained(self) -> bool:
        size = bytearray(4)
        for fd in RAW_READ_FDS:
            fcntl.ioctl(fd, termios.FIONREAD, size)
            if int.from_bytes(size, sys.byteorder):
                return False
        return not self.busy

    def wait(self) -> None:
        """Until what the cell wrote to fds 1 and 2 has been forwarded (a writer that never
        stops, such as a background process, only costs the wait)."""
        deadline = time.monotonic() + self.drain_wait
        while time.monotonic() < deadline and not self.drained():
            time.sleep(0.0005)


class _ChannelStream(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr``: text straight into the channel."""

    def __init__(self, channel: Channel, name: str) -> None:
        self._channel, self._name = channel, name

    def write(self, text) -> int:
        text = str(text)
        self._channel.stream(self._name, text)
        return len(text)

    def flush(self) -> None:
        self._channel.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return "utf-8"

    @property
    def name(self) -> str:
        return f"<{self._name}>"


def _fit(output: dict) -> dict:
    """``output`` if it can be sent, else a note saying why it was dropped."""
    try:
        size = len(json.dumps(output))
    except (TypeError, ValueError) as err:
        reason = f"it could not be saved ({type(err).__name__}: {err})"
    else:
        if size <= MAX_OUTPUT_BYTES:
            return output
        reason = f"it was {size / 2**20:.1f} MB, more than the {MAX_OUTPUT_BYTES // 2**20} MB kept"
    note = f"[{output.get('output_type', 'output')} dropped by the grader: {reason[:300]}]"
    return {"output_type": "display_data", "data": {"text/plain": note}, "metadata": {}}


class _OutputDisplayHook(DisplayHook):
    """Turns a cell's last expression into an ``execute_result`` (as ipykernel's hook does)."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        self.shell.emit({"output_type": "execute_result",
                         "execution_count": self.shell.execution_count,
                         "data": format_dict, "metadata": md_dict or {}})

    def finish_displayhook(self) -> None:
        pass


class _OutputDisplayPublisher(DisplayPublisher):
    """Turns ``display(...)`` calls into ``display_data`` outputs."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
        self.shell.emit({"output_type": "display_data", "data": data,
                         "metadata": metadata or {}})

    def clear_output(self, wait=False) -> None:
        self.shell.emit({"output_type": "clear_output"})


class CapturingShell(InteractiveShell):
    """An IPython shell whose outputs go to the grading side instead of a terminal."""

    displayhook_class = _OutputDisplayHook
    display_pub_class = _OutputDisplayPublisher
    channel: Channel | None = None
    reporting = True
    errors_sent = 0
    memory_cap_bytes = 0
    timeout = 0.0

    def emit(self, output: dict) -> None:
        if output.get("output_type") == "error":
            self.errors_sent += 1
        if self.reporting and self.channel is not None:
            self.channel.send(protocol.Output(_fit(output)))

    def _showtraceback(self, etype, evalue, stb) -> None:
        ename, text = etype.__name__, str(evalue)
        if issubclass(etype, CellTimeoutError):
            text = f"the cell ran longer than the {self.timeout:g} s timeout and was interrupted"
            stb = [f"CellTimeoutError: {text}"]
        elif issubclass(etype, RuntimeError) and ALLOCATION_FAILED in text:
            ename = "MemoryError"
            text = (f"the cell tried to allocate more memory than a submission may use "
                    f"({self.memory_cap_bytes / 2**30:g} GiB): {text.splitlines()[0]}")
            stb = [f"MemoryError: {text}"]
        self.last_error = (ename, text)
        self.emit({"output_type": "error", "ename": ename, "evalue": text,
                   "traceback": list(stb)})

    def _get_exc_info(self, exc_tuple=None):
        """The error to show, without the grader's trace frames: an error in a torch call made
        while the trace watches (the notebook's run is also the seeded re-run) reads as it does
        in Jupyter, not as one in ``graders/kernel/instrument.py``."""
        etype, value, tb = super()._get_exc_info(exc_tuple)
        return etype, value, _without_frames_of(tb, instrument)

    def init_io(self) -> None:  # keep the process's streams: fds 1 and 2 are the grader's pipes
        pass

    def should_run_async(self, raw_cell, *, transformed_cell=None, preprocessing_exc_tuple=None):
        """As IPython's, without compiling the cell once more to look for a top-level ``await``,
        ``async for`` or ``async with`` when its (ASCII) text has neither word: such a cell
        cannot be a coroutine."""
        if (isinstance(transformed_cell, str) and transformed_cell.isascii()
                and "await" not in transformed_cell and "async" not in transformed_cell):
            return False
        return super().should_run_async(raw_cell, transformed_cell=transformed_cell,
                                        preprocessing_exc_tuple=preprocessing_exc_tuple)

    def system(self, cmd):
        """``!cmd`` runs with the process's own descriptors, so its output reaches the grader's
        pipes (the default, ``system_piped``, needs a pseudo-terminal, which the sandbox does
        not open); Python's pending output goes first."""
        if self.channel is not None:
            self.channel.flush()
        return self.system_raw(cmd)


def _without_frames_of(tb, module: types.ModuleType):
    """``tb`` with the entries of frames running ``module``'s code left out."""
    kept = []
    while tb is not None:
        if tb.tb_frame.f_globals is not module.__dict__:
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for entry in reversed(kept):
        out = types.TracebackType(out, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return out


def new_shell() -> CapturingShell:
    """The process's shell: made once in the template, so a forked child finds it ready."""
    if CapturingShell.initialized():
        return CapturingShell.instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    shell = CapturingShell.instance(config=config)
    _shell_parts(shell)  # as the template made them (see _ShellHooks)
    return shell


def _on_timeout(signum, frame):
    raise CellTimeoutError()


def _streams(channel: Channel) -> None:
    """Python-level stdout and stderr into the channel (fds 1 and 2 stay the raw pipes)."""
    for name in ("stdout", "stderr"):
        stream = _ChannelStream(channel, name)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _run_cell(shell: CapturingShell, source: str, timeout: float) -> tuple[str, str] | None:
    """Run one cell; returns (ename, evalue) if it failed."""
    shell.last_error = None
    errors_before = shell.errors_sent
    signal.setitimer(signal.ITIMER_REAL, timeout if timeout and timeout > 0 else 0)
    try:
        result = shell.run_cell(source, store_history=True)
    except CellTimeoutError:  # landed between IPython's own steps, outside user code
        shell._showtraceback(CellTimeoutError, CellTimeoutError(), [])
        result = None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    failed = result is None or not getattr(result, "success", False)
    if failed and shell.errors_sent == errors_before:  # nbgrader's Execute does the same
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec",
                                                                  None)
        ename = type(error).__name__ if error is not None else "Error"
        shell.emit({"output_type": "error", "ename": ename, "evalue": str(error or ""),
                    "traceback": [f"{ename}: {error or 'the cell failed'}"]})
        shell.last_error = (ename, str(error or ""))
    return shell.last_error if failed else None


class _ShellHooks:
    """The shell's hooks as the template made them, to put back before each exercise of a
    re-run: a callback an earlier cell registered (``post_run_cell`` re-assigning ``y``, say),
    an input or AST transformer, a custom exception handler, must not act on a later exercise."""

    def __init__(self, shell: CapturingShell) -> None:
        self.shell = shell
        self.events = {name: list(cbs) for name, cbs in shell.events.callbacks.items()}
        self.ast = list(shell.ast_transformers)
        self.inputs = list(shell.input_transformers_post)
        self.cleanup = list(shell.input_transformers_cleanup)
        self.custom = (shell.custom_exceptions, shell.CustomTB)
        self.showtraceback = CapturingShell._showtraceback
        # The parts that run a cell (compile and transform it, show its result, record it),
        # as the template made them: an earlier cell could replace one, or a method of one, and
        # so act after every later cell (get_ipython().run_cell = ..., a line transform, a
        # printer for tensors: attacks 69, 70).
        self.transforms, self.guard = _shell_parts(shell)
        self.seen = self.guard.look()

    def restore(self) -> None:
        shell = self.shell
        self.guard.check(self.seen)
        for manager, name, items in self.transforms:
            if getattr(manager, name) != items:
                getattr(manager, name)[:] = items
        for name, callbacks in self.events.items():
            shell.events.callbacks[name] = list(callbacks)
        shell.ast_transformers[:] = self.ast
        shell.input_transformers_post[:] = self.inputs
        shell.input_transformers_cleanup[:] = self.cleanup
        shell.custom_exceptions, shell.CustomTB = self.custom
        shell.__dict__.pop("_showtraceback", None)  # an instance attribute shadowing ours


#: The shell's parts a cell runs through (see :class:`_ShellHooks`).
SHELL_PARTS = ("events", "history_manager", "displayhook", "display_pub", "display_trap",
               "builtin_trap", "compile", "input_transformer_manager", "display_formatter",
               "InteractiveTB", "SyntaxTB", "hooks", "magics_manager", "extension_manager",
               "payload_manager", "prefilter_manager", "alias_manager")
#: A display formatter's tables of printers (``for_type`` adds to them).
PRINTERS = ("type_printers", "deferred_printers", "singleton_printers")
#: The transformer manager's lists of transforms run on every cell's text.
TRANSFORMS = ("cleanup_transforms", "line_transforms", "token_transformers")

_NOTHING = object()
HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE


if sys.version_info[:2] == (3, 11):
    _version_at = ctypes.c_uint64.from_address

    def _versions(addresses: array.array) -> array.array:
        """The versions of the dicts at ``addresses`` (CPython 3.11's ``ma_version_tag``,
        changed by every change of a dict), read without touching the dicts' values or
        reference counts."""
        return array.array("Q", [_version_at(address + 24).value for address in addresses])
else:  # pragma: no cover - the package needs 3.11; elsewhere every look finds a change
    _looks = iter(range(1, 2**63))

    def _versions(addresses: array.array) -> array.array:
        return array.array("Q", [next(_looks) for _ in addresses])


def _called_implicitly(name: str) -> bool:
    """Whether Python or IPython looks ``name`` up on a class by itself (a dunder, a display
    method): added to a class by a cell, it runs code no later cell shows."""
    return (name.startswith("__") and name.endswith("__")) or name.startswith(
        ("_repr_", "_ipython_"))


#: A module's constants put back with its functions (``torch.pi`` replaced by an object whose
#: ``__radd__`` computes the answer: ``y = bias * 0 + torch.pi``, attack 79).
_CONSTANTS = (int, float, complex, bool, str, type(None))


class _Table:
    """A dict of the library's or the shell's as it was before any student code ran (recorded
    in the template), put back by :meth:`restore`: a module's functions (``torch.zeros``
    replaced) and constants (``torch.pi``), an object's methods (an instance attribute that
    replaces or shadows one), a class's attributes (a patched method; an added dunder or
    display method, or one that overrides a base class's), a formatter's printers
    (``for_type``). Other plain data (counters, caches) is left as it is, and so are
    ``keep``'s names (the probe's own business: instrument.GUARDED)."""

    __slots__ = ("owner", "attr", "kind", "table", "entries", "keep")

    def __init__(self, owner, kind: str, attr: str = "", keep=frozenset()) -> None:
        self.owner, self.kind, self.attr, self.keep = owner, kind, attr, keep
        if kind == "class":  # the dict behind the class's read-only mapping
            self.table = gc.get_referents(vars(owner))[0]
        elif kind == "printers":
            self.table = getattr(owner, attr)
        else:
            self.table = vars(owner)
        if kind in ("class", "printers"):
            self.entries = dict(self.table)
        else:
            self.entries = {k: v for k, v in self.table.items() if k not in keep and (
                callable(v) or (kind == "module" and type(v) in _CONSTANTS
                                and not k.startswith("_")))}

    def restore(self) -> None:
        kind, owner, current = self.kind, self.owner, self.table
        if kind == "printers":
            if getattr(owner, self.attr, None) is not current:  # formatter.type_printers = {}
                setattr(owner, self.attr, current)
            if current != self.entries:
                current.clear()
                current.update(self.entries)
        elif kind == "class":
            bases = owner.__mro__[1:]
            for key in [k for k in current if k not in self.entries and (
                    _called_implicitly(k) or any(k in vars(base) for base in bases))]:
                try:
                    delattr(owner, key)
                except (AttributeError, TypeError):
                    pass
            for key, value in self.entries.items():
                if current.get(key, _NOTHING) is not value and key not in self.keep:
                    try:
                        setattr(owner, key, value)  # (through the class: its method cache)
                    except (AttributeError, TypeError):
                        pass
        else:
            if kind == "object":
                if vars(owner) is not current:  # obj.__dict__ = {...}
                    try:
                        owner.__dict__ = current
                    except (AttributeError, TypeError):
                        pass
                cls = type(owner)
                for key in [k for k in current if k not in self.entries
                            and callable(getattr(cls, k, None))]:
                    del current[key]  # an instance attribute shadowing a method
            for key, value in self.entries.items():
                if current.get(key, _NOTHING) is not value:
                    current[key] = value


class _Guard:
    """Dicts watched by their versions, each with what to do when it changed, made in the
    template. A child looks at the versions only (:meth:`look`, :meth:`check`): comparing the
    values would write every value's reference count, and so copy each page a child shares with
    the template (7 ms of CPU a child for the ~3,000 objects here); an unchanged dict costs
    nothing."""

    def __init__(self, watched: list[tuple[dict, Callable[[], None]]]) -> None:
        self.dicts = [table for table, _ in watched]  # (kept alive: watched by address)
        self.actions = [action for _, action in watched]
        self.addresses = array.array("Q", [id(table) for table in self.dicts])
        self.check(self.look())  # (a first look here, in the template, sets up its machinery)

    def look(self) -> array.array:
        return _versions(self.addresses)

    def check(self, seen: array.array) -> None:
        """Act for every dict changed since ``seen`` (then ``seen`` is now)."""
        now = _versions(self.addresses)
        if now == seen:
            return
        for i, (before, after) in enumerate(zip(seen, now, strict=True)):
            if before != after:
                self.actions[i]()
        seen[:] = _versions(self.addresses)


def _class_tables(classes, keep=frozenset()) -> list[_Table]:
    """A table for each class written in Python among ``classes`` and their bases."""
    seen: dict[int, type] = {}
    for cls in classes:
        for klass in cls.__mro__:
            if klass.__flags__ & HEAP_TYPE:  # (object and C types cannot be patched)
                seen.setdefault(id(klass), klass)
    return [_Table(klass, "class", keep=keep) for klass in seen.values()]


def _watch(tables: list[_Table]) -> list[tuple[dict, Callable[[], None]]]:
    return [(table.table, table.restore) for table in tables]


_SHELL_PARTS: dict[int, tuple] = {}


def _shell_parts(shell) -> tuple:
    """The shell's parts, its transforms and a :class:`_Guard` that puts the rest back, as first
    seen: in the template (:func:`new_shell`), before any student code."""
    found = _SHELL_PARTS.get(id(shell))
    if found is not None and found[0] is shell:
        return found[1:]
    parts = {name: getattr(shell, name) for name in SHELL_PARTS if hasattr(shell, name)}
    formatter = parts.get("display_formatter")
    formatters = list((getattr(formatter, "formatters", None) or {}).values())
    printers = [f for f in (*formatters, getattr(formatter, "ipython_display_formatter", None),
                            getattr(formatter, "mimebundle_formatter", None)) if f is not None]
    manager = parts.get("input_transformer_manager")
    transforms = [(manager, name, list(getattr(manager, name))) for name in TRANSFORMS
                  if isinstance(getattr(manager, name, None), list)]
    objects = {id(o): o for o in (shell, *parts.values(), *printers)
               if isinstance(getattr(o, "__dict__", None), dict)}
    tables = [_Table(obj, "object") for obj in objects.values()]
    shell_table = tables[0]

    def put_parts_back() -> None:  # shell.compile = ..., shell.history_manager = ...
        for name, part in parts.items():
            if getattr(shell, name, None) is not part:
                setattr(shell, name, part)
        shell_table.restore()

    watched = [(shell.__dict__, put_parts_back), (shell._trait_values, put_parts_back)]
    watched += _watch(tables[1:]) + _watch(_class_tables({type(o) for o in objects.values()}))
    owners = ([(formatter, "formatters")] if formatter is not None else []) + [
        (f, name) for f in printers for name in PRINTERS
        if isinstance(getattr(f, name, None), dict)]
    for owner, name in owners:
        table = _Table(owner, "printers", name)
        watched += [(table.table, table.restore), (owner._trait_values, table.restore)]
    guard = _Guard(watched)
    _SHELL_PARTS[id(shell)] = (shell, transforms, guard)
    return transforms, guard


def _library_modules() -> dict[str, types.ModuleType]:
    """torch's and NumPy's modules a cell reaches by name (``torch``, ``torch.linalg``,
    ``torch.special``, ``np.linalg``, ``torch.nn.functional``...: the public ones one level
    down, as the template imported them), by their names in ``sys.modules``."""
    import numpy  # noqa: F401 - imported for sys.modules
    import torch
    import torch.nn.functional  # noqa: F401
    import torch.nn.init  # noqa: F401

    found = {}
    for name, module in list(sys.modules.items()):
        parts = name.split(".")
        if (parts[0] in ("torch", "numpy") and isinstance(module, types.ModuleType)
                and not any(part.startswith("_") for part in parts)
                and (len(parts) <= 2 or name in ("torch.nn.functional", "torch.nn.init"))
                and name not in ("torch.ops", "torch.classes")):  # (lazy namespaces of torch)
            found[name] = module
    return found


#: Recorded when the template imports this module, before any student code: each module and
#: its type (a cell that swaps ``torch.__class__`` for a subclass with its own
#: ``__getattribute__``, or puts another object in ``sys.modules["torch"]``, answers every
#: later ``torch.zeros(...)`` of an exercise's cells: attack 76).
_LIBRARY_MODULES = _library_modules()
_LIBRARY_TYPES = {name: type(module) for name, module in _LIBRARY_MODULES.items()}


def _put_library_modules_back() -> None:
    """The library's modules as the template had them, each in ``sys.modules`` under its name
    and of its own type (attack 76)."""
    for name, module in _LIBRARY_MODULES.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
        kind = _LIBRARY_TYPES[name]
        if object.__getattribute__(module, "__class__") is not kind:
            try:
                module.__class__ = kind
            except TypeError:  # pragma: no cover - a module's type can always be put back
                pass


#: Modules outside torch and NumPy whose functions the cell machinery calls by itself, with no
#: call in the cell's text: formatting a traceback (a blank exercise's `raise
#: NotImplementedError()`, any error) and printing or displaying a value. A cell that replaced
#: ``linecache.getline`` or ``traceback.StackSummary.extract`` made a later exercise's failing
#: cell bind its answers while its traceback was printed (attack 80).
_IMPLICIT_MODULES = ("traceback", "linecache", "tokenize", "inspect", "reprlib", "pprint",
                     "IPython.core.ultratb", "IPython.core.tbtools", "IPython.core.doctb",
                     "IPython.utils.PyColorize", "IPython.lib.pretty")
_IMPLICIT_ROOTS = ("torch", "numpy", "pygments", "stack_data", "executing")
#: Modules whose classes are put back too (the printers' and the traceback's helpers:
#: ``torch._tensor_str._Formatter``, ``traceback.StackSummary``...).
_IMPLICIT_CLASS_MODULES = _IMPLICIT_MODULES + ("torch._tensor_str", "numpy._core.arrayprint")


def _deeper_modules() -> dict[str, types.ModuleType]:
    """The modules a cell reaches without naming them, beyond :func:`_library_modules`: every
    torch and NumPy module the template imported, private and deeper ones too
    (``torch._tensor_str``, whose ``_str`` prints every tensor: attack 81), and the modules of
    :data:`_IMPLICIT_MODULES`. Only plain modules (torch's configuration modules have classes
    of their own, whose settings are the student's), not torch's lazy namespaces."""
    found = {}
    for name, module in list(sys.modules.items()):
        parts = name.split(".")
        if (type(module) is not types.ModuleType or name in _LIBRARY_MODULES
                or parts[0] == "torch" and parts[1:2] in (["ops"], ["classes"])):
            continue
        if parts[0] in _IMPLICIT_ROOTS or name in _IMPLICIT_MODULES:
            found[name] = module
    return found


def _implicit_classes(modules: dict[str, types.ModuleType]) -> set[type]:
    """The classes defined in :data:`_IMPLICIT_CLASS_MODULES`."""
    return {value for name in _IMPLICIT_CLASS_MODULES if name in modules
            for value in vars(modules[name]).values()
            if isinstance(value, type) and value.__module__ == name}


def _library_guard() -> _Guard:
    """The library's functions and classes a cell calls without showing what they run:
    ``torch.zeros`` or ``torch.linalg.matmul`` replaced, ``torch.Tensor.__repr__`` or
    ``__format__`` patched (attacks 70, 71, 77), put back before each exercise. The functions
    the probe checks for tampering (``instrument.GUARDED``) are left to it."""
    import torch

    guarded = set(instrument.GUARDED)
    # (numpy.testing.assert_allclose: module "numpy.testing", name "assert_allclose")
    keep = [f"{m}.{d}".rpartition(".")[::2] for m, d in guarded]
    tables = [_Table(module, "module", keep={d for m, d in keep if m == name})
              for name, module in _LIBRARY_MODULES.items()]
    # Deeper modules: their functions only (their numbers are settings and caches of the
    # library's own, e.g. torch.backends.cudnn.benchmark), and their printers' classes.
    deeper = _deeper_modules()
    tables += [_Table(module, "module", keep={d for m, d in keep if m == name}
                      | {k for k, v in vars(module).items() if not callable(v)})
               for name, module in deeper.items()]
    tables += _class_tables(_implicit_classes(deeper | _LIBRARY_MODULES))
    tables += _class_tables((torch.Tensor, torch.nn.Parameter, torch.nn.Module),
                            keep={d.split(".", 1)[1] for m, d in guarded
                                  if m == "torch" and d.startswith("Tensor.")})
    # torch's global module hooks, called on every nn.Module call (attack 72)
    module = sys.modules["torch.nn.modules.module"]
    hooks = {name: table for name, table in vars(module).items()
             if name.startswith("_global_") and isinstance(table, dict)}
    entries = {name: dict(table) for name, table in hooks.items()}

    def put_hooks_back() -> None:
        for name, table in hooks.items():
            vars(module)[name] = table
            if table != entries[name]:
                table.clear()
                table.update(entries[name])

    watched = [(vars(module), put_hooks_back)] + [(table, put_hooks_back)
                                                  for table in hooks.values()]
    return _Guard(_watch(tables) + watched)


def _compile_when_disabled(compile_: Callable) -> Callable:
    """``torch.compile`` for the grader's runs, which turn TorchDynamo off (``_run_steps``):
    torch's own then hands back the model or function it is given, as it is, but imports
    TorchDynamo and Inductor first (1.2 s of CPU, 1,230 modules and 77 MiB a run, measured:
    corpus 112 cost two such runs). This does the same without the imports. The arguments are
    still checked against torch's signature (the same TypeError for a misspelt one), the
    decorator form is kept, and anything else, or a run with TorchDynamo on, goes to torch's."""
    signature = inspect.signature(compile_)

    @functools.wraps(compile_)
    def compile(*args, **kwargs):
        if os.environ.get("TORCHDYNAMO_DISABLE") != "1":
            return compile_(*args, **kwargs)
        bound = signature.bind(*args, **kwargs).arguments
        if bound.get("mode") is not None and bound.get("options") is not None:
            return compile_(*args, **kwargs)  # its own RuntimeError
        model = bound.get("model")
        if model is not None:
            return model

        def decorate(model):
            if model is None:
                raise RuntimeError("Model can't be None")
            return model

        return decorate

    compile.graders_stand_in = True
    return compile


def _disable_dynamo_when_disabled(disable_dynamo: Callable) -> Callable:
    """``torch._disable_dynamo`` for the grader's runs: torch wraps functions with it that
    TorchDynamo must not trace (every ``TorchDispatchMode``'s ``__torch_dispatch__``, an
    optimizer's step), and the wrapper's first call imports TorchDynamo to make the real one:
    corpus 98's ``FlopCounterMode`` cost 823 modules and 1.3 s of CPU in each run for it. With
    TorchDynamo off there is nothing to keep it out of, so the function is called as it is;
    with TorchDynamo on (a cell that turned it on), torch's wrapper is used."""

    @functools.wraps(disable_dynamo)
    def _disable_dynamo(fn=None, recursive=True):
        if fn is None:
            return functools.partial(_disable_dynamo, recursive=recursive)
        torchs = disable_dynamo(fn, recursive)

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            if os.environ.get("TORCHDYNAMO_DISABLE") == "1":
                return fn(*args, **kwargs)
            return torchs(*args, **kwargs)

        return inner

    return _disable_dynamo


def _install_compile() -> None:
    import torch
    import torch._compile

    if not getattr(torch.compile, "graders_stand_in", False):
        torch.compile = _compile_when_disabled(torch.compile)
        torch._disable_dynamo = torch._compile._disable_dynamo = _disable_dynamo_when_disabled(
            torch._compile._disable_dynamo)


_install_compile()  # in the template, before the library's functions are recorded
#: Recorded when the template imports this module, before any student code.
_LIBRARY = _library_guard()


class _Outside:
    """What code outside an exercise's own cells could use to put an answer in place while those
    cells run, as the template left it, put back before each exercise (``forget``): profile and
    trace hooks, import hooks, ``gc`` callbacks, signal handlers and CPU timers, torch function
    and dispatch modes left pushed, ``sys`` hooks and streams, replaced builtins. A hook cannot
    be taken back from a thread that is still running or from an audit hook, so those are
    refused (audit hooks) or reported (threads alive when the exercise began: the judge then
    refuses the exercise's answers)."""

    def __init__(self) -> None:
        self.threads = set(sys._current_frames())  # the runner's own (main, output forwarder)
        self.meta_path, self.path_hooks = list(sys.meta_path), list(sys.path_hooks)
        self.gc_callbacks = list(gc.callbacks)
        self.sys_hooks = {name: getattr(sys, name) for name in SYS_HOOKS if hasattr(sys, name)}
        self.builtins = dict(builtins.__dict__)
        self.library = _LIBRARY.look()
        self.signals = {}
        for number in range(1, signal.NSIG):
            try:
                self.signals[number] = signal.getsignal(number)
            except (ValueError, OSError):
                pass
        self.foreign: list[str] = []
        # The finders the import system cached (one per folder imported from: 161 after the
        # template's imports), each dropped by reset() and kept here, never freed in this
        # process: freeing them writes to every page they share with the template (3.5 ms a
        # run, the copy-on-write faults of their cached folder listings).
        self.dropped_finders: list[dict] = []
        sys.addaudithook(_refuse_audit_hooks)

    def reset(self) -> None:
        gc.collect()  # finalizers of earlier cells' garbage run now, not during the exercise
        sys.setprofile(None)
        sys.settrace(None)
        threading.setprofile(None)
        threading.settrace(None)
        sys.meta_path[:] = self.meta_path
        sys.path_hooks[:] = self.path_hooks
        self.dropped_finders.append(dict(sys.path_importer_cache))
        sys.path_importer_cache.clear()  # finders made or changed by earlier cells: made again
        gc.callbacks[:] = self.gc_callbacks
        for name, value in self.sys_hooks.items():
            setattr(sys, name, value)
        for name, value in self.builtins.items():
            if builtins.__dict__.get(name) is not value:
                builtins.__dict__[name] = value
        _put_library_modules_back()
        _LIBRARY.check(self.library)
        for timer in (signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            signal.setitimer(timer, 0)
        # The grader's fresh run hands exercise 4 a read-only array, and torch warns when a
        # tensor is made from one: a warning the student never sees in the notebook (their
        # array is writable), which warnings.simplefilter("error") in an earlier cell turned
        # into an error that cost the exercise. Put in front of the student's filters.
        _filterwarnings("ignore", message="The given NumPy array is not writable",
                        category=UserWarning)
        for number, handler in self.signals.items():
            try:
                if signal.getsignal(number) is not handler and handler is not None:
                    signal.signal(number, handler)
            except (ValueError, OSError, TypeError):
                pass
        import torch
        try:
            while torch._C._len_torch_function_stack() > 0:
                torch._C._pop_torch_function_stack()
            while torch._C._len_torch_dispatch_stack() > 0:
                torch._C._pop_torch_dispatch_stack(None)  # None: the innermost mode, any key
        except (AttributeError, RuntimeError, TypeError):
            pass
        frames = sys._current_frames()
        self.foreign = [_thread_name(ident) for ident, frame in frames.items()
                        if ident not in self.threads and not _idle_pool_worker(ident, frame)]


#: ``sys`` attributes called by code no exercise cell shows (a print, an error, a display).
SYS_HOOKS = ("stdout", "stderr", "__stdout__", "__stderr__", "excepthook", "unraisablehook",
             "displayhook", "breakpointhook")


#: A thread pool's worker (``concurrent.futures.ThreadPoolExecutor``), as the library defines it:
#: captured when the template imports this module, before any student code runs.
_POOL_WORKER, _THREAD_RUN = _futures_thread._worker, threading.Thread.run
_POOL_FILES = frozenset(module.__file__ for module in (_futures_thread, queue, threading))


def _idle_pool_worker(ident: int, frame) -> bool:
    """A thread pool's worker waiting for work on an empty queue (an executor a student made
    and did not shut down): it runs nothing until code hands it work, and while no other
    thread runs, only the exercise's own cells can. Decided from the thread's frames, not from
    attributes a student could set: the library's ``_worker`` must be running in it, its queue
    empty, and every frame the library's (a task of the student's has a frame of its own)."""
    thread = next((t for t in threading.enumerate() if t.ident == ident), None)
    if thread is None or type(thread).run is not _THREAD_RUN:
        return False
    worker = None
    while frame is not None:
        if frame.f_code.co_filename not in _POOL_FILES:
            return False
        if frame.f_code is _POOL_WORKER.__code__:
            worker = frame
        frame = frame.f_back
    if worker is None:
        return False
    queue = worker.f_locals.get("work_queue")
    try:
        return queue is not None and queue.empty()
    except Exception:  # noqa: BLE001 - not the library's queue
        return False


def _thread_name(ident: int) -> str:
    for thread in threading.enumerate():
        if thread.ident == ident:
            return str(thread.name)[:80]
    return f"thread {ident}"


def _refuse_audit_hooks(event, args) -> None:
    """The child's first audit hook: any later one is refused (it would run on every audited
    event, code no exercise's cells show)."""
    if event == "sys.addaudithook":
        raise RuntimeError("audit hooks are not available while grading")


def _left(timeout: float, until: float | None) -> float:
    """A cell's time limit: ``timeout``, or less when it must stop by ``until`` (a cell with
    no time left gets a millisecond: 0 would be no limit at all)."""
    if until is None:
        return timeout
    left = max(until - time.monotonic(), 0.001)
    return min(timeout, left) if timeout and timeout > 0 else left


#: IPython's record of the last results shown (``_``, ``__``, ``___``): its display hook
#: updates them in the namespace only while the namespace's still are the ones it set, so a
#: namespace put back from a snapshot needs the record of that moment too (``y = _`` after a
#: cell that shows the answer: corpus 108).
UNDERS = ("_", "__", "___")


_NO_VALUE = object()


def _unders(shell) -> tuple:
    """The display hook's ``_``, ``__``, ``___`` and the values it last put in the namespace
    (``user_ns_hidden``), which it compares the namespace's with."""
    hook, hidden = getattr(shell, "displayhook", None), getattr(shell, "user_ns_hidden", {})
    return (tuple(getattr(hook, name, "") for name in UNDERS),
            tuple(hidden.get(name, _NO_VALUE) for name in UNDERS))


def _set_unders(shell, record: tuple | None) -> None:
    hook, hidden = getattr(shell, "displayhook", None), getattr(shell, "user_ns_hidden", None)
    if record is None or hook is None or hidden is None:
        return
    for name, value, pushed in zip(UNDERS, *record, strict=True):
        setattr(hook, name, value)
        if pushed is _NO_VALUE:
            hidden.pop(name, None)
        else:
            hidden[name] = pushed


@contextlib.contextmanager
def _replayed(shell, trace, hooks, channel, saved: dict, inject: dict, unders=None,
              put=instrument.inject):
    """An exercise's cells about to run once more: the namespace they started with (``saved``)
    and IPython's record of ``_`` then (``unders``, see :data:`UNDERS`), the same inputs put
    back (``inject``: the first run may have changed them in place) and, when bound anew,
    marked for the trace again, the hooks earlier cells planted removed, output muted. On
    leaving, whatever happened, output flows again and the namespace and the record are the
    ones found on entering. Yields that namespace. (``put``: the probe's function as it was
    before any student code ran.)"""
    after, shown = dict(shell.user_ns), _unders(shell)
    shell.user_ns.clear()
    shell.user_ns.update(saved)
    _set_unders(shell, unders)
    try:
        put(shell.user_ns, inject)
        if trace is not None:
            for name in inject:
                if shell.user_ns.get(name) is not saved.get(name):
                    trace.label(name, shell.user_ns.get(name))
        hooks.restore()
        channel.muted, shell.reporting = True, False
        yield after
    finally:
        channel.muted, shell.reporting = False, True
        shell.user_ns.clear()
        shell.user_ns.update(after)
        _set_unders(shell, shown)


def _run_all(shell, cells, timeout: float, until: float | None):
    """Run ``cells`` ([index, source] pairs) in order until one raises; that one's error, or
    None. Each stops by ``until`` at the latest (see :func:`_left`)."""
    return next(filter(None, (_run_cell(shell, source, _left(timeout, until))
                              for _, source in cells)), None)


def _run_through(shell, cells, timeout: float, until: float | None) -> bool:
    """Run ``cells`` in order past their errors, as the notebook's run ran them; False when one
    ran out of time (then the run tells nothing: it stopped where the first did not). A time
    out is told by the time the cell took, not by the error's name (a student's own class may
    be called CellTimeoutError)."""
    for _, source in cells:
        limit = _left(timeout, until)
        began = time.monotonic()
        if _run_cell(shell, source, limit) and limit and time.monotonic() - began >= limit * 0.9:
            return False
    return True


def _repeat(shell, trace, hooks, channel, saved, cells, names, inject, timeout,
            values=instrument.values, until=None, unders=None) -> dict | None:
    """Run an exercise's cells again (:func:`_replayed`, ``unders`` its record of ``_``), past
    their errors as the notebook's run ran them (stopping at one let random answers behind an
    error go unchecked: attack 65), and tell, per name, whether the answer came out the same;
    None if it could not be told (no snapshot, or a cell ran out of time: nothing is held
    against the student then)."""
    if saved is None:
        return None
    before = {name: values(shell.user_ns.get(name)) for name in names}
    with _replayed(shell, trace, hooks, channel, saved, inject, unders):
        told = _run_through(shell, cells, timeout, until)
        again = {name: values(shell.user_ns.get(name)) for name in names}
    if not told:
        return None
    return {name: _same(again[name], before[name]) for name in names
            if before[name] is not None}


def _unscaled(shell, trace, hooks, channel, saved, cells, names, outputs, inject, timeout,
              kept, given, extract=instrument.extract, until=None,
              unders=None) -> dict | None:
    """The answers of an exercise whose cells raised on the scaled matrix products: its cells
    run again as :func:`_repeat` runs them but with the products left alone, read back as
    ``extract`` reads the answers (``names``), and once more to tell whether ``outputs`` came
    out the same (``"repeat"``); then the scaled run's namespace and factor are put back. Every
    cell stops by ``until`` (a time.monotonic() time) at the latest. None when there is no
    trace or snapshot, or when the cells raise here too (an error of their own: nothing
    changes)."""
    if saved is None or trace is None:
        return None
    scale, trace.scale = trace.scale, None
    try:
        with _replayed(shell, trace, hooks, channel, saved, inject, unders):
            started = {name: shell.user_ns[name] for name in given if name in shell.user_ns}
            if _run_all(shell, cells, timeout, until):
                return None
            data = extract(shell.user_ns, names, trace, kept=kept, given=started)
            data["repeat"] = _repeat(shell, trace, hooks, channel, saved, cells, outputs,
                                     inject, timeout, until=until, unders=unders)
        return data
    finally:
        trace.scale = scale


#: Two runs of the same cells on the same inputs agree when their answers differ by no more than
#: rounding (a sum taken in another order differs in the last bits); a typed-in answer with
#: noise, or numbers drawn afresh, differ by far more (the value check's tolerance is 1e-4).
SAME_RUN = 1e-6


def _same(first, second) -> bool:
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(
            _same(a, b) for a, b in zip(first, second, strict=True))
    if isinstance(first, (int, float)) and isinstance(second, (int, float)):
        return first == second or abs(first - second) <= SAME_RUN * max(1.0, abs(first))
    return first == second


def main(spec: dict) -> None:
    """Child entry point (after the fork): seal, run ``spec["steps"]``, report, exit."""
    channel = Channel(CHANNEL_FD, spec.get("max_stream_bytes", 2**20))
    code = 0
    try:
        os.chdir(spec["cwd"])
        os.environ.clear()
        os.environ.update(spec.get("env", {}))
        report = confine.apply(spec["sandbox"])
        channel.send(Ready(report))
        _run_steps(spec, channel)
        channel.send(Done())
    except BaseException as err:  # noqa: BLE001 - the grading side records why
        try:
            channel.send(Crash(f"{type(err).__name__}: {err}"[:2000]))
        except OSError:
            pass
        code = 70
    finally:
        os._exit(code)  # skip interpreter teardown: the grading side has everything it needs


def _run_steps(spec: dict, channel: Channel) -> None:
    import torch

    torch.set_num_threads(1)  # one child a core: no thread pools of its own
    shell = new_shell()
    shell.channel, shell.memory_cap_bytes = channel, spec.get("memory_cap", 0)
    shell.timeout = timeout = spec.get("timeout", 0)
    shell.InteractiveTB.set_mode(spec.get("traceback_mode", "Plain"))
    signal.signal(signal.SIGALRM, _on_timeout)
    _streams(channel)
    raw = RawOutput(channel, spec.get("drain_wait", RAW_DRAIN_WAIT))
    raw.start()
    trace = instrument.Trace() if spec.get("trace") else None
    hooks = _ShellHooks(shell)
    # A torch.jit.script helper runs as the Python it is written in, so the trace sees its
    # matrix products (TorchScript does not call torch function modes).
    torch.jit._state.disable()
    # torch.compile alike: TorchDynamo would trace into the trace's own __torch_function__ (and
    # read its source, which the sandbox may not let it: a PermissionError cost a right
    # exercise 2 all its points, corpus 112), so a compiled function runs as the Python it is
    # written in (torch.compile reads this when it is called, and returns the function as it is;
    # _compile_when_disabled does so without importing TorchDynamo).
    os.environ["TORCHDYNAMO_DISABLE"] = "1"
    outside = _Outside()
    saved: dict[str, dict] = {}  # namespaces at the start of exercises to repeat
    shown: dict[str, tuple] = {}  # and IPython's record of `_` then (see UNDERS)
    kept: dict = {}  # the objects the exercise's answer names held before its cells ran
    given: dict = {}  # the input objects the exercise started with
    held: dict = {}  # every object of the namespace when the exercise began (see forget)
    raised: set = set()  # the cells that raised in this run (by notebook index)
    # The probe's functions as they are now, before any student code: replacing them in the
    # module afterwards changes nothing here.
    inject, extract = instrument.inject, instrument.extract
    from torch.overrides import _get_current_function_mode as current_mode
    # Every step unpacked now, before any student code runs: kind and fields as plain data.
    steps = [_step_fields(step) for step in spec["steps"]]
    for kind, step in steps:
        if kind == "cell":
            shell.reporting = step["report"]
            channel.new_cell()
            channel.send(Start(step["index"], not step["report"]))
            failed = _run_cell(shell, step["source"], timeout)
            shell.reporting = True
            if failed:
                raised.add(step["index"])
            raw.wait()
            channel.send(CellEnd(step["index"], shell.execution_count - 1,
                                 [failed[0], failed[1][:500]] if failed else None,
                                 channel.new_cell()))
        elif kind == "inject":
            inject(shell.user_ns, step["values"])
        elif kind == "forget":
            # Nothing from earlier cells may put the answer in place while the exercise's
            # cells run; the names stay readable (an exercise may compare with an earlier
            # answer), but an answer the cells do not rebind reads back as missing. Every
            # object of the namespace is held until the answers are read back, so rebinding a
            # name in the exercise cannot run an earlier object's finalizer.
            # The trace lets go of what the last exercise's inputs led to here, not when this
            # exercise is labelled: the tensors it held alive (a throw-away product with a
            # weakref finalizer, say) are freed now, so their finalizers run before the answers
            # are forgotten, not inside the exercise (attack 83).
            if trace is not None and not trace.watching:
                trace.reset()
            held.clear()
            held.update(shell.user_ns)
            hooks.restore()
            outside.reset()
            # The builtins the exercise's cells see are the builtins module's (put back above),
            # not a dict an earlier cell bound to __builtins__ in the namespace (attack 73).
            if shell.user_ns.get("__builtins__") is not builtins:
                shell.user_ns["__builtins__"] = builtins
            kept = {name: shell.user_ns[name] for name in step["names"] if name in shell.user_ns}
        elif kind == "label":
            given = {name: shell.user_ns[name] for name in step["names"] if name in shell.user_ns}
            if trace is not None:
                # Still watching: the last exercise kept the scaled products for this one, on
                # the same inputs (see graders.checks.run_plan): what it made from them is kept.
                # (Its mode was taken off torch's stack by `forget`, and is pushed again below.)
                trace.reset(carry=trace.watching)
                scale = step["scale"]
                trace.scale = (scale["input"], float(scale["by"])) if scale else None
                for name in step["names"]:
                    trace.label(name, shell.user_ns.get(name))
                trace.watching = True
                if current_mode() is not trace:
                    trace.__enter__()  # torch calls go through the trace for this exercise
        elif kind == "snapshot":
            saved[step["key"]] = dict(shell.user_ns)
            shown[step["key"]] = _unders(shell)
        elif kind == "extract":
            started = time.monotonic()
            data = extract(shell.user_ns, step["names"], trace, kept=kept, given=given)
            data["threads"] = outside.foreign
            if step["recheck"] is not None:
                # The grading side gives this step one cell's time limit for each cell the extra
                # runs may run (protocol.recheck_limits): they stop within it, all of them
                # together, so each cell has about the time it had in the run it repeats (with
                # one limit for all, cells that together took longer than a cell may ran out of
                # time: a slow check before the answer lost shape and value, fault 47, and slow
                # cells outlasted the re-check of random answers, attack 67).
                # When the cells raised on the scaled products, the unscaled re-run (and its own
                # re-check) goes first: if the error was the scaling's, its answers stand in. If
                # the cells raise on plain products too (an error of their own), the re-check
                # runs as for any exercise, past the errors (attack 65: random answers behind a
                # NameError).
                limits = max(1, _recheck_limits(step["recheck"], step["unscaled"]))
                until = started + timeout * limits if timeout else None
                data["repeat"] = None
                if step["unscaled"] and any(i in raised for i, _ in step["recheck"]):
                    data["unscaled"] = _unscaled(
                        shell, trace, hooks, channel, saved.get(step["key"]), step["recheck"],
                        step["names"], step["outputs"] or [], step["inject"] or {}, timeout,
                        kept, list(given), extract, until=until, unders=shown.get(step["key"]))
                if data.get("unscaled") is None:
                    data["repeat"] = _repeat(shell, trace, hooks, channel, saved.get(step["key"]),
                                             step["recheck"], step["outputs"] or [],
                                             step["inject"] or {}, timeout, until=until,
                                             unders=shown.get(step["key"]))
            kept, given = {}, {}
            held.clear()
            if trace is not None and not step["keep_scaling"]:
                trace.scale = None
                trace.watching = False  # until the next exercise's inputs are labelled
                if current_mode() is trace:  # (not if the student's code pushed a mode over it)
                    trace.__exit__(None, None, None)
            channel.send(Extracted(step["key"], data))
