"""Gradescope: this course as a Gradescope programming assignment's autograder.

Two modules, one job each:

* :mod:`graders.gradescope.build`: ``graders gradescope <assignment>`` writes
  ``dist/<assignment>-gradescope.zip``, the file an instructor uploads to Gradescope: ``setup.sh``
  (installs Python 3.11, libseccomp, CPU-only torch and this package on Gradescope's Ubuntu
  image), ``run_autograder``, the course as the engine needs it (the gradebook made by ``nbgrader
  generate_assignment``, ``nbgrader_config.py``; never the source notebook with its solutions),
  this package's source, and ``gradescope.json`` (the test cells, their names, points and
  visibility).
* :mod:`graders.gradescope.run`: what ``run_autograder`` runs for each submission. It copies the
  course into a throw-away folder, puts the submitted notebook at
  ``submitted/<student>/<assignment>/``, grades it with the engine
  (:func:`graders.autograde.autograde`: the same stages, hidden checks, sandbox, points,
  messages and fault handling as ``graders autograde``), and turns the gradebook and the
  autograded notebook into Gradescope's ``results/results.json``: one test per nbgrader test
  cell. Whatever goes wrong, a results.json is written.

By hand, because nothing here can reach Gradescope's servers (and Gradescope has no public API
for it): creating the programming assignment, uploading the zip, choosing the base image and the
machine size, and checking with a sample submission. docs/gradescope.md says how.
"""
