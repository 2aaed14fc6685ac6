"""The ``graders`` command, as traitlets applications (nbgrader's own way): one module per
subcommand, whose flags are configuration read from the course's ``nbgrader_config.py``.

* :mod:`.baseapp`: what every subcommand shares (the course folder, the assignment, the
  configuration, errors in one line);
* :mod:`.gradersapp`: ``graders`` itself, its subcommands and :func:`main`;
* ``referenceapp``, ``demoapp``, ``autogradeapp``, ``serveapp``, ``tableapp``, ``reportapp``,
  ``gradescopeapp``: one subcommand each.

traitlets does the parsing, the configuration files and the help, as for nbgrader's commands;
written here is only what each subcommand runs.
"""

from .gradersapp import GradersApp, main

__all__ = ["GradersApp", "main"]
