"""Autograde: ``graders autograde <assignment>``, nbgrader's autograde, fast, sealed and
fault-proof.

It writes what ``nbgrader autograde`` writes (the gradebook, ``autograded/<student>/<assignment>/``)
so ``nbgrader generate_feedback``, ``nbgrader export`` and formgrader work unchanged after it. What
is nbgrader's and reused as is: the configuration (``nbgrader_config.py``: timeouts, output
limits, the course's stages), the ``Autograde`` converter's sanitising stages (``ClearOutput``,
``OverwriteCells``... which put back hidden and deleted test cells) and its stages after
``Execute`` (``VerifyAnswers``, ``LimitOutput``, ``SaveAutoGrades``, ``SaveFindings``...), its
skip-or-regrade rule and its file permissions. What is replaced:

* how cells run: :mod:`graders.engine.pool` forks a warm template per run and seals the child
  (:mod:`graders.kernel.confine`); each notebook's run, which is also the grader's seeded
  re-run, and the fresh re-run (:mod:`graders.checks.run_plan`) run side by side, instead of
  one fresh Jupyter kernel after another; with ``--scheduler`` the runs go to a Dask cluster instead
  (:mod:`graders.engine.dask_pool`) and this process does everything else;
* the loop over students: preparation, execution and saving are pipelined over grading
  processes, and every failure is kept to its submission. A notebook that is missing, renamed
  (``tensors (1).ipynb``), not valid JSON or not preparable, extra files, kernels that died and
  failed regrades are recorded in the gradebook (the notebook is flagged and the reason written
  as a comment) and in the run's summary, never skipped silently;
* writing: each submission is written to a temporary folder and moved into place only after its
  grades are saved, so an interrupted batch (Ctrl-C, SIGTERM, kill -9) resumes where it stopped
  and a re-run regrades nothing unless ``--force``.

All three are written by hand, as nbgrader has no setting for any of them.

Where this code re-does what an nbgrader 0.9.6 method does, a comment names the method, so that
an nbgrader upgrade is a checklist.

The parts, in the order a batch meets them: :mod:`.outcome` (what happened to each submission),
:mod:`.converter` (nbgrader's converter, mirrored: one submission prepared, run, saved),
:mod:`.sandbox_gate` (the sandbox checked before anything runs), :mod:`.shards` (the grading
processes forked and their outcomes relayed), :mod:`.on_dask` (the batch with its runs on a Dask
cluster) and :mod:`.run` (the whole run: :func:`autograde`). This package is the layer above the
stages (:mod:`graders.preprocessors`) and the engine (:mod:`graders.engine`): it uses both, and
neither uses it.
"""

from .converter import BatchAutograde
from .outcome import Outcome, RunReport
from .run import autograde, interrupt
from .sandbox_gate import check_sandbox

__all__ = ["BatchAutograde", "Outcome", "RunReport", "autograde", "check_sandbox", "interrupt"]
