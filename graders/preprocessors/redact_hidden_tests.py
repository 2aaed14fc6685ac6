"""RedactHiddenTests: keep hidden test code out of the feedback students receive.

Stock ``nbgrader generate_feedback`` renders the autograded notebook, where the hidden tests have
been restored, so students see them (jupyter/nbgrader#917, #1363). This preprocessor, added to
``GenerateFeedback.preprocessors`` in ``nbgrader_config.py``, runs after ``GetGrades`` and:

* removes the ``### BEGIN/END HIDDEN TESTS`` regions from test cells, reusing nbgrader's own
  ``ClearHiddenTests`` (the same code ``generate_assignment`` uses for the release);
* replaces the traceback of a failed test cell with its last line (``AssertionError: message``),
  because an IPython traceback quotes the failing hidden line and the grader's source around it.

The assert message, which names the variable, the expected and actual values and a hint, is what
the student keeps. Scores are untouched: ``GetGrades`` has read them already.
"""

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets import List, Unicode


class RedactHiddenTests(ClearHiddenTests):
    """Strip hidden test code and tracebacks from graded test cells."""

    # HTMLExporter configures this for every nbconvert class; declaring it configurable (as
    # nbgrader's GetGrades does) keeps traitlets from warning that it is not recognised.
    display_data_priority = List(GetGrades.display_data_priority.default_value).tag(config=True)

    redacted_note = Unicode(
        "# (Hidden tests ran here; their result is shown below.)",
        help="Comment left in a test cell where its hidden tests were removed.",
    ).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources, cell_index: int):
        if not (utils.is_grade(cell) and cell.cell_type == "code"):
            return cell, resources
        if self._remove_hidden_test_region(cell):
            cell.source = cell.source.rstrip("\n") + "\n" + self.redacted_note
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename, evalue = output.get("ename", "Error"), output.get("evalue", "")
                output["traceback"] = [f"{ename}: {evalue}"]
        return cell, resources
