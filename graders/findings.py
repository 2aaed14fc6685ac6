"""Findings: what the grader found in one notebook, as a type, and the one registry of its codes.

A :class:`Finding` is one thing a grading stage found: a failed test and its diagnosis code
(``single_layer_sum.no_bias``), a replaced library function, a line of the student's code worth
a look, a run that could not finish, a change a sanitising stage made. The stages build them
(``VerifyAnswers``, ``GuardGradebook``, ``ReviewCode``, ``CleanText``, ``RestoreCellMetadata``;
the engine for a notebook it could not grade), ``SaveFindings`` stores them twice:

* as plain data in the autograded notebook (``metadata.graders.findings``, :func:`store`), which
  the report and Gradescope read back (:func:`stored`);
* as one line each in the gradebook comment of the exercise's answer cell (:meth:`Finding.line`,
  ``[kind] code: text``), which formgrader shows and nbgrader's feedback keeps. A notebook the
  engine could not grade (missing, unreadable) has no autograded notebook: its findings are in
  that comment only, read back by :func:`parse_comment`, the inverse of :meth:`Finding.line`.

:data:`CODES` lists every code a finding can carry, with what it means for the instructor and
the sentence a student reads, if it is a fixed one: the judge's general codes for each exercise
(:data:`JUDGE`), each exercise's catalogued mistakes (read from the exercise table,
:mod:`graders.checks.exercises`, so a new exercise's mistakes register themselves), and the
stages' codes (:data:`STAGE`, :data:`REVIEW`). ``python -m graders.findings`` prints the table
``docs/codes.md`` holds (a test keeps the two equal).

Standard library only (and the exercise table, plain Python too).

Written by hand: nbgrader keeps a free-text comment per cell and nothing structured; the codes, the
registry and the ``[kind] code: text`` line are this project's.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field

from .checks.exercises import EXERCISES

#: The kinds of finding, and what each tells the instructor.
KINDS = {
    "diagnosis": "a failed test and its stable code (no flag)",
    "tampering": "a replaced library function or a changed gradebook (the notebook is flagged)",
    "review": "a line of the student's code worth a look (no points taken, no flag)",
    "problem": "the grader's own run of the notebook could not finish (flagged)",
    "autograder": "what the grader did to a notebook before or instead of grading it",
}
FLAGGING = {"tampering", "problem"}


@dataclass(frozen=True)
class Code:
    """One registered code."""

    code: str
    kind: str  # one of KINDS
    meaning: str  # for the instructor
    student: str = ""  # the sentence the student reads, when it is a fixed one
    group: str = ""  # the report's reason for a flagged submission ("kernel died"...)
    source: str = "stage"  # "mistake" (the exercise table), "judge", "stage" or "review"
    flags: bool = False  # the notebook is flagged (besides the kinds in FLAGGING)

    @property
    def label(self) -> str:
        """How the report tags it: a catalogued mistake, tampering, or a general code."""
        if self.kind == "tampering":
            return "tampering"
        return "mistake" if self.source == "mistake" else "general"


#: The judge's general codes (:mod:`graders.checks.verdicts`), each emitted as
#: ``<exercise>.<what>``: what it means, and what the student's message says.
JUDGE: dict[str, tuple[str, str]] = {
    "wrong_value": ("a wrong value that matches none of the exercise's known mistakes",
                    "The value and the expected value on the lesson's data, and the "
                    "exercise's hint."),
    "wrong_shape": ("the wrong shape, matching no known mistake",
                    "The expected and actual shape, whether the values are right, and the "
                    "exercise's shape hint."),
    "not_tensor": ("not a torch.Tensor (and not a Python number either)",
                   "The variable should be a torch.Tensor; build it with torch operations."),
    "not_real": ("complex numbers instead of real ones",
                 "The variable should hold real numbers."),
    "typed_in": ("the answer does not change with the inputs: typed in, or computed from data "
                 "the student made up",
                 "The variable does not change when the inputs change; compute it from the "
                 "given inputs."),
    "fitted": ("right on the lesson's data only: the answer was fitted to the lesson's output "
               "(numbers taken from it), wrong on the grader's new inputs",
               "The variable is the lesson's answer on the lesson's data but not for other "
               "inputs; compute it from the given variables only."),
    "random": ("the answer changes by itself: two runs of the exercise's cells on the same "
               "inputs gave different answers (random numbers, values from outside)",
               "The variable changes by itself; compute it from the given inputs, no random "
               "numbers."),
    "outside": ("a thread started in an earlier cell was still running when the exercise "
                "began: the grader cannot tell which code made the answer",
                "A thread started earlier was still running; stop it before the exercise."),
    "not_done": ("not done: `raise NotImplementedError()` left in the exercise",
                 "The exercise is not done yet: replace `raise NotImplementedError()`."),
    "not_assigned": ("the variable is never assigned",
                     "Your code does not assign the variable; store the result under its name."),
    "error": ("the exercise's code raised an error",
              "The error and its message; fix it and use only the given variables."),
    "stopped_scaled_run": ("the exercise's code raised only on the grader's re-run whose "
                           "matrix products are scaled, before the answer was assigned (a "
                           "check of the product against a sum of products): shape and value "
                           "judged on an unscaled re-run, the method point not earned",
                           "Your check failed only on the grader's re-run, where matrix "
                           "products are scaled; compare after the answer, or print."),
    "stopped_kernel": ("the exercise's code stopped the kernel when the grader ran it",
                       "Your code stopped the kernel; remove what ends the process."),
    "tampering": ("a library or comparison function was replaced (torch.allclose...): no check "
                  "after it can pass; the notebook is flagged",
                  "The function has been replaced; remove the line that assigns to it."),
    "rerun_failed": ("the grader's re-runs of the notebook could not reach this test",
                     "The grader could not run your code again; make sure the notebook runs "
                     "from top to bottom."),
}

#: Codes of the stages and the engine: (kind, meaning, the report's reason if it flags).
STAGE: dict[str, tuple[str, str, str]] = {
    "gradebook": ("tampering", "the notebook changed the gradebook while it ran (undone; "
                               "flagged)", "tampering"),
    "rerun_kernel_died": ("problem", "the kernel died in one of the grader's re-runs",
                          "kernel died"),
    "rerun_fault": ("problem", "one of the grader's re-runs could not finish as it should",
                    "grader's re-run failed"),
    "kernel_died": ("autograder", "the kernel died while the notebook ran (flagged)",
                    "kernel died"),
    "run_fault": ("autograder", "the notebook's run could not finish as it should (flagged)",
                  "grading problem"),
    "notebook_missing": ("autograder", "no notebook of the expected name was submitted (scored "
                                       "0, flagged)", "notebook missing"),
    "invalid_notebook": ("autograder", "the submitted file is not a valid notebook (scored 0, "
                                       "flagged)", "invalid notebook"),
    "not_prepared": ("autograder", "nbgrader's preparing stages failed on the notebook (scored "
                                   "0, flagged)", "notebook could not be prepared"),
    "grading_failed": ("problem", "the grading of the submission failed (flagged)",
                       "grading failed"),
    "surrogate_text": ("autograder", "text UTF-8 cannot encode (a lone surrogate) was kept as "
                                     "its escape", ""),
    "metadata_restored": ("autograder", "a cell's nbgrader metadata, edited by hand, was put "
                                        "back as in the source (flagged)", "grading problem"),
    "cell_type_restored": ("autograder", "a cell made another type was graded as the source's",
                           ""),
    "test_cell_restored": ("autograder", "a deleted test cell was put back from the source",
                           ""),
    "no_notebook": ("autograder", "Gradescope: the upload holds no notebook (nothing graded)",
                    ""),
    "which_notebook": ("autograder", "Gradescope: the upload holds several notebooks, none of "
                                     "the expected name (nothing graded)", ""),
    "unknown_cell_id": ("autograder", "a cell with an nbgrader id the assignment does not know "
                                      "was run as an ordinary cell of the student's", ""),
}
#: Stage codes that flag the notebook though their kind does not.
FLAGGING_CODES = {"kernel_died", "run_fault", "notebook_missing", "invalid_notebook",
                  "not_prepared", "metadata_restored"}

#: The review scan's categories (:mod:`graders.review`): the code of a ``review`` finding.
REVIEW: dict[str, str] = {
    "introspection": "reads the interpreter's internals: frames, gc, sys.modules, importlib, "
                     "torch internals",
    "monkeypatching": "assigns to builtins or to a library's attributes",
    "processes": "processes, threads and signals: os.fork, subprocess, os.kill, shell commands",
    "network": "sockets and web requests",
    "files": "files outside the working folder, sqlite3, shutil",
    "dynamic code": "exec, eval, compile, pickle, a computed getattr",
    "the grader's package": "imports graders or nbgrader",
    "limits": "the resource module (process limits)",
    "raw descriptors": "raw file descriptors: os.write, os.dup2, mmap, fcntl",
    "IPython internals": "IPython's hooks, display and history, magics",
    "syntax": "a cell that could not be parsed",
}


def _registry() -> dict[str, Code]:
    codes: dict[str, Code] = {}
    for ex in EXERCISES.values():
        for mistake in ex.mistakes:
            codes[ex.code(mistake.code)] = Code(ex.code(mistake.code), "diagnosis", mistake.says,
                                                mistake.says, source="mistake")
        for what, (meaning, student) in JUDGE.items():
            kind = "tampering" if what == "tampering" else "diagnosis"
            codes[ex.code(what)] = Code(ex.code(what), kind, meaning, student,
                                        "tampering" if kind == "tampering" else "", "judge")
    for code, (kind, meaning, group) in STAGE.items():
        codes[code] = Code(code, kind, meaning, group=group, flags=code in FLAGGING_CODES)
    for code, meaning in REVIEW.items():
        codes[code] = Code(code, "review", meaning, source="review")
    return codes


CODES: dict[str, Code] = _registry()


def describe(code: str) -> Code | None:
    """The registered code; a judge code of an exercise the table does not know by its
    general part (``other.wrong_value``); None for an unknown code."""
    if code in CODES:
        return CODES[code]
    exercise, _, what = code.rpartition(".")
    if exercise and what in JUDGE:
        kind = "tampering" if what == "tampering" else "diagnosis"
        return Code(code, kind, JUDGE[what][0], JUDGE[what][1],
                    "tampering" if kind == "tampering" else "", "judge")
    return None


@dataclass
class Finding:
    """One thing a stage found in a notebook (see the module docstring)."""

    kind: str  # one of KINDS
    code: str  # one of CODES
    text: str  # the sentence (for a diagnosis, the student's message)
    exercise: str | None = None  # the exercise (answer cell's grade id) whose comment holds it
    test: str | None = None  # the test cell's grade id, for a verdict
    where: dict = field(default_factory=dict)  # review: cell, line, what, source

    @property
    def flags(self) -> bool:
        """Whether this finding flags the notebook in the gradebook."""
        known = describe(self.code)
        return self.kind in FLAGGING or bool(known and known.flags)

    @property
    def group(self) -> str:
        """The report's reason for a flagged submission."""
        known = describe(self.code)
        return (known.group if known and known.group else
                "tampering" if self.kind == "tampering" else "grading problem")

    def line(self) -> str:
        """The gradebook comment line: ``[kind] code: text``."""
        return f"[{self.kind}] {self.code}: {self.text}" if self.code else \
            f"[{self.kind}] {self.text}"

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, {}, "")
                or k in ("kind", "code", "text")}

    @classmethod
    def from_json(cls, data: dict) -> Finding:
        return cls(str(data["kind"]), str(data.get("code") or ""), str(data.get("text") or ""),
                   data.get("exercise"), data.get("test"), dict(data.get("where") or {}))


