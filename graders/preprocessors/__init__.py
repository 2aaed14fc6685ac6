"""nbgrader preprocessors of this course, configured in ``nbgrader_config.py``."""

from .redact_hidden_tests import RedactHiddenTests

__all__ = ["RedactHiddenTests"]
