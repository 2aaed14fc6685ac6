"""RedactHiddenTests: keep hidden test code out of the feedback students receive.

Stock ``nbgrader generate_feedback`` renders the autograded notebook, where the hidden tests have
been restored, so students see them (jupyter/nbgrader#917, #1363). This preprocessor, added to
``GenerateFeedback.preprocessors`` in ``nbgrader_config.py``, runs after ``GetGrades`` and:

* removes the ``### BEGIN/END HIDDEN TESTS`` regions from test cells, reusing nbgrader's own
  ``ClearHiddenTests`` (the same code ``generate_assignment`` uses for the release);
* replaces the traceback of every error output with its last line (``AssertionError:
  message``), because an IPython traceback quotes the failing line and the code around it;
* removes, from the outputs of *every* cell, each line that repeats a line of hidden test code:
  a student's cell can print ``In`` (the inputs of the cells run so far) or install a hook that
  shows the code of the test cell running, and whatever it printed is in the autograded notebook;
* keeps the review list (``[review]`` lines of the gradebook's comments) for the instructor:
  it is a pointer for a person to look at, not feedback.

The message each failed test gives (the variable, expected and actual values, what to change) is
what the student keeps. Scores are untouched: ``GetGrades`` has read them already.

Leans on nbgrader (``ClearHiddenTests``, the preprocessor interface) and nbformat. Written by hand:
redacting tracebacks and printed lines, which nbgrader leaves in its feedback.
"""

from __future__ import annotations

import re

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets import List, Unicode

REMOVED = "[hidden test code removed]"
_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


class RedactHiddenTests(ClearHiddenTests):
    """Strip hidden test code from sources, tracebacks and outputs (see the module docstring)."""

    # HTMLExporter configures this for every nbconvert class; declaring it configurable (as
    # nbgrader's GetGrades does) keeps traitlets from warning that it is not recognised.
    display_data_priority = List(GetGrades.display_data_priority.default_value).tag(config=True)

    redacted_note = Unicode(
        "# (Hidden tests ran here; their result is shown below.)",
        help="Comment left in a test cell where its hidden tests were removed.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        self.secrets = set()
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell):
                for region in _REGION.findall(cell.source):
                    self.secrets.update(line.strip() for line in region.splitlines()
                                        if len(line.strip()) > 6)
        self.secrets.update({"### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"})
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources, cell_index: int):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("comment"):  # the gradebook's, which quotes what the student's code raised
            meta["comment"] = self._scrub("\n".join(line for line in meta["comment"].splitlines()
                                                    if not line.startswith("[review]")))
        if cell.cell_type != "code":
            return cell, resources
        if utils.is_grade(cell) and self._remove_hidden_test_region(cell):
            cell.source = cell.source.rstrip("\n") + "\n" + self.redacted_note
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename = output.get("ename", "Error")
                output["evalue"] = self._scrub(output.get("evalue", ""))
                output["traceback"] = [f"{ename}: {output['evalue']}"]
            elif output.get("output_type") == "stream":
                output["text"] = self._scrub(output.get("text", ""))
            for mime, value in list(output.get("data", {}).items()):
                if isinstance(value, str):
                    output["data"][mime] = self._scrub(value)
        return cell, resources

    def _scrub(self, text: str) -> str:
        if not any(secret in text for secret in self.secrets):
            return text
        out = []
        for line in text.split("\n"):
            for secret in self.secrets:
                if secret in line:
                    line = line.replace(secret, REMOVED)
            out.append(line)
        return "\n".join(out)
