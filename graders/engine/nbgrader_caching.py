"""nbgrader caching: keep nbgrader's stages cheap when one process grades hundreds of notebooks.

nbgrader's stages are written for a fresh process per command; run once per notebook in a long
batch, their set-up costs dominate (measured here, per notebook):

* ``CheckCellMetadata`` validates every cell with ``jsonschema.validate``, which checks the schema
  itself and builds a new validator on each call: 90 ms, and the stage runs twice; with the
  validator kept, the same metadata (a release's cells carry the same few, notebook after
  notebook) found valid once is not checked again (3 ms a notebook measured);
* every stage that touches the gradebook opens a new ``Gradebook``, which builds a new SQLAlchemy
  engine (dialect, pool) and inspects the tables: about 10 ms each, six times. The cached engine
  also waits up to 120 s for SQLite's lock, since the engine's grading processes write to one
  gradebook;
* ``Gradebook.close`` then disposes of that engine, so the next stage connects to the database
  again, and every ``Gradebook()`` checks the course row with a query and a commit: about 8
  times a notebook. The cached engine keeps its pooled connection between stages (it holds no
  lock between transactions; a forked grading process drops the pool it inherited, see
  :func:`engines`), and the course row, once there, is checked once per engine; the
  ``sessionmaker`` each ``Gradebook()`` makes (a new ``Session`` class, events and all) is
  made once per engine too;
* each ``MetadataValidator`` reads its schema file again (three a stage): read once per version.

:func:`install` makes them reuse what they built, in this process only (the engine's own;
never a process that runs student code). The validation rules, what is written to the database
and every query the stages make are unchanged; only the repeated course check, and the repeated
check of metadata already found valid, are skipped.

Written by hand because nbgrader has no setting for any of it.
"""

from __future__ import annotations

import sys

# jsonschema imports the optional rfc3987_syntax, which builds 38 URI parsers (1.7 s here) for
# format checks that neither nbformat nor nbgrader use. The engine's process goes without them.
sys.modules.setdefault("rfc3987_syntax", None)

import functools  # noqa: E402 - after the line above, on purpose
import json  # noqa: E402

import jsonschema  # noqa: E402
import nbgrader.api  # noqa: E402
import nbgrader.nbgraderformat.common as nbgrader_format  # noqa: E402

_installed = False
_VALID_KEPT = 4096  # metadata instances remembered as valid (a few dozen in a course)
_engines: list = []


def engines() -> list:
    """The SQLAlchemy engines made through the cache, e.g. to dispose of them after a fork."""
    return list(_engines)


class _CachedJsonSchema:
    """Stands in for the ``jsonschema`` module inside nbgrader's metadata validator."""

    def __init__(self) -> None:
        self._by_content: dict[str, jsonschema.protocols.Validator] = {}
        self._by_id: dict[int, tuple[dict, jsonschema.protocols.Validator]] = {}
        #: (validator, the instance as canonical JSON) found valid: the answer cannot change
        self._valid: set[tuple[int, str]] = set()

    def _validator(self, schema):
        entry = self._by_id.get(id(schema))
        if entry is None or entry[0] is not schema:  # nbgrader loads the schema per stage
            key = json.dumps(schema, sort_keys=True)
            validator = self._by_content.get(key)
            if validator is None:
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(schema)
                validator = self._by_content[key] = cls(schema)
            if len(self._by_id) >= 16:  # each entry keeps its schema alive: stay bounded
                self._by_id.clear()
            entry = self._by_id[id(schema)] = (schema, validator)
        return entry[1]

    def validate(self, instance, schema) -> None:
        validator = self._validator(schema)
        try:  # the cells of one release carry the same few metadata, notebook after notebook
            key = (id(validator), json.dumps(instance, sort_keys=True))
        except (TypeError, ValueError):  # not plain JSON: checked, not remembered
            key = None
        if key is not None and key in self._valid:
            return
        if not validator.is_valid(instance):  # same error jsonschema.validate would raise
            raise jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if key is not None:
            if len(self._valid) >= _VALID_KEPT:  # bounded: memory stays flat in a long batch
                self._valid.clear()
            self._valid.add(key)

    def __getattr__(self, name):
        return getattr(jsonschema, name)


