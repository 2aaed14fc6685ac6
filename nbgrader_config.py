"""nbgrader configuration of the course: every nbgrader command run from this folder reads it."""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from graders.preprocessors import RedactHiddenTests

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "intro-to-pytorch"

# Autograde: 30 s per cell, keep going after an error, and put back test cells a student deleted.
c.Execute.timeout = 30
c.OverwriteCells.add_missing_cells = True

# Feedback: the stock stages plus RedactHiddenTests, so students see each failed test's message
# but never the hidden test code (nbgrader shows it by default: jupyter/nbgrader#917, #1363).
c.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, CSSHTMLHeaderPreprocessor]
