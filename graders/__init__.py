"""The tensors assignment's grading package.

Pipeline, one module a job: ``source/`` → ``nbgrader generate_assignment`` → ``release/`` →
students submit into ``submitted/`` → ``nbgrader autograde`` (hidden tests call
:mod:`graders.hidden_checks`) → ``autograded/`` → ``nbgrader generate_feedback``
(:mod:`graders.preprocessors.redact_hidden_tests`) → ``feedback/`` → ``nbgrader export`` →
``grades.csv``, summarised by :mod:`graders.grade_table`. :mod:`graders.reference` records the
seeded answers; :mod:`graders.submission_builder` makes the demo and test submissions.
"""