def _warm_validators() -> None:
    """nbformat compiles its schema into a validator on first use (``fastjsonschema``, about
    0.1 s of CPU each): the engine reads notebooks with the strict one, checks them with the
    relaxed one (``relax_add_props``) and writes them with the strict one. Compiled here, in the
    process that forks the grading processes, they are compiled once and not once per process.
    """
    import nbformat
    from nbformat import validator

    for relax in (False, True):
        validator.get_validator(nbformat.v4.nbformat, nbformat.v4.nbformat_minor,
                                relax_add_props=relax)


def install() -> None:
    global _installed
    if _installed:
        return
    nbgrader_format.jsonschema = _CachedJsonSchema()
    # Each MetadataValidator (two a notebook, and the older versions' it makes) reads its schema
    # file again; read once per version, the same dict serves them all (nothing changes it).
    base = nbgrader_format.BaseMetadataValidator
    read_schema, schemas = base.__init__, {}

    def init_schema_once(self) -> None:
        schema = schemas.get(self.schema_version)
        if schema is None:
            read_schema(self)
            schemas[self.schema_version] = self.schema
        else:
            self.schema = schema

    base.__init__ = init_schema_once
    create_engine = nbgrader.api.create_engine

    @functools.lru_cache(maxsize=8)
    def cached_engine(url, *args, **kwargs):
        if str(url).startswith("sqlite"):  # shards write concurrently: wait for the lock
            kwargs["connect_args"] = {"timeout": 120}
        engine = create_engine(url, *args, **kwargs)
        _engines.append(engine)
        return engine

    nbgrader.api.create_engine = cached_engine
    _warm_validators()

    # Gradebook() also inspects the tables and runs create_all each time: once the schema is
    # there, the cached engine's answer cannot change for the rest of the batch.
    inspect, metadata = nbgrader.api.inspect, nbgrader.api.Base.metadata
    create_all = metadata.create_all
    inspectors, ready = {}, set()

    def cached_inspect(engine):
        inspector = inspectors.get(id(engine))
        if inspector is None:
            inspector = inspect(engine)
            if inspector.get_table_names():  # an empty database is asked again next time
                inspectors[id(engine)] = inspector
        return inspector

    def create_all_once(bind=None, **kwargs):
        if id(bind) not in ready:
            create_all(bind=bind, **kwargs)
            ready.add(id(bind))

    nbgrader.api.inspect = cached_inspect

    # Gradebook() also makes a new sessionmaker, a new Session subclass that SQLAlchemy sets up
    # its events for (about 0.2 ms, some eight Gradebooks a notebook). One per cached engine
    # serves them all: each Gradebook still gets its own scoped session from it.
    make_sessions, factories = nbgrader.api.sessionmaker, {}

    def sessionmaker_once(*args, **kwargs):
        bind = kwargs.get("bind")
        if args or not any(bind is engine for engine in _engines):
            return make_sessions(*args, **kwargs)
        key = (id(bind), tuple(sorted((k, v) for k, v in kwargs.items() if k != "bind")))
        factory = factories.get(key)
        if factory is None:
            factory = factories[key] = make_sessions(*args, **kwargs)
        return factory

    nbgrader.api.sessionmaker = sessionmaker_once
    metadata.create_all = create_all_once

    # Gradebook.close disposes of the engine, so the next Gradebook (the next stage) connects to
    # the database again, and Gradebook() checks the course row with a query and a commit each
    # time. With the engine kept for the batch, its pooled connection is kept too (it holds no
    # lock between transactions), and the course, once there, is checked once per engine.
    gradebook = nbgrader.api.Gradebook
    close, check_course = gradebook.close, gradebook.check_course
    checked: set = set()

    def close_keeping_engine(self) -> None:
        if self.engine in _engines:
            self.db.remove()
        else:
            close(self)

    def check_course_once(self, course_id="default_course", **kwargs):
        # nbgrader 0.9.6 calls it only from Gradebook.__init__, which ignores what it returns.
        key = (id(self.engine), course_id)
        if key in checked and not kwargs and self.engine in _engines:
            return None
        course = check_course(self, course_id, **kwargs)
        checked.add(key)
        return course

    gradebook.close = close_keeping_engine
    gradebook.check_course = check_course_once
    _installed = True
