"""Converter: nbgrader's ``Autograde`` converter, mirrored for one submission at a time.

What is nbgrader's and reused as is: the configuration, the converter's sanitising stages
(``ClearOutput``, ``OverwriteCells``...), its stages after ``Execute`` (``VerifyAnswers``,
``LimitOutput``, ``SaveAutoGrades``, ``SaveFindings``...), its skip-or-regrade rule and its file
permissions (``OverwriteCells``, ``OverwriteKernelspec`` and ``AssignLatePenalties`` run as their
``...AtOnce`` subclasses: the same work, with the gradebook read a table at a time instead of a cell
at a time). What is replaced is how cells run: each notebook's run (which is also the grader's
seeded re-run) and its fresh re-run go to a pool (:mod:`graders.engine.pool`, or a Dask cluster's,
:mod:`graders.engine.dask_pool`) side by side. A notebook that is missing, renamed, unreadable or
not preparable is recorded in the gradebook (flagged, the reason in a comment), never skipped
silently; each submission is written to a temporary folder and moved into place only after its
grades are saved. Where this code re-does what an nbgrader 0.9.6 method does, a comment names the
method, so that an nbgrader upgrade is a checklist.

Leans on nbgrader (the ``Autograde`` converter's stages and rules, the gradebook API), nbformat and
traitlets. Written by hand, because nbgrader grades one student after another in one process and
drops a submission whose kernel dies: the per-submission pipeline, its faults recorded, and the
resumable writes.
"""

from __future__ import annotations

import gc
import glob
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.validator import _normalize
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (
    AssignLatePenalties,
    Execute,
    OverwriteCells,
    OverwriteKernelspec,
)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from .. import course
from ..checks import run_plan
from ..engine import nbgrader_caching
from ..engine.jobs import Job, JobResult
from ..engine.runs import assignment_files, copy_files, make_pool, probe_jobs
from ..engine.sandbox import SandboxLayoutError
from ..engine.scratch import remove_tree
from ..findings import Finding, problem_code
from ..preprocessors.assign_late_penalties_at_once import AssignLatePenaltiesAtOnce
from ..preprocessors.gradebook_rows import enter_submission, submission_score
from ..preprocessors.guard_gradebook import foreign_objects, remove, sqlite_path
from ..preprocessors.overwrite_cells_at_once import OverwriteCellsAtOnce
from ..preprocessors.overwrite_kernelspec_at_once import OverwriteKernelspecAtOnce
from ..preprocessors.save_findings import add_comment_line
from ..preprocessors.verify_answers import VerifyAnswers, notebook_key
from .outcome import Outcome
from .outcome import short as _short

#: Notebooks a grading process keeps running (each with its fresh re-run), so its own stage work
#: overlaps their execution.
NOTEBOOKS_PER_SHARD = 2
RUNS_PER_NOTEBOOK = 2  # the notebook's own run (the seeded re-run too) and the fresh re-run


#: nbgrader's stages replaced by a subclass that does the same work with fewer gradebook queries
#: (see each one's docstring); the configured class's settings apply to it.
_AT_ONCE = {OverwriteCells: OverwriteCellsAtOnce, OverwriteKernelspec: OverwriteKernelspecAtOnce,
            AssignLatePenalties: AssignLatePenaltiesAtOnce}


def _instantiate(stages, parent, skip=()) -> list:
    """Mirrors nbconvert's ``Exporter.register_preprocessor`` (classes get ``parent``)."""
    out = []
    for stage in stages:
        cls = import_item(stage) if isinstance(stage, str) else stage
        cls = _AT_ONCE.get(cls, cls)
        if isinstance(cls, type):
            if issubclass(cls, tuple(skip)):
                continue
            out.append(cls(parent=parent))
        elif not isinstance(cls, tuple(skip)):
            out.append(cls)
    return out



def _writes(nb, **kwargs) -> str:
    """``nbformat.writes(nb)`` without its schema check, which on writing only logs what it
    finds (the submission was checked when it was read; what the stages changed since is
    nbgrader's and ours): 0.7 ms a notebook. The repairs that check makes on the way, a cell id
    made for a cell without one (a test cell put back) and a duplicate one replaced, are made
    here by nbformat's own function, as ``writes`` would."""
    _normalize(nb, nb.nbformat, nb.nbformat_minor, repair_duplicate_cell_ids=True,
               relax_add_props=False, strip_invalid_metadata=False)
    return nbformat.versions[nb.nbformat].writes_json(nb, **kwargs)


