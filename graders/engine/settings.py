"""Settings of the grading engine, read from ``nbgrader_config.py`` as ``c.GradingEngine.<name>``:
defined with the rest of the course's configuration, in :mod:`graders.course`."""

from __future__ import annotations

from ..course import GradingEngine

__all__ = ["GradingEngine"]
