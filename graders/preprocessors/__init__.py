"""nbgrader stages of this course, configured in ``nbgrader_config.py``:

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
* :class:`ReviewCode`: lines of the student's code worth a look;
* :class:`SaveAutoGradesAtOnce` (in place of nbgrader's ``SaveAutoGrades``): the same scores,
  one commit per notebook instead of one per cell;
* :class:`SaveFindings` (after ``SaveAutoGradesAtOnce``): diagnoses, tampering and review hits
  into the gradebook;
* :class:`RedactHiddenTests` (feedback): no hidden test code in what students see;
* :class:`ReadableFeedback` (feedback): formulas as MathML, readable offline.
"""

from .deduplicate_cells import DeduplicateCells
from .guard_gradebook import GuardGradebook
from .readable_feedback import ReadableFeedback
from .redact_hidden_tests import RedactHiddenTests
from .review_code import ReviewCode
from .save_auto_grades_at_once import SaveAutoGradesAtOnce
from .save_findings import SaveFindings
from .sealed_execute import SealedExecute
from .snapshot_files import SnapshotFiles
from .verify_answers import VerifyAnswers

__all__ = ["DeduplicateCells", "GuardGradebook", "ReadableFeedback", "RedactHiddenTests",
           "ReviewCode", "SaveAutoGradesAtOnce", "SaveFindings", "SealedExecute", "SnapshotFiles",
           "VerifyAnswers"]