def parse_line(line: str) -> Finding | None:
    """The finding a gradebook comment line holds (the inverse of :meth:`Finding.line`), or
    None for a line no stage wrote (an instructor's own)."""
    line = line.strip()
    if not line.startswith("["):
        return None
    kind, sep, rest = line[1:].partition("] ")
    if not sep or kind not in KINDS:
        return None
    code, sep, text = rest.partition(": ")
    if sep and describe(code) is not None:
        return Finding(kind, code, text)
    return Finding(kind, "", rest)


def parse_comment(text: str | None) -> list[Finding]:
    """Every finding in one gradebook comment."""
    return [f for f in map(parse_line, (text or "").splitlines()) if f is not None]


def store(nb, findings: list[Finding]) -> None:
    """Keep the findings in the notebook (``metadata.graders.findings``), once each."""
    graders = nb.metadata.setdefault("graders", {})
    kept = graders.setdefault("findings", [])
    for finding in findings:
        data = finding.to_json()
        if data not in kept:
            kept.append(data)


def stored(nb: dict) -> list[Finding] | None:
    """The findings kept in a notebook (a dict as json reads it, or an nbformat node); None
    when the notebook holds none (graded before they were kept, or not by these stages)."""
    data = (nb.get("metadata", {}).get("graders") or {}).get("findings")
    if not isinstance(data, list):
        return None
    return [Finding.from_json(d) for d in data if isinstance(d, dict) and "kind" in d]


