"""Batch autograde: ``graders autograde <assignment>``, nbgrader's autograde, fast and fault-proof.

It writes what ``nbgrader autograde`` writes (the gradebook, ``autograded/<student>/<assignment>/``)
so ``nbgrader generate_feedback``, ``nbgrader export`` and formgrader work unchanged after it. What
is nbgrader's and reused as is: the configuration (``nbgrader_config.py``: timeouts, output
limits, the course's preprocessors), the ``Autograde`` converter's sanitising stages
(``ClearOutput``, ``OverwriteCells``... which put back hidden and deleted test cells) and its
grading stages after ``Execute`` (``LimitOutput``, ``SaveAutoGrades``, ``AssignLatePenalties``...),
its skip-or-regrade rule and its file permissions. What is replaced:

* how cells run: :mod:`graders.kernel_pool` forks a warm template per submission and runs
  ``workers`` of them at once, instead of one fresh Jupyter kernel after another;
* the loop over students: preparation, execution and saving are pipelined, and every failure is
  kept to its submission. A notebook that is missing, renamed (``tensors (1).ipynb``) or not valid
  JSON, extra files, and kernels that died are recorded in the gradebook (the notebook is flagged
  and the reason written as a comment) and in the run's summary, never skipped silently;
* writing: each submission is written to a temporary folder and moved into place only after its
  grades are saved, so an interrupted batch (Ctrl-C, kill -9) resumes where it stopped and a
  re-run regrades nothing unless ``--force``.
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_core.paths import jupyter_config_path
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from sqlalchemy.exc import SAWarning
from traitlets import Enum, Float, Integer
from traitlets.config import Config, LoggingConfigurable
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from . import nbgrader_caching
from .kernel_pool import Job, KernelPool
from .progress import Progress

CONFIG_FILE = "nbgrader_config.py"
#: Kernels a grading process keeps running, so its own stage work overlaps their execution.
KERNELS_PER_SHARD = 2


class GradingEngine(LoggingConfigurable):
    """Settings of ``graders autograde``; set them in ``nbgrader_config.py`` as
    ``c.GradingEngine.<name>`` (command-line flags override them)."""

    workers = Integer(0, help="Grading processes; 0 means one per core. Each keeps two "
                              "submissions running, so at most 2 x workers run at once (and "
                              "2 x workers x memory_cap_gib is the memory they may take).").tag(
                                  config=True)
    memory_cap_gib = Float(4.0, help="Memory one submission may allocate (GiB) before its "
                                     "allocations fail with MemoryError.").tag(config=True)
    kill_grace = Float(5.0, help="Seconds past the cell timeout before a cell that ignores the "
                                 "interrupt is killed.").tag(config=True)
    max_restarts = Integer(3, help="Kernel deaths per notebook before the grader stops "
                                   "restarting it.").tag(config=True)
    traceback_mode = Enum(
        ["Plain", "Context", "Verbose", "Minimal"], "Plain",
        help="IPython traceback style in autograded notebooks. 'Context' is ipykernel's (what "
             "nbgrader autograde shows) but costs about ten times as much per failing cell; "
             "grades and the students' feedback (which keeps only the error message) are the "
             "same either way.").tag(config=True)


@dataclass
class Outcome:
    """What happened to one student's submission in this run."""

    student: str
    status: str = "graded"  # graded | skipped | failed
    score: float | None = None
    max_score: float | None = None
    notes: list[str] = field(default_factory=list)


def load_config(root: Path) -> Config:
    """nbgrader's configuration as nbgrader loads it: Jupyter's config folders, then the course."""
    config = Config()
    folders = [*reversed(jupyter_config_path()), str(root)]
    for folder in dict.fromkeys(folders):
        if os.path.isfile(os.path.join(folder, CONFIG_FILE)):
            config.merge(PyFileConfigLoader(CONFIG_FILE, path=folder).load_config())
    return config


def _instantiate(stages, parent, skip=()) -> list:
    out = []
    for stage in stages:
        cls = import_item(stage) if isinstance(stage, str) else stage
        if isinstance(cls, type):
            if issubclass(cls, tuple(skip)):
                continue
            out.append(cls(parent=parent))
        elif not isinstance(cls, tuple(skip)):
            out.append(cls)
    return out


