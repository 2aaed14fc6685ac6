"""VerifyAnswers: decide every test cell outside the student's kernel (an nbgrader stage).

Configured in ``nbgrader_config.py`` right after nbgrader's ``Execute`` in
``c.Autograde.autograde_preprocessors``, so stock ``nbgrader autograde`` and ``graders
autograde`` grade the same way. nbgrader has run the notebook; the test cells' visible asserts
have run in it, and each hidden part has raised ``PendingVerification``. This stage:

1. plans the grader's two re-runs of the student's code (:mod:`graders.checks.run_plan`) and runs
   them in sealed children (:mod:`graders.engine.runs`), unless the engine ran them already
   and put the results in ``resources`` (its run of the notebook is the seeded re-run, and the
   fresh one ran alongside it);
2. judges each test cell from their plain data (:mod:`graders.checks.verdicts`);
3. rewrites each test cell's outputs: the ``PendingVerification`` marker and any
   ``execute_result`` (which nbgrader would read as partial credit) are removed, and a failed
   test gets an ``AssertionError`` output with the student's message, so nbgrader's
   ``SaveAutoGrades`` scores it 0. A test the notebook itself failed (a visible assert) keeps
   its error: the trusted verdict can only take points away, never add them;
4. records the verdict and its code in the cell's metadata (``metadata.graders``) and the
   findings (diagnoses, tampering) in ``resources`` for :class:`SaveFindings`.

Whatever the student's code did to its own kernel (silenced errors, forged outputs, patched
modules), a test passes only if the trusted side verified it.

Leans on nbgrader (the stage interface, and ``SaveAutoGrades`` scoring the rewritten outputs),
nbformat and traitlets. Written by hand, all of the deciding: nbgrader believes what the student's
kernel reports.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from nbformat import from_dict
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Float, Unicode

from .. import course
from ..checks import run_plan
from ..checks.exercises import TESTS
from ..checks.verdicts import Judge, Run
from ..engine.runs import ProbeRunner, assignment_files
from ..findings import Finding, problem_code

PENDING = "PendingVerification"


def notebook_key(root: Path, resources, files=()) -> bytes:
    """The key of a notebook's fresh inputs: the course secret, who and what it is, and the
    content of every other file handed in with it (so a file of answers learnt from an earlier
    grading's feedback changes the inputs it was meant for)."""
    info = resources["nbgrader"]
    digest = hashlib.sha256(f"{info['student']}/{info['assignment']}/{info['notebook']}".encode())
    for name in sorted(files):
        # a name that is not UTF-8 (os.fsdecode keeps its bytes as surrogates) as its bytes
        digest.update(os.fsencode(name) + b"\0" + hashlib.sha256(files[name]).digest())
    return hmac.new(run_plan.course_secret(root), digest.digest(), hashlib.sha256).digest()


class VerifyAnswers(NbGraderPreprocessor):
    """Decide each test cell from the grader's own re-runs (see the module docstring)."""

    tolerance = Float(1e-4, help="Absolute tolerance on the answers (sigmoid outputs lie in "
                                 "(0, 1)).").tag(config=True)
    reference_file = Unicode(str(course.REFERENCE_FILE), help="The seeded answers, written by "
                                                       "`graders reference`.").tag(config=True)

    def preprocess(self, nb, resources):
        state = resources.setdefault("graders", {})
        root, coursedir, converter = course.stage_course(self)
        info = resources["nbgrader"]
        files = state.get("files")  # as handed in, read before the notebook ran (SnapshotFiles)
        if files is None:
            files = assignment_files(coursedir, converter, info["student"], info["assignment"])
        plan = state.get("plan")
        if plan is None:
            plan = state["plan"] = run_plan.plan(nb, notebook_key(root, resources, files),
                                                 course.load_reference(self.reference_file))
        results = state.get("probe_results")
        if results is None:
            timeout = Execute(config=self.config).timeout or 0
            results = ProbeRunner.run(root, self.config, timeout,
                                      f"{info['student']}/{info['notebook']}", plan, files)
        runs = [Run(results[name].extracts, results[name].cell_errors, label)
                for name, label in (("seeded", "the lesson's data"), ("fresh", "new inputs"))]
        judge = Judge(plan, *runs, course.load_reference(self.reference_file), self.tolerance)
        findings = state.setdefault("findings", [])
        for test_id, index in plan.tests.items():
            verdict = judge.test(test_id)
            cell = nb.cells[index]
            outputs = [o for o in cell.get("outputs", [])
                       if o.get("output_type") != "execute_result"
                       and not (o.get("output_type") == "error" and o.get("ename") == PENDING)]
            if not verdict.passed:
                outputs.append(from_dict({
                    "output_type": "error", "ename": "AssertionError",
                    "evalue": verdict.message,
                    "traceback": [f"AssertionError: {verdict.message}"]}))
                exercise = TESTS[test_id][0].grade_id
                kind = "tampering" if verdict.code.endswith(".tampering") else "diagnosis"
                findings.append(Finding(kind, verdict.code, verdict.message, exercise,
                                        test_id).to_json())
            cell.outputs = outputs
            cell.metadata["graders"] = {"passed": verdict.passed, "code": verdict.code,
                                        "message": verdict.message}
        for name in ("fresh",) if state.get("seeded_is_main") else ("seeded", "fresh"):
            for fault in results[name].faults:
                findings.append(Finding(
                    "problem", problem_code(fault, rerun=True),
                    f"grader's re-run on {'new inputs' if name == 'fresh' else 'the lesson data'}"
                    f": {fault}").to_json())
        return nb, resources
