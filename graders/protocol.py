"""Protocol: the steps the grading side asks a sealed child to run, and the messages it sends back.

Both sides import this module: the grading side (:mod:`graders.checks.run_plan` plans the steps,
:mod:`graders.engine.child_reader` decodes the messages) and the child
(:mod:`graders.kernel.runner`), which runs inside the sandbox with the student's code. So it is
standard library only, and holds no state: it names the data and says how it is written as JSON.

On the wire a step is a JSON list, its kind then its fields in the order declared here
(``["cell", 3, "x = 1", true]``); a message is a JSON object whose one key of its kind says what
it is (``{"start": 3, "silent": false}``), sent as a length-prefixed frame (a 4-byte big-endian
length, then UTF-8 JSON). The steps come from the grader (trusted); every message comes from a
process the student's code shares, so :func:`decode` checks its shape and raises
:class:`ValueError` on anything else, and nothing decoded is trusted beyond being well formed:
the grades come from :mod:`graders.checks` judging the plain data.

Written by hand: Jupyter's messaging runs over ZeroMQ sockets, and the engine's children may
not open a socket (seccomp); a pipe of checked JSON frames needs none.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Union

# ------------------------------------------------------------- steps (grader -> child)


@dataclass(frozen=True)
class Cell:
    """Run the notebook's code cell ``index``; ``report``: its outputs are kept (else silent)."""

    kind: ClassVar[str] = "cell"
    index: int
    source: str
    report: bool


@dataclass(frozen=True)
class Inject:
    """Bind the exercise's inputs to the grader's values: name -> ``{"kind": "tensor" |
    "ndarray", "dtype", "values": rows, "readonly"?}`` (see :func:`graders.kernel.trace.inject`)."""

    kind: ClassVar[str] = "inject"
    values: dict


@dataclass(frozen=True)
class Forget:
    """An exercise begins: hooks earlier cells planted are reset, ``names`` (its answers) noted,
    so an answer its own cells do not rebind reads back as missing."""

    kind: ClassVar[str] = "forget"
    names: list


@dataclass(frozen=True)
class Label:
    """Mark the exercise's inputs ``names`` for the trace; in the fresh run, ``scale``
    (``{"input": name, "by": factor}``) scales that input inside every matrix product."""

    kind: ClassVar[str] = "label"
    names: list
    scale: dict | None = None


@dataclass(frozen=True)
class Snapshot:
    """Keep the namespace as it is now, for the exercise ``key``'s re-check."""

    kind: ClassVar[str] = "snapshot"
    key: str


@dataclass(frozen=True)
class Extract:
    """Read the answers ``names`` of exercise ``key`` back as plain data. With ``recheck``
    (``[[cell index, source], ...]``), run those cells once more from the snapshot, on the inputs
    ``inject``, and report whether each of ``outputs`` came out the same; ``keep_scaling``: the
    fresh run's scaled products stay on for the next exercise on the same inputs; ``unscaled``:
    when those cells raised in this run, run them once more (twice, to compare) with matrix
    products left alone and report those answers too (``"unscaled"``)."""

    kind: ClassVar[str] = "extract"
    key: str
    names: list
    recheck: list | None = None
    outputs: list | None = None
    inject: dict | None = None
    keep_scaling: bool = False
    unscaled: bool = False


def recheck_limits(recheck: list | None, unscaled: bool) -> int:
    """How many cell time limits an extraction's extra runs may take together: each cell of
    the re-check gets one, as in the run it repeats (three cells of 1.6 s under a 3 s limit
    re-run in 4.8 s), twice when the cells may run again with plain products (that run and its
    own re-check). The child stops its extra runs within it; the grading side waits that long
    (and one more limit) before it stops the child. 0: no extra runs."""
    return len(recheck or []) * (2 if unscaled else 1)


Step = Union[Cell, Inject, Forget, Label, Snapshot, Extract]  # noqa: UP007 - a runtime alias
STEPS: dict[str, type] = {cls.kind: cls for cls in (Cell, Inject, Forget, Label, Snapshot, Extract)}


def step_to_wire(step: Step) -> list:
    """``step`` as a JSON list: its kind, then its fields."""
    return [step.kind, *(getattr(step, f.name) for f in fields(step))]


def step_from_wire(data: list) -> Step:
    """The step a JSON list names (the grader's own data: a malformed one is a bug, TypeError)."""
    return STEPS[data[0]](*data[1:])