def problem_code(fault: str, rerun: bool) -> str:
    """The code of a run's fault (the pools report them as sentences)."""
    died = "kernel died" in fault or "kernel deaths" in fault
    if rerun:
        return "rerun_kernel_died" if died else "rerun_fault"
    return "kernel_died" if died else "run_fault"


# --------------------------------------------------------------------------- the docs page
def markdown() -> str:
    """``docs/codes.md``: every registered code, from this registry."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = ["# Finding codes", "",
           "<!-- Generated by `python -m graders.findings > docs/codes.md` from the registry in "
           "graders/findings.py; tests/test_findings.py checks it is current. -->", "",
           "Every finding the grader records has a kind and a code. The report, Gradescope's "
           "`extra_data` and the gradebook's comments (`[kind] code: text`) use these codes.",
           "", "## Kinds", "", "| kind | what it tells the instructor |", "|---|---|"]
    out += [f"| `{k}` | {cell(v)} |" for k, v in KINDS.items()]
    out += ["", "## The judge's general codes", "",
            "Each is emitted per exercise, as `<exercise>.<code>` (`multilayer.not_done`).", "",
            "| code | kind | what it means | what the student reads |", "|---|---|---|---|"]
    for what, (meaning, student) in JUDGE.items():
        kind = "tampering" if what == "tampering" else "diagnosis"
        out.append(f"| `{what}` | {kind} | {cell(meaning)} | {cell(student)} |")
    out += ["", "## Each exercise's known mistakes", "",
            "From the exercise table (`graders/checks/exercises.py`); the student reads the "
            "sentence.", "", "| code | what the student did and reads |", "|---|---|"]
    for ex in EXERCISES.values():
        out += [f"| `{ex.code(m.code)}` | {cell(m.says)} |" for m in ex.mistakes]
    out += ["", "## The stages' and the engine's codes", "",
            "| code | kind | what it means | flagged as |", "|---|---|---|---|"]
    out += [f"| `{c}` | {kind} | {cell(meaning)} | {group or '-'} |"
            for c, (kind, meaning, group) in STAGE.items()]
    out += ["", "## The review list's categories", "",
            "Kind `review`: no points taken, no flag.", "", "| code | what the line does |",
            "|---|---|"]
    out += [f"| `{c}` | {cell(meaning)} |" for c, meaning in REVIEW.items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
