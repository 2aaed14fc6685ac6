"""SealedExecute: nbgrader's ``Execute`` stage with the notebook's kernel sealed.

Stock ``nbgrader autograde`` runs a submission in an ordinary Jupyter kernel, with the grader's
rights: the student's code could read ``source/``, rewrite ``gradebook.db`` or other students'
folders. This stage is nbgrader's ``Execute`` (every ``c.Execute`` setting applies) with one
change: the kernel is :mod:`graders.kernel.sealed_kernel`, started with a clean environment and
the policy the engine gives its own children (:mod:`graders.engine.sandbox`, from
``c.GradingEngine``): it may read Python and the system, write only the submission's folder
under ``autograded/`` and a private temporary folder, bind its own five ports and connect
nowhere. With ``c.GradingEngine.sandbox = False`` it is nbgrader's ``Execute`` unchanged.

What is written here by hand: jupyter_client starts kernels from kernelspecs found on disk;
:class:`SealedKernelManager` gives it the sealed kernel's command in code instead, so nothing
needs installing into a Jupyter data folder and no kernel shows up in the instructor's launcher.

Two of ``Execute``'s defaults change, so that a kernel slow to say it is idle (an overloaded
machine, or a student's cell that slows its stdout) costs that cell's late output, not the whole
submission: nbgrader raises on nbclient's 4 s wait for a cell's last IOPub message, and a raise
there fails the notebook, removes it from ``autograded/`` and scores every test 0
(``tests/test_batch_faults.py``).
The wait is 10 s here and, past it, the cell's late output is left out and the notebook goes on.
nbgrader raises to stop notebooks that loop consuming memory; the sealed kernel's memory cap and
each cell's timeout stop those. Both stay ``c.Execute`` settings.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from .. import course
from ..engine.run_memory import Watch
from ..engine.sandbox import (
    child_environment,
    kill_group,
    make_policy,
    process_uid_offset,
    sandbox_check,
)
from ..engine.scratch import prune, remove_tree, scan
from ..kernel.sealed_kernel import POLICY_VARIABLE

REPORT_NAME = ".graders-sandbox.json"


class SealedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, launching the sealed kernel whatever the notebook's
    kernelspec says (the course's notebooks are Python 3 notebooks)."""

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(
                argv=[sys.executable, "-m", "graders.kernel.sealed_kernel",
                      "-f", "{connection_file}"],
                display_name="Python 3 (sealed by graders)", language="python",
                interrupt_mode="signal", resource_dir="")
        return self._kernel_spec

    @property
    def ipykernel(self) -> bool:
        return True  # so nbclient passes its in-memory history option, as for python3