@dataclass
class _Prepared:
    student: str
    notebook: str
    nb: object
    resources: dict
    staging: Path
    final: Path


class BatchAutograde:
    """Grades every submission of one assignment; see the module docstring."""

    def __init__(self, root: Path, assignment: str, students: list[str] | None = None,
                 force: bool = False, workers: int | None = None,
                 memory_cap_gib: float | None = None) -> None:
        nbgrader_caching.install()
        nbgrader_caching.compile_package()
        self.root = Path(root).resolve()
        self.assignment = assignment
        self.only = set(students or ())
        self.force = force
        config = load_config(self.root)
        self.coursedir = CourseDirectory(config=config)
        if not self.coursedir.root or self.coursedir.root == os.getcwd():
            self.coursedir.root = str(self.root)
        self.coursedir.assignment_id = assignment
        self.converter = Autograde(coursedir=self.coursedir, config=config)
        self.converter.force = force
        self.settings = GradingEngine(config=config)
        execute = Execute(config=config)
        self.pool = KernelPool(
            workers=workers or self.settings.workers or None,
            timeout=execute.timeout or 0,
            memory_cap=int((memory_cap_gib or self.settings.memory_cap_gib) * 2**30),
            grace=self.settings.kill_grace,
            max_restarts=self.settings.max_restarts,
            traceback_mode=self.settings.traceback_mode,
        )
        self.sanitizing_stages = _instantiate(self.converter.sanitize_preprocessors, self.converter)
        self.grading_stages = _instantiate(self.converter.autograde_preprocessors, self.converter,
                                  skip=(Execute,))
        self.outcomes: dict[str, Outcome] = {}

    # ------------------------------------------------------------------ paths
    def _submitted(self, student: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                               self.assignment))

    def _autograded(self, student: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student,
                                               self.assignment))

    def students(self) -> list[str]:
        pattern = self.coursedir.format_path(self.coursedir.submitted_directory, "*",
                                             self.assignment)
        found = sorted(Path(p).parent.name for p in glob.glob(pattern) if os.path.isdir(p))
        if self.only:
            missing = sorted(self.only - set(found))
            for student in missing:
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
        return [s for s in self.students() if self._should_grade(s)]

    def grade(self, students: list[str], report=None) -> dict[str, Outcome]:
        """Grade ``students``; ``report(outcome)`` is called as each one is recorded."""
        # nbgrader's update_or_create_submission trips SQLAlchemy's autoflush warning; it is
        # benign (stock `nbgrader autograde` prints it too) and would bury the progress bar.
        warnings.filterwarnings("ignore", category=SAWarning)
        self.report = report or (lambda outcome: None)
        self.pool.warm_up()
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            self.notebook_ids = [nb.name for nb in gb.find_assignment(self.assignment).notebooks]
        prepared: dict[str, _Prepared] = {}
        waiting: dict[str, set[str]] = {}
        for result in self.pool.run(self._jobs(students, prepared, waiting)):
            item = prepared.pop(result.key)
            try:
                self._save_notebook(item, result)
            except Exception as err:  # noqa: BLE001 - one submission's failure stays its own
                self._fail(item.student, f"could not save {item.notebook}: {err!r}")
            waiting[item.student].discard(item.notebook)
            if not waiting[item.student]:
                self._finish(item.student)
        return self.outcomes

    def _should_grade(self, student: str) -> bool:
        final = self._autograded(student)
        if self.force or not final.exists():
            return True
        new = self.coursedir.get_existing_timestamp(str(self._submitted(student)))
        old = self.coursedir.get_existing_timestamp(str(final))
        if new is not None and old is not None and new > old:
            return True
        self.outcomes[student] = Outcome(student, "skipped", notes=["already graded"])
        return False

    def _jobs(self, students, prepared, waiting) -> Iterator[Job]:
        for student in students:
            self.outcomes[student] = Outcome(student)
            waiting[student] = set()
            try:
                items = list(self._prepare(student))
            except Exception as err:  # noqa: BLE001
                self._fail(student, f"could not prepare the submission: {err!r}")
                continue
            for item in items:
                key = f"{student}/{item.notebook}"
                prepared[key] = item
                waiting[student].add(item.notebook)
                cells = [(i, c.source) for i, c in enumerate(item.nb.cells)
                         if c.cell_type == "code"]
                yield Job(key, cells, str(item.staging))
            if not items:  # nothing to run (missing or unreadable notebooks): record it now
                self._finish(student)

    # ------------------------------------------------------------------ stages
    def _prepare(self, student: str) -> Iterator[_Prepared]:
        """nbgrader's per-student set-up, then its sanitising stages, for each notebook."""
        source, final = self._submitted(student), self._autograded(student)
        staging = final.parent / f".{self.assignment}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        timestamp = self.coursedir.get_existing_timestamp(str(source))
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.update_or_create_student(student)
            kwargs = {"timestamp": timestamp} if timestamp else {}
            gb.update_or_create_submission(self.assignment, student, **kwargs)
        self._copy_other_files(source, staging)
        submitted = sorted(p.name for p in source.glob("*.ipynb"))
        used = set()
        for notebook in self.notebook_ids:
            path, note = self._find_notebook(source, notebook, submitted, used)
            if path is None:
                self._record_problem(student, notebook, note, zero=True)
                continue
            used.add(path.name)
            if note:
                self._note(student, note)
            try:
                nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
                nb = nbformat.convert(nb, 4)
                nbformat.validate(nb, relax_add_props=True)
            except Exception as err:  # noqa: BLE001 - any unreadable notebook is the same case
                reason = str(err).splitlines()[0][:200]
                self._record_problem(student, notebook, f"{path.name} is not a valid notebook "
                                     f"({type(err).__name__}: {reason})", zero=True)
                continue
            resources = {
                "unique_key": notebook,
                "output_files_dir": f"{notebook}_files",
                "metadata": {"path": str(staging)},
                "nbgrader": {"student": student, "assignment": self.assignment,
                             "notebook": notebook, "db_url": self.coursedir.db_url},
            }
            for stage in self.sanitizing_stages:
                nb, resources = stage(nb, resources)
            yield _Prepared(student, notebook, nb, resources, staging, final)
        extra = sorted(set(submitted) - used)
        if extra:
            self._note(student, f"extra notebooks not graded: {', '.join(extra)}")

    def _find_notebook(self, source: Path, notebook: str, submitted: list[str], used: set):
        expected = f"{notebook}.ipynb"
        if expected in submitted:
            return source / expected, ""
        stem = notebook.lower()
        candidates = [name for name in submitted if name not in used
                      and name.lower().startswith(stem) and name not in self._known_names()]
        if len(candidates) == 1:
            return source / candidates[0], f"graded {candidates[0]!r} as {expected}"
        found = ", ".join(submitted) or "no notebooks"
        return None, f"{expected} is missing (found: {found})"

    def _known_names(self) -> set[str]:
        return {f"{name}.ipynb" for name in self.notebook_ids}

    def _copy_other_files(self, source: Path, staging: Path) -> None:
        """Like nbgrader: the student's other files, then the source's (these win)."""
        ignore = self.coursedir.ignore + ["*.ipynb"]
        src_dir = self.coursedir.format_path(self.coursedir.source_directory, ".",
                                             self.assignment)
        keep = {os.path.join(src_dir, x)
                for x in self.converter.exclude_overwriting.get(self.assignment, [])}
        for root, files in ((str(source), utils.find_all_files(str(source), ignore)),
                            (src_dir, set(utils.find_all_files(src_dir, ignore)) - keep)):
            for filename in files:
                dest = staging / os.path.relpath(filename, root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(filename, dest)

    def _save_notebook(self, item: _Prepared, result) -> None:
        """Put the outputs in, then nbgrader's stages after Execute (they save the grades)."""
        nb, resources = item.nb, item.resources
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs = [nbformat.from_dict(o) for o in result.outputs.get(index, [])]
            cell.execution_count = result.execution_counts.get(index)
        for stage in self.grading_stages:
            nb, resources = stage(nb, resources)
        nbformat.write(nb, item.staging / f"{item.notebook}.ipynb")
        for fault in result.faults:
            self._record_problem(item.student, item.notebook, fault, zero=False)

    def _finish(self, student: str) -> None:
        outcome = self.outcomes[student]
        final = self._autograded(student)
        staging = final.parent / f".{self.assignment}.partial"
        if outcome.status != "failed":
            try:
                if final.exists():
                    shutil.rmtree(final)
                staging.rename(final)
                self.converter.set_permissions(self.assignment, student)
                with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                    submission = gb.find_submission(self.assignment, student)
                    outcome.score, outcome.max_score = submission.score, submission.max_score
            except Exception as err:  # noqa: BLE001
                self._fail(student, f"could not record the result: {err!r}")
        shutil.rmtree(staging, ignore_errors=True)
        self.report(outcome)

    # ------------------------------------------------------------------ problems
    def _note(self, student: str, note: str) -> None:
        self.outcomes[student].notes.append(note)

    def _fail(self, student: str, reason: str) -> None:
        outcome = self.outcomes.setdefault(student, Outcome(student))
        outcome.status = "failed"
        outcome.notes.append(reason)

    def _record_problem(self, student: str, notebook: str, reason: str, zero: bool) -> None:
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
                comment = sub.comments[0]
                note = f"[autograder] {reason}"
                comment.auto_comment = "\n".join(filter(None, [comment.auto_comment, note]))
            gb.db.commit()


def autograde(root: Path, assignment: str, students: list[str] | None = None,
              force: bool = False, workers: int | None = None,
              memory_cap_gib: float | None = None,
              progress: Progress | None = None) -> tuple[dict[str, Outcome], float]:
    """Grade a batch with ``workers`` shards; returns the outcomes and the wall time (s)."""
    start = time.monotonic()
    progress = progress or Progress(0)
    planner = BatchAutograde(root, assignment, students=students, force=force,
                             memory_cap_gib=memory_cap_gib, workers=KERNELS_PER_SHARD)
    todo = planner.plan()
    outcomes = dict(planner.outcomes)
    shards = max(1, min(workers or planner.settings.workers or os.cpu_count() or 1, len(todo)))
    progress.start(len(todo))

    def report(outcome: Outcome) -> None:
        outcomes[outcome.student] = outcome
        progress.advance(outcome.student)

    if shards == 1:
        planner.grade(todo, report)
    else:
        _run_shards(planner, [todo[i::shards] for i in range(shards)], report)
    return outcomes, time.monotonic() - start


def _shard(index, batch: BatchAutograde, students, queue) -> None:
    """One grading process: the whole pipeline, with its own kernel template, for its share.
    ``batch`` is the planner it was forked from: config, converter and stages are ready."""
    try:
        for engine in nbgrader_caching.engines():  # never share a connection across a fork
            engine.dispose(close=False)
        batch.grade(students, lambda outcome: queue.put(("outcome", index, asdict(outcome))))
        queue.put(("exit", index, None))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the coordinator reports
        pass
    except BaseException as err:  # noqa: BLE001 - tell the coordinator, whatever happened
        queue.put(("crash", index, f"{type(err).__name__}: {err}"))


def _run_shards(planner: BatchAutograde, shares, report) -> None:
    """Run one process per share of students, relaying each outcome to ``report``.

    The shards are forked from this process, which has imported nbgrader, read the config and
    built ``planner``'s stages already, so they start at once and share that work. Nothing here
    has started a thread or a kernel template yet, and the gradebook's connections are closed
    (``Gradebook.close`` disposes them), so the fork is clean; each shard opens its own
    connections and starts its own template."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_shard,  # not daemonic: a shard starts its own kernel template
                         args=(i, planner, share, queue))
             for i, share in enumerate(shares)]
    for proc in procs:
        proc.start()
    try:
        _relay(procs, shares, queue, report)
    finally:  # Ctrl-C or an error here: stop the shards; finished students stay recorded
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=10)


def _relay(procs, shares, queue, report) -> None:
    pending = {student: i for i, share in enumerate(shares) for student in share}
    running = set(range(len(procs)))
    while running:
        try:
            kind, index, payload = queue.get(timeout=1.0)
        except Empty:
            for i in [i for i in running if procs[i].exitcode is not None]:
                running.discard(i)  # died without a word (the OOM killer, say)
                _give_up(pending, i, f"grading process exited ({procs[i].exitcode})", report)
            continue
        if kind == "outcome":
            pending.pop(payload["student"], None)
            report(Outcome(**payload))
        else:
            running.discard(index)
            _give_up(pending, index, f"grading process failed: {payload}", report)


def _give_up(pending: dict[str, int], shard: int, reason: str, report) -> None:
    for student in [s for s, i in pending.items() if i == shard]:
        del pending[student]
        report(Outcome(student, "failed", notes=[reason]))
