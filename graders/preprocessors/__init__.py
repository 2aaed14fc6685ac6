"""nbgrader stages of this course, configured in ``nbgrader_config.py``:

* :class:`CleanText` (sanitising, first): text UTF-8 cannot encode (a lone surrogate) kept as
  its escape, so the notebook can be saved and graded;
* :class:`RestoreCellMetadata` (sanitising, before ``OverwriteCells``): the nbgrader metadata of
  the release's cells put back from the gradebook, so a hand-edited test cell is restored;
* :class:`DeduplicateCells` (sanitising, in place of nbgrader's ``DeduplicateIds``): copy-pasted
  cells keep the submission gradable;
* :class:`SnapshotFiles` (before ``Execute``): the files handed in, as handed in, for the
  grader's re-runs;
* :class:`SealedExecute` (in place of nbgrader's ``Execute``): the notebook's kernel sealed like
  the engine's children;
* :class:`GuardGradebook` (right after ``Execute``): what a notebook did to the gradebook while
  it ran is undone and flagged;
* :class:`VerifyAnswers`: every test cell is decided outside the student's kernel, from the
  grader's own re-runs;
* :class:`WarningsAreNotErrors` (before ``VerifyAnswers``): a warning printed on stderr in a
  test cell no longer costs the test its points (it is moved to stdout with a note);
* :class:`ReviewCode`: lines of the student's code worth a look;
* :class:`SaveAutoGradesAtOnce` (in place of nbgrader's ``SaveAutoGrades``): the same scores,
  one commit per notebook instead of one per cell;
* :class:`SaveFindings` (after ``SaveAutoGradesAtOnce``): diagnoses, tampering and review hits
  into the gradebook;
* :class:`RedactHiddenTests` (feedback): no hidden test code in what students see;
* :class:`ReadableFeedback` (feedback): formulas as MathML, readable offline.

Each is an nbgrader preprocessor (``NbGraderPreprocessor``, its settings traitlets), added in
``nbgrader_config.py``, never patched into nbgrader. Each module says which nbgrader stage it
extends or replaces and what it adds by hand.
"""

from .clean_text import CleanText
from .deduplicate_cells import DeduplicateCells
from .guard_gradebook import GuardGradebook
from .readable_feedback import ReadableFeedback
from .redact_hidden_tests import RedactHiddenTests
from .restore_cell_metadata import RestoreCellMetadata
from .review_code import ReviewCode
from .save_auto_grades_at_once import SaveAutoGradesAtOnce
from .save_findings import SaveFindings
from .sealed_execute import SealedExecute
from .snapshot_files import SnapshotFiles
from .verify_answers import VerifyAnswers
from .warnings_are_not_errors import WarningsAreNotErrors

__all__ = ["CleanText", "DeduplicateCells", "GuardGradebook", "ReadableFeedback",
           "RedactHiddenTests", "RestoreCellMetadata", "ReviewCode", "SaveAutoGradesAtOnce",
           "SaveFindings", "SealedExecute", "SnapshotFiles", "VerifyAnswers",
           "WarningsAreNotErrors"]