class SealedExecute(Execute):
    raise_on_iopub_timeout = Bool(
        False, help="Fail the notebook when a cell's output is still coming iopub_timeout "
                    "seconds after its reply (nbgrader: True; see the module docstring)."
    ).tag(config=True)
    iopub_timeout = Integer(
        10, help="Seconds to wait for a cell's last output after its reply (nbclient: 4)."
    ).tag(config=True)
    _checked: dict = {}  # course root -> what the sandbox lacks on this machine (checked once)

    def _settings(self) -> course.GradingEngine:
        return course.settings(self.config)

    def create_kernel_manager(self):
        if self._settings().sandbox:
            self.kernel_manager_class = SealedKernelManager
        return super().create_kernel_manager()

    def preprocess(self, nb, resources, km=None):
        self._private = self._group = self._cwd = self._watch = None
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            self._restore()

    async def async_start_new_kernel(self, **kwargs):
        settings = self._settings()
        if not settings.sandbox or not isinstance(self.km, SealedKernelManager):
            return await super().async_start_new_kernel(**kwargs)
        root = course.stage_course(self)[0]
        cwd = kwargs.get("cwd") or self.resources.get("metadata", {}).get("path") or "."
        cwd = str(Path(cwd).resolve())
        limits = course.limits(settings)
        sandbox = make_policy(root, limits, settings.sandbox_uid_base)
        self._check(str(root), sandbox, settings.require_sandbox)
        self._private, self._cwd = tempfile.mkdtemp(prefix="graders-kernel-"), cwd
        self._notebooks = _top_notebooks(cwd)
        # One uid per grading process: the first of this process's range (sandbox.UID_STRIDE).
        policy = sandbox.for_job(cwd, self._private, slot=process_uid_offset())
        policy["require"] = settings.require_sandbox
        # A memory cgroup of its own where this grader may make one (graders/engine/cgroups.py):
        # memory files and shared memory count against the cap too, not only address space.
        from ..engine.cgroups import RunGroups

        self._groups, self._group_name = RunGroups(), f"graders-kernel-{os.getpid()}"
        try:
            policy["cgroups"] = self._groups.create(self._group_name, limits.memory_cap,
                                                    2 * limits.max_processes)
        except OSError:
            self._groups.remove(self._group_name)
        self._owner = None
        if os.geteuid() == 0:  # the sandbox's uid must be able to write its two folders
            stat = os.stat(cwd)
            self._owner = (cwd, stat.st_uid, stat.st_gid)
            for folder in (cwd, self._private):
                os.chown(folder, policy["uid"], policy["gid"])
        env = child_environment(self._private)
        for name in ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "PYTHONPATH"):
            if name in os.environ:
                env[name] = os.environ[name]
            elif name != "NBGRADER_EXECUTION":
                env.pop(name, None)
        env[POLICY_VARIABLE] = json.dumps(policy)
        env["GRADERS_KERNEL_REPORT"] = os.path.join(self._private, REPORT_NAME)
        kwargs.update(cwd=cwd, env=env)
        await super().async_start_new_kernel(**kwargs)
        self._group = getattr(self.km.provisioner, "pgid", None)
        if self._group and not policy.get("cgroups"):  # no memory cgroup: its group watched here
            self._watch = Watch(self._group, limits.memory_cap)
            self._watch.start()

    # nbclient binds its synchronous wrappers to its own coroutines: bind them to these.
    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        if self._private is not None:  # ready, and no cell has run: the kernel's own report
            try:
                with open(os.path.join(self._private, REPORT_NAME)) as fh:
                    missing = json.load(fh).get("missing", [])
            except (OSError, ValueError):
                missing = ["the kernel did not report its sandbox"]
            if missing:
                self.log.warning("The notebook's kernel runs without: %s", "; ".join(missing))
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _check(self, root: str, sandbox, required: bool) -> None:
        """Once per course and process: refuse (required) or warn about a partial sandbox."""
        if root not in self._checked:
            self._checked[root] = missing = sandbox_check(sandbox)
            if missing and not required:
                self.log.warning("The sandbox is incomplete on this machine; notebooks run "
                                 "without: %s", "; ".join(missing))
        missing = self._checked[root]
        if missing and required:
            raise RuntimeError(
                "The sandbox is required (c.GradingEngine.require_sandbox) but this kernel "
                "lacks: " + "; ".join(missing) + ". Grade on a machine with Landlock and "
                "seccomp, or set require_sandbox = False to grade with what there is.")

    def _restore(self) -> None:
        """After the notebook: what the kernel left running, its folders, its private folder."""
        if getattr(self, "_watch", None):
            self._watch.stop()
            for problem in self._watch.stopped:
                self.log.warning("Stopped the processes the notebook's kernel started: %s",
                                 problem)
            self._watch = None
        if getattr(self, "_group", None):  # the kernel led its own session and process group
            kill_group(self._group)  # gone before the next notebook's kernel (same uid) starts
            self._group = None
        if getattr(self, "_groups", None):
            self._groups.remove(self._group_name, wait=2.0)
            self._groups = None
        if getattr(self, "_owner", None):
            folder, uid, gid = self._owner
            try:
                os.chown(folder, uid, gid)
            except OSError:
                pass
            self._owner = None
        if self._private:
            remove_tree(self._private)
            self._private = None
        if getattr(self, "_cwd", None):
            # Notebooks the kernel saved at the top of the folder: nbgrader generate_feedback
            # takes every one it finds there for one of the assignment's, and failed the
            # student's whole feedback on them (attack 84). Those that were there before the
            # kernel started (the assignment's, graded already) stay.
            for name in _top_notebooks(self._cwd) - getattr(self, "_notebooks", set()):
                try:
                    os.unlink(os.path.join(self._cwd, name))
                except OSError:
                    pass
            # Before nbgrader walks the folder (its set_permissions recurses once per level):
            # no links, FIFOs or the like, no folders nested deeper than scratch.MAX_DEPTH.
            pruned = prune(self._cwd)
            if pruned["too_deep"] or pruned["special"]:
                self.log.warning("Removed from %s what the notebook left there that no walk may "
                                 "meet: %s", self._cwd,
                                 ", ".join((pruned["too_deep"] + pruned["special"])[:5]))
            trimmed = _trim(self._cwd, self._settings().max_disk_mib * 2**20,
                            getattr(self, "_notebooks", set()))
            if trimmed:
                self.log.warning("Removed from %s files the notebook left there past the disk "
                                 "cap (%d MiB, counted by length: nbgrader copies them whole "
                                 "into feedback/): %s", self._cwd,
                                 self._settings().max_disk_mib, ", ".join(trimmed[:5]))
            self._cwd = None


def _top_notebooks(folder: str) -> set[str]:
    """The names of the notebooks (``*.ipynb``, regular files) at the top of ``folder``."""
    try:
        with os.scandir(folder) as entries:
            return {e.name for e in entries
                    if e.name.endswith(".ipynb") and e.is_file(follow_symlinks=False)}
    except OSError:
        return set()


def _trim(folder: str, max_bytes: int, keep: set[str]) -> list[str]:
    """Remove the files of ``folder`` past ``max_bytes`` of length (holes included: a sparse
    file takes no room here, but nbgrader generate_feedback copies every file whole into
    feedback/, 1 GiB for four truncated files, attack 82), keeping the top-level names ``keep``
    (the assignment's notebooks). Returns what was removed (relative paths)."""
    if max_bytes <= 0:
        return []
    found, total, removed = scan(folder), 0, []
    for relative, size in found.files.items():
        if relative in keep:
            continue
        if total + size > max_bytes:
            try:
                os.unlink(os.path.join(folder, relative))
                removed.append(relative)
            except OSError:
                pass
            continue
        total += size
    return removed
