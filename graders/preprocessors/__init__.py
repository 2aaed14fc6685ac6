"""nbgrader stages of this course, configured in ``nbgrader_config.py``:

* :class:`DeduplicateCells` (sanitising, in place of nbgrader's ``DeduplicateIds``): copy-pasted
  cells keep the submission gradable;
* :class:`VerifyAnswers` (after ``Execute``): every test cell is decided outside the student's
  kernel, from the grader's own re-runs;
* :class:`ReviewCode`: lines of the student's code worth a look;
* :class:`SaveFindings` (after ``SaveAutoGrades``): diagnoses, tampering and review hits into the
  gradebook;
* :class:`RedactHiddenTests` (feedback): no hidden test code in what students see.
"""

from .deduplicate_cells import DeduplicateCells
from .redact_hidden_tests import RedactHiddenTests
from .review_code import ReviewCode
from .save_findings import SaveFindings
from .verify_answers import VerifyAnswers

__all__ = ["DeduplicateCells", "RedactHiddenTests", "ReviewCode", "SaveFindings",
           "VerifyAnswers"]
