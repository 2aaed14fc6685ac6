"""The tensors assignment's grading package, in three parts that run in three places.

* :mod:`graders.kernel`: runs **inside the student's process** (the sealed child): the template
  that forks it, the runner of its cells, the sandbox it applies to itself, and the probe that
  reads answers back as plain data. Nothing it reports is trusted.
* :mod:`graders.checks` and :mod:`graders.preprocessors`: the **trusted checking**, in the
  grading process: the exercise table, the plan of the grader's own re-runs, the verdicts, and
  the nbgrader stages that apply them (``VerifyAnswers``...).
* :mod:`graders.engine`: the **batch engine** (``graders autograde``): pool of sealed children,
  sandbox policy, grading processes, progress and summary.

The rest, at the top, are the course's tools: :mod:`graders.apps` (the ``graders`` command),
:mod:`graders.reference` (the seeded answers), :mod:`graders.review` (the static review scan),
:mod:`graders.submission_builder` (demo and test submissions), :mod:`graders.grade_table`.

Pipeline: ``source/`` → ``nbgrader generate_assignment`` → ``release/`` → students submit into
``submitted/`` → ``graders autograde`` → ``autograded/`` → ``nbgrader generate_feedback``
(``RedactHiddenTests``) → ``feedback/`` → ``nbgrader export`` → ``grades.csv``.
"""
