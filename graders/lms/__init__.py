"""Grades into an LMS: ``nbgrader export`` plugins that write a file the LMS imports.

nbgrader's ``export`` command loads an export plugin (``--exporter``) and hands it the gradebook;
its stock plugin writes ``grades.csv``. These plugins write the LMS's own import format instead,
one module per LMS:

* :mod:`graders.lms.canvas`: fills the assignment's column of a Canvas gradebook export
  (``nbgrader export --exporter graders.lms.CanvasExportPlugin``);
* :mod:`graders.lms.moodle`: writes a Moodle "Import grades from CSV" file, using a roster
  exported from Moodle (``nbgrader export --exporter graders.lms.MoodleExportPlugin``);
* :mod:`graders.lms.common`: what both share: choosing the assignment, reading nbgrader's scores,
  reading and writing LMS CSV files, and turning bad input into one readable error.

Leans on nbgrader's export command and its ``ExportPlugin`` interface; the LMS formats are written
by hand (no LMS client is used: nothing here talks to an LMS server).
"""

from .canvas import CanvasExportPlugin
from .common import LmsExportError
from .moodle import MoodleExportPlugin

__all__ = ["CanvasExportPlugin", "LmsExportError", "MoodleExportPlugin"]
