"""What every ``graders`` subcommand shares: the course folder, the assignment, the course's
configuration, and errors that say what to do.

As nbgrader's commands, each subcommand is a traitlets :class:`~traitlets.config.Application`
whose flags are configuration: ``--workers 4`` is ``--GradingEngine.workers=4`` is
``c.GradingEngine.workers = 4`` in the course's ``nbgrader_config.py``. The configuration is read
as nbgrader reads it (``nbgrader_config.py`` in Jupyter's config folders, then in the course
folder, which wins), and the command line wins over both.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from traitlets import TraitError, Unicode, default
from traitlets.config import Application, Config, Configurable
from traitlets.config.loader import ArgumentError, KVArgParseConfigLoader, _KVArgParser

ASSIGNMENT = "tensors"
CONFIG_FILE = "nbgrader_config"  # .py, as nbgrader names it


class UsageError(Exception):
    """Bad input on the command line or in the configuration: said in one line, exit code 2."""


class _Parser(_KVArgParser):
    """argparse's errors (a flag without its value...) as one line, not a page of usage."""

    def error(self, message: str):
        raise UsageError(message)


class _StrictLoader(KVArgParseConfigLoader):
    """traitlets' command-line loader, refusing a flag it does not know (traitlets only warns
    that it "will have no effect")."""

    parser_class = _Parser

    def _handle_unrecognized_alias(self, arg: str) -> None:
        raise UsageError(f"unknown option --{arg}")


def one_line(err: Exception) -> str:
    """traitlets' message for a bad value, without its internals."""
    text = str(err)
    if text.startswith("Error loading argument "):  # "Error loading argument A=V, <reason>"
        assignment, _, reason = text[len("Error loading argument "):].partition(", ")
        return f"bad value {assignment}: {reason}"
    return text


class GradersBase(Application):
    """A base class for the ``graders`` subcommands."""

    root = Unicode(".", help="The course folder: its nbgrader_config.py is read, and the "
                             "subcommand's relative paths start there.").tag(config=True)
    assignment = Unicode(ASSIGNMENT, help="The assignment (also the subcommand's argument, "
                                          "where it takes one).").tag(config=True)

    aliases = {
        "root": "GradersBase.root",
        "log-level": "Application.log_level",
    }
    flags: dict = {}

    #: whether the assignment may be given as the one argument (``graders autograde tensors``)
    takes_assignment = True

    @default("log_level")
    def _log_level_default(self) -> int:
        # Quiet, as before the command was an Application: nbgrader's stages log through the
        # running application's logger, and the engine says itself what went wrong
        # (--log-level=WARN shows nbgrader's warnings, such as a test cell's changed checksum).
        return logging.CRITICAL

    def _create_loader(self, argv, aliases, flags, classes):
        return _StrictLoader(argv, aliases, flags, classes=classes, log=self.log,
                             subcommands=self.subcommands)

    def parse_command_line(self, argv=None) -> None:
        # not traitlets' wrapper, which logs a bad value and exits 1: main() says it in a line
        Application.parse_command_line.__wrapped__(self, argv)

    def initialize_subcommand(self, subc, argv=None) -> None:
        Application.initialize_subcommand.__wrapped__(self, subc, argv)  # as above

    def initialize(self, argv=None) -> None:
        self.parse_command_line(argv)
        if self.subapp is not None:
            return
        extra = list(self.extra_args)
        if extra and self.takes_assignment:
            self.assignment = extra.pop(0)
        if extra:
            raise UsageError(f"unexpected argument{'s' if len(extra) > 1 else ''}: "
                             f"{' '.join(extra)}")
        self.load_course_config()

    def load_course_config(self) -> None:
        """The course's nbgrader_config.py (and Jupyter's), as nbgrader reads it; the command
        line stays on top."""
        from jupyter_core.paths import jupyter_config_path

        folders = [str(self.course_root), *jupyter_config_path()]  # first wins
        self.raise_config_file_errors = True
        try:  # not traitlets' wrapper, which logs a bad value and exits: main() says it
            Application.load_config_file.__wrapped__(self, CONFIG_FILE, path=folders)
        except (TraitError, ArgumentError, UsageError):
            raise
        except Exception as err:  # noqa: BLE001 - the course's config file failed to run
            raise UsageError(f"{self.course_root / (CONFIG_FILE + '.py')} failed: "
                             f"{type(err).__name__}: {err}") from None
        self.check_settings()

    def check_settings(self) -> None:
        """Refuse a ``--Class.name`` that nothing reads (traitlets would take it silently): a
        class that does not exist, or a setting it does not have. Done after the course's
        config file has run, so that the classes it names (nbgrader's stages) are known."""
        known = _configurables()
        for section, values in self.cli_config.items():
            cls = known.get(section)
            if cls is None:
                raise UsageError(f"unknown option --{section}.{next(iter(values), '')}: no "
                                 f"configurable class {section!r}")
            names = set(cls.class_trait_names(config=True))
            for name in values:
                if name not in names:
                    raise UsageError(f"unknown option --{section}.{name}: {section}'s "
                                     f"settings are {', '.join(sorted(names))}")

    @property
    def course_root(self) -> Path:
        return Path(self.root)

    def path(self, value: str) -> Path:
        """``value`` from the course folder (an absolute path stays as it is)."""
        return self.course_root / value

    def overrides(self) -> Config:
        """The settings given on the command line, to lay over the course's configuration
        where the engine reads it again."""
        return Config(self.cli_config)

    def emit_description(self):
        if not self.subcommands:
            what = " [ASSIGNMENT]" if self.takes_assignment else ""
            yield f"Usage: {self.command}{what} [options]\n"
        yield from super().emit_description()

    def run(self) -> int:
        raise NotImplementedError

    def start(self) -> None:  # traitlets' entry; ``run`` returns the exit code
        if self.subapp is not None:
            return self.subapp.start()
        code = self.run()
        if code:
            self.exit(code)
        return None

    @property
    def command(self) -> str:
        return self.name.replace("-", " ")


def _configurables() -> dict[str, type]:
    """Every configurable class imported so far, by name."""
    found, todo = {}, [Configurable]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.__name__, cls)
        todo.extend(cls.__subclasses__())
    return found


def fail(app: GradersBase | None, message: str, code: int = 2) -> int:
    """Print one line saying what is wrong and where to look, return ``code``."""
    command = app.command if app is not None else "graders"
    print(f"{command}: {message}\nSee `{command} --help`.", file=sys.stderr)
    return code


def check_value(configurable_class, config: Config) -> None:
    """Build ``configurable_class`` from ``config``, so a bad value in nbgrader_config.py is
    refused here, in one line, and not by a traceback deep in the engine."""
    configurable_class(config=config)
