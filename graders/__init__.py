"""The tensors assignment's grading package.

Pipeline, one module a job: ``source/`` → ``nbgrader generate_assignment`` → ``release/`` →
students submit into ``submitted/`` → ``graders autograde`` (:mod:`graders.autograde` runs
nbgrader's stages with :mod:`graders.kernel_pool`; hidden tests call :mod:`graders.hidden_checks`)
→ ``autograded/`` → ``nbgrader generate_feedback``
(:mod:`graders.preprocessors.redact_hidden_tests`) → ``feedback/`` → ``nbgrader export`` →
``grades.csv``, summarised by :mod:`graders.grade_table`. :mod:`graders.reference` records the
seeded answers; :mod:`graders.submission_builder` makes the demo and test submissions.
"""