@dataclass
class _Prepared:
    student: str
    notebook: str
    nb: object
    resources: dict
    staging: Path
    probe_folders: list[Path]
    results: dict = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)


class BatchAutograde:
    """Grades every submission of one assignment; see the module docstring."""

    def __init__(self, root: Path, assignment: str, students: list[str] | None = None,
                 force: bool = False, sandbox: bool | None = None,
                 memory_cap_gib: float | None = None, scheduler=None,
                 config: Config | None = None) -> None:
        nbgrader_caching.install()
        self.root = Path(root).resolve()
        self.assignment = assignment
        self.only = set(students or ())
        self.force = force
        #: > 0 while the gradebook or the notebook's files are being written: a Ctrl-C then waits
        #: for the student to be recorded (see autograde.run), so that it never lands inside
        #: SQLAlchemy (whose clean-up prints a traceback) or half-way through a write
        self.recording = 0
        self.config = course.load_config(self.root)
        if config is not None:  # the command line's settings, over the course's
            self.config.merge(config)
        self.coursedir = course.course_directory(self.root, self.config)
        self.coursedir.assignment_id = assignment
        self.converter = Autograde(coursedir=self.coursedir, config=self.config)
        self.settings = course.settings(self.config)
        self.reference = course.reference_file(self.config)
        self.sandbox = self.settings.sandbox if sandbox is None else sandbox
        self.memory_cap_gib = memory_cap_gib
        # A Dask scheduler's address, Client or cluster object; "" or None: this machine.
        self.scheduler = self.settings.scheduler if scheduler is None else scheduler
        if isinstance(self.scheduler, str) and not self.scheduler:
            self.scheduler = None
        self.timeout = Execute(config=self.config).timeout or 0
        self.sanitizing_stages = _instantiate(self.converter.sanitize_preprocessors,
                                              self.converter)
        self.grading_stages = _instantiate(self.converter.autograde_preprocessors,
                                           self.converter, skip=(Execute,))
        if not any(isinstance(s, VerifyAnswers) for s in self.grading_stages):
            raise SystemExit(
                "nbgrader_config.py does not list graders.preprocessors.VerifyAnswers in "
                "c.Autograde.autograde_preprocessors, so no hidden test could be decided. Add it "
                "after Execute (see this course's nbgrader_config.py).")
        self.outcomes: dict[str, Outcome] = {}
        self.dask_options: dict = {}  # for a DaskPool: see _autograde_on_dask
        self.pool = None
        self.gradebook_repaired: list[str] = []

    # ------------------------------------------------------------------ paths
    def _submitted(self, student: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                               self.assignment))

    def _autograded(self, student: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student,
                                               self.assignment))

    def _staging(self, student: str) -> Path:
        final = self._autograded(student)
        return final.parent / f".{self.assignment}.partial"

    def students(self) -> list[str]:
        pattern = self.coursedir.format_path(self.coursedir.submitted_directory, "*",
                                             self.assignment)
        found = sorted(Path(p).parent.name for p in glob.glob(pattern) if os.path.isdir(p))
        if self.only:
            for student in sorted(self.only - set(found)):
                self.outcomes[student] = Outcome(student, "failed", notes=[
                    f"no folder {self._submitted(student)}"])
            found = [s for s in found if s in self.only]
        return found

    # ------------------------------------------------------------------ run
    def plan(self) -> list[str]:
        """The students to grade now; those skipped are recorded in ``self.outcomes``."""
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                gb.find_assignment(self.assignment)
            except MissingEntry:
                raise SystemExit(
                    f"The gradebook has no assignment {self.assignment!r}: run `nbgrader "
                    f"generate_assignment {self.assignment}` (or `make release`) first."
                ) from None
        run_plan.course_secret(self.root)  # made once here, before grading processes fork
        path = sqlite_path(self.coursedir.db_url)
        foreign = foreign_objects(path) if path else []
        if foreign:  # left by an earlier run of stock nbgrader, say
            remove(path, foreign)
            self.gradebook_repaired = [f"{kind} {name}" for kind, name in foreign]
        return [s for s in self.students() if self._should_grade(s)]

    def make_pool(self, notebooks: int, slot_offset: int | None = None):
        try:
            return make_pool(self.root, self.config, self.timeout,
                             workers=notebooks * RUNS_PER_NOTEBOOK, sandbox=self.sandbox,
                             memory_cap_gib=self.memory_cap_gib, slot_offset=slot_offset,
                             scheduler=self.scheduler, **self.dask_options)
        except SandboxLayoutError as err:
            raise SystemExit(str(err)) from None

    def grade(self, students: Iterable[str | None], report=None,
              pool=None) -> dict[str, Outcome]:
        """Grade ``students``; ``report(outcome)`` is called as each one is recorded (and the
        outcome is not kept here after that: what this returns are only those not reported).
        ``students`` may be an open feed (``graders serve``): ``None`` from it means "no one
        new yet", and it is asked again once the pool has waited ``pool.idle_wait``."""
        # nbgrader's update_or_create_submission trips SQLAlchemy's autoflush warning; it is
        # benign (stock `nbgrader autograde` prints it too) and would bury the progress bar.
        warnings.filterwarnings("ignore", category=SAWarning)
        self.report = report or (lambda outcome: None)
        self.pool = pool or self.make_pool(NOTEBOOKS_PER_SHARD)
        self.pool.warm_up()
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            self.notebook_ids = [nb.name for nb in gb.find_assignment(self.assignment).notebooks]
        # What the process has built so far (the imports' modules, the stages, the config) lives
        # as long as it does: left out of the garbage collector's full passes, which otherwise
        # walk its ~250,000 objects (about 4 ms a notebook measured, 1 with them left out).
        gc.freeze()
        prepared: dict[str, _Prepared] = {}
        waiting: dict[str, set[str]] = {}
        started: dict[str, float] = {}
        try:
            for result in self.pool.run(self._jobs(students, prepared, waiting, started)):
                key, _, run = result.key.partition("#")
                item = prepared.get(key)
                if item is None or (run or "main") in item.results:
                    continue  # a result for a run already recorded: each notebook is saved once
                item.results[run or "main"] = result
                if len(item.results) < RUNS_PER_NOTEBOOK:
                    continue
                del prepared[key]
                with self._writing():
                    try:
                        self._save_notebook(item)
                    except Exception as err:  # noqa: BLE001 - one failure stays its own
                        self._fail(item.student, f"could not save {item.notebook}: {_short(err)}")
                    finally:
                        for folder in item.probe_folders:
                            remove_tree(folder)
                    waiting[item.student].discard(item.notebook)
                    if not waiting[item.student]:
                        self.outcomes[item.student].seconds = (time.monotonic()
                                                               - started.pop(item.student))
                        del waiting[item.student]
                        self._finish(item.student)
        finally:
            if pool is None:
                self.pool.close()
        return self.outcomes

    @contextmanager
    def _writing(self):
        self.recording += 1
        try:
            yield
        finally:
            self.recording -= 1

    def _should_grade(self, student: str) -> bool:
        """Mirrors nbgrader 0.9.6 ``BaseConverter._skip_assignment`` / ``init_destination``:
        regrade when forced, never graded, or submitted again since."""
        final = self._autograded(student)
        if self.force or not final.exists():
            return True
        new = self.coursedir.get_existing_timestamp(str(self._submitted(student)))
        old = self.coursedir.get_existing_timestamp(str(final))
        if new is not None and old is not None and new > old:
            return True
        self.outcomes[student] = Outcome(student, "skipped", notes=["already graded"])
        return False

    def _jobs(self, students, prepared, waiting, started) -> Iterator[Job | None]:
        for student in students:
            if student is None:  # an open feed with no one new: the pool asks again later
                yield None
                continue
            self.outcomes[student] = Outcome(student)
            started[student] = time.monotonic()
            waiting[student] = set()
            try:
                items = list(self._prepare(student))
            except Exception as err:  # noqa: BLE001
                self._fail(student, f"could not prepare the submission: {_short(err)}")
                del waiting[student], started[student]
                self._finish(student)
                continue
            waiting[student].update(item.notebook for item in items)  # before any can finish
            for item in items:
                key = f"{student}/{item.notebook}"
                prepared[key] = item
                state = item.resources["graders"]
                # The notebook's own run is the seeded re-run too (probes.plan's "main"): its
                # answers are read back before each exercise's test cells run.
                yield Job(key, state["plan"].main, str(item.staging), trace=True)
                jobs, item.probe_folders = probe_jobs(key, state["plan"], state["files"],
                                                      names=("fresh",))
                yield from jobs
            if not items:  # nothing to run (missing or unreadable notebooks): record it now
                del waiting[student], started[student]
                self._finish(student)

    # ------------------------------------------------------------------ stages
    def _files(self, student: str):
        return assignment_files(self.coursedir, self.converter, student, self.assignment)

    def _prepare(self, student: str) -> Iterator[_Prepared]:
        """nbgrader's per-student set-up (mirrors nbgrader 0.9.6 ``Autograde.init_assignment``:
        student, submission and timestamp in the gradebook, other files copied, missing
        notebooks scored 0), then its sanitising stages for each notebook (mirrors
        ``Autograde.convert_single_notebook``'s first pass and ``BaseConverter``'s resources)."""
        source, staging = self._submitted(student), self._staging(student)
        remove_tree(str(staging))
        staging.mkdir(parents=True)
        timestamp = self.coursedir.get_existing_timestamp(str(source))
        with self._writing(), Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            # gb.update_or_create_student, then gb.update_or_create_submission, in one go
            enter_submission(gb, self.assignment, student, timestamp)
        files = self._files(student)  # read once, before any of this student's code runs
        copy_files(files, staging)
        submitted = sorted(p.name for p in source.glob("*.ipynb"))
        used = set()
        for notebook in self.notebook_ids:
            path, note = self._find_notebook(source, notebook, submitted, used)
            if path is None:
                self._record_problem(student, notebook, note, zero=True,
                                     code="notebook_missing")
                continue
            used.add(path.name)
            if note:
                self._note(student, note)
            try:
                nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
                nb = nbformat.convert(nb, 4)
                nbformat.validate(nb, relax_add_props=True)
            except Exception as err:  # noqa: BLE001 - any unreadable notebook is the same case
                self._record_problem(student, notebook, f"{path.name} is not a valid notebook "
                                     f"({_short(err)})", zero=True, code="invalid_notebook")
                continue
            resources = {
                "unique_key": notebook,
                "output_files_dir": f"{notebook}_files",
                "metadata": {"path": str(staging)},
                "nbgrader": {"student": student, "assignment": self.assignment,
                             "notebook": notebook, "db_url": self.coursedir.db_url},
            }
            try:
                for stage in self.sanitizing_stages:
                    nb, resources = stage(nb, resources)
            except Exception as err:  # noqa: BLE001 - recorded, with the stage that failed
                reason = (f"nbgrader could not prepare {path.name} ({type(stage).__name__}: "
                          f"{_short(err)}); its scores are set to 0")
                self._record_problem(student, notebook, reason, zero=True, code="not_prepared")
                self.outcomes[student].status = "failed"
                self.outcomes[student].zeroed = True
                continue
            plan = run_plan.plan(nb, notebook_key(self.root, resources, files),
                                 course.load_reference(self.reference))
            resources["graders"] = {"plan": plan, "files": files}
            yield _Prepared(student, notebook, nb, resources, staging, [])
        extra = sorted(set(submitted) - used)
        if extra:
            self._note(student, f"extra notebooks not graded: {', '.join(extra)}")

    def _find_notebook(self, source: Path, notebook: str, submitted: list[str], used: set):
        expected = f"{notebook}.ipynb"
        if expected in submitted:
            return source / expected, ""
        renamed = course.renamed_notebook(notebook, [n for n in submitted if n not in used],
                                          self.notebook_ids)
        if renamed is not None:
            return source / renamed, f"graded {renamed!r} as {expected}"
        found = ", ".join(submitted) or "no notebooks"
        return None, f"{expected} is missing (found: {found})"

    def _save_notebook(self, item: _Prepared) -> None:
        """Put the outputs in, then nbgrader's stages after Execute (they save the grades)."""
        nb, resources = item.nb, item.resources
        main: JobResult = item.results["main"]
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs = [nbformat.from_dict(o) for o in main.outputs.get(index, [])]
            cell.execution_count = main.execution_counts.get(index)
        resources["graders"]["probe_results"] = {"seeded": main, "fresh": item.results["fresh"]}
        resources["graders"]["seeded_is_main"] = True  # its faults are recorded below
        for stage in self.grading_stages:
            nb, resources = stage(nb, resources)
        state = resources["graders"]
        nb.metadata["graders"] = {  # for the instructor's report: how this grading went
            "engine": "graders autograde",
            "seconds": round(time.monotonic() - item.started, 3),
            "runs": {name: {"seconds": round(r.seconds, 3), "faults": r.faults,
                            "sandbox": (r.sandbox or {}).get("applied", [])}
                     for name, r in item.results.items()},
            "review": state.get("review", []),
            "findings": [  # every finding of this notebook (SaveFindings), and the run's faults
                *nb.metadata.get("graders", {}).get("findings", []),
                *(Finding("autograder", problem_code(f, rerun=False), f).to_json()
                  for f in main.faults)],
            "sanitized": nb.metadata.get("graders", {}).get("sanitized", []),
        }
        # A fresh file moved into place: never write through a link the submission left there.
        target = item.staging / f"{item.notebook}.ipynb"
        partial = item.staging / f".{item.notebook}.ipynb.{os.getpid()}.tmp"
        text = _writes(nb)
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate CleanText did not see: JSON escapes it
            data = _writes(nb, ensure_ascii=True).encode("ascii")
        with open(partial, "wb") as fh:
            fh.write(data + b"\n")
        os.replace(partial, target)
        for fault in main.faults:
            self._record_problem(item.student, item.notebook, fault, zero=False,
                                 code=problem_code(fault, rerun=False))
        outcome = self.outcomes[item.student]
        tampering = [f for f in resources["graders"].get("findings", [])
                     if f["kind"] == "tampering"]
        if tampering:
            outcome.notes.append(f"tampering: {tampering[0]['text'].split('. ')[0]} "
                                 f"({len(tampering)} test(s) failed for it)")
        outcome.review += resources["graders"].get("review", [])
        outcome.sandbox_ms += [1000 * r.sandbox["cpu_seconds"] for r in item.results.values()
                               if r.sandbox and "cpu_seconds" in r.sandbox]

    def _finish(self, student: str) -> None:
        """Mirrors nbgrader 0.9.6 ``BaseConverter.convert_notebooks``' end of a student: the
        output folder in place, permissions set (``set_permissions``)."""
        outcome = self.outcomes[student]
        final, staging = self._autograded(student), self._staging(student)
        if outcome.status != "failed":
            try:
                if final.exists() and not remove_tree(str(final)):
                    raise OSError(f"{final} could not be removed in time")
                staging.rename(final)
                self.converter.set_permissions(self.assignment, student)
                with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                    # gb.find_submission(...)'s score and max_score, in one query
                    outcome.score, outcome.max_score = submission_score(gb, self.assignment,
                                                                        student)
            except Exception as err:  # noqa: BLE001
                self._fail(student, f"could not record the result: {_short(err)}")
        if outcome.status == "failed":
            self._mark_failed(student, outcome)
        remove_tree(str(staging))
        # Reported, and not kept here: whoever asked for the report keeps what it needs, so the
        # grading process's memory does not grow with the class.
        self.outcomes.pop(student, None)
        self.report(outcome)

    def _mark_failed(self, student: str, outcome: Outcome) -> None:
        """A submission that could not be graded: flagged in the gradebook with the reason, and
        if an earlier grading left scores there, said so (they are not this submission's)."""
        reason = "; ".join(outcome.notes) or "grading failed"
        try:
            with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                submission = gb.find_submission(self.assignment, student)
                earlier = self._autograded(student).exists() and not outcome.zeroed
                if earlier:
                    outcome.notes.append(f"the gradebook still holds the earlier grading's "
                                         f"score ({submission.score:g}); it is flagged")
                for notebook in submission.notebooks:
                    notebook.flagged = True
                    if notebook.comments:
                        add_comment_line(notebook.comments[0], Finding(
                            "problem", "grading_failed", f"grading failed: {reason}"
                            + (" (the scores shown are from an earlier grading)" if earlier
                               else "")))
                gb.db.commit()
        except Exception:  # noqa: BLE001 - no gradebook entry to mark: the summary says it all
            pass

    # ------------------------------------------------------------------ problems
    def _note(self, student: str, note: str) -> None:
        self.outcomes[student].notes.append(note)

    def _fail(self, student: str, reason: str) -> None:
        outcome = self.outcomes.setdefault(student, Outcome(student))
        outcome.status = "failed"
        outcome.notes.append(reason)

    def _record_problem(self, student: str, notebook: str, reason: str, zero: bool,
                        code: str) -> None:
        """Flag the notebook in the gradebook and write the reason where instructors read it."""
        self._note(student, f"{notebook}: {reason}")
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            sub = gb.find_submission_notebook(notebook, self.assignment, student)
            sub.flagged = True
            if zero:
                for grade in sub.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            if sub.comments:
                add_comment_line(sub.comments[0], Finding("autograder", code, reason))
            gb.db.commit()