def step_fields(data: list) -> tuple[str, dict]:
    """The kind of the step a JSON list names and its fields by name, as a plain dict (what the
    child runs from: it unpacks every step before any student code runs, so code that patches
    this module's classes later changes nothing it reads)."""
    step = step_from_wire(data)
    return step.kind, {f.name: getattr(step, f.name) for f in fields(step)}


# ---------------------------------------------------------- messages (child -> grader)


@dataclass(frozen=True)
class Ready:
    """The child sealed itself; ``report``: what the sandbox applied (and lacks)."""

    tag: ClassVar[str] = "ready"
    report: dict


@dataclass(frozen=True)
class Start:
    """Cell ``index`` starts; ``silent``: its outputs are not kept."""

    tag: ClassVar[str] = "start"
    index: int
    silent: bool = False


@dataclass(frozen=True)
class Stream:
    """Text the running cell wrote to ``name`` (stdout or stderr)."""

    tag: ClassVar[str] = "stream"
    name: str
    text: str


OUTPUT_TYPES = frozenset({"display_data", "execute_result", "error", "clear_output"})


@dataclass(frozen=True)
class Output:
    """A display, a result, an error or a clear of the running cell (nbformat's output dict)."""

    tag: ClassVar[str] = "output"
    output: dict


@dataclass(frozen=True)
class CellEnd:
    """Cell ``index`` ended: its ``execution_count``, its ``error`` (``[ename, evalue]``) if it
    failed, and the stream bytes the child ``dropped`` over its budget (stream name -> bytes)."""

    tag: ClassVar[str] = "cell"
    index: int
    count: int
    error: list | None = None
    dropped: dict | None = None


@dataclass(frozen=True)
class Extracted:
    """What :class:`Extract` read back for exercise ``exercise``."""

    tag: ClassVar[str] = "extract"
    exercise: str
    data: dict


@dataclass(frozen=True)
class Done:
    """Every step ran."""

    tag: ClassVar[str] = "done"


@dataclass(frozen=True)
class Crash:
    """The runner itself failed (``reason``: the exception, as text)."""

    tag: ClassVar[str] = "crash"
    reason: str


Message = Union[Ready, Start, Stream, Output, CellEnd, Extracted, Done, Crash]  # noqa: UP007


def encode(message: Message) -> dict:
    """``message`` as the JSON object sent on the channel."""
    if isinstance(message, Ready):
        return {"ready": message.report}
    if isinstance(message, Start):
        return {"start": message.index, "silent": message.silent}
    if isinstance(message, Stream):
        return {"stream": message.name, "text": message.text}
    if isinstance(message, Output):
        return {"output": message.output}
    if isinstance(message, CellEnd):
        return {"cell": message.index, "count": message.count, "error": message.error,
                "dropped": message.dropped}
    if isinstance(message, Extracted):
        return {"extract": message.exercise, "data": message.data}
    if isinstance(message, Done):
        return {"done": True}
    if isinstance(message, Crash):
        return {"crash": message.reason}
    raise TypeError(f"not a message: {message!r}")


def decode(data: Any) -> Message:
    """The message a JSON object from a child is; ValueError when it is none (the child is then
    stopped by the grading side). Its kind is the first of the kinds' keys it holds."""
    if not isinstance(data, dict) or not data:
        raise ValueError("not a message")
    if "ready" in data:
        if not isinstance(data["ready"], dict):
            raise ValueError("ready")
        return Ready(data["ready"])
    if "start" in data:
        return Start(int(data["start"]), bool(data.get("silent")))
    if "stream" in data:
        if data["stream"] not in ("stdout", "stderr") or not isinstance(data.get("text"), str):
            raise ValueError("stream")
        return Stream(data["stream"], data["text"])
    if "output" in data:
        output = data["output"]
        if not isinstance(output, dict) or output.get("output_type") not in OUTPUT_TYPES:
            raise ValueError("output")
        return Output(output)
    if "cell" in data:
        error = data.get("error")
        dropped = data.get("dropped")
        return CellEnd(int(data["cell"]), int(data["count"]),
                       [str(error[0]), str(error[1])] if error is not None else None,
                       dropped if isinstance(dropped, dict) else None)
    if "extract" in data:
        if not isinstance(data["data"], dict):
            raise ValueError("extract")
        return Extracted(data["extract"], data["data"])
    if data.get("done") is True:
        return Done()
    if "crash" in data:
        return Crash(str(data["crash"]))
    raise ValueError("unknown message")
