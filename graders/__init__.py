"""The tensors assignment's grading package: its parts, and where each runs.

* :mod:`graders.kernel`: runs **inside the student's process** (the sealed child): the template
  that forks it, the runner of its cells, the sandbox it applies to itself, and the instrument that
  reads answers back as plain data. Nothing it reports is trusted.
* :mod:`graders.checks` and :mod:`graders.preprocessors`: the **trusted checking**, in the
  grading process: the exercise table, the plan of the grader's own re-runs, the verdicts, and
  the nbgrader stages that apply them (``VerifyAnswers``...).
* :mod:`graders.protocol`: the **trust boundary**: the steps the grading side sends a sealed child
  and the messages it sends back, imported by both sides (standard library only).
* :mod:`graders.course`: the course's configuration, settings, folders and limits.
* :mod:`graders.engine`: runs sealed children (:class:`~graders.engine.pools.Pool`: a local
  pool or a Dask cluster's), their sandbox policy, caps and clean-up.
* :mod:`graders.autograde`: the batch (``graders autograde``): nbgrader's converter mirrored,
  grading processes, the run's summary. It uses the stages and the engine; neither uses it.

The rest, at the top, are the course's tools: :mod:`graders.apps` (the ``graders`` command),
:mod:`graders.reference` (the seeded answers), :mod:`graders.review` (the static review scan),
:mod:`graders.submission_builder` (demo and test submissions), :mod:`graders.grade_table`.

Pipeline: ``source/`` → ``nbgrader generate_assignment`` → ``release/`` → students submit into
``submitted/`` → ``graders autograde`` → ``autograded/`` → ``nbgrader generate_feedback``
(``RedactHiddenTests``) → ``feedback/`` → ``nbgrader export`` → ``grades.csv``.

What it leans on: nbgrader for the stages' interface, the gradebook, the converter the engine
mirrors and the exchange; nbformat and nbclient to read, write and run notebooks; jupyter_client to
start stock nbgrader's (sealed) kernel; traitlets for every setting and command. Written by hand,
because none of them does it: running each submission sealed, in parallel, in a process forked from
a warm one (graders.engine, graders.kernel), and deciding each test outside the student's process
from the grader's own re-runs (graders.checks).
"""
