"""Serve: ``graders serve <assignment>``, feedback seconds after ``nbgrader submit``.

A long-running grader on the course's nbgrader exchange (``c.Exchange.root``,
``c.CourseDirectory.course_id``). It watches the exchange's ``inbound`` folder, where ``nbgrader
submit`` (or the Assignment List in Jupyter) puts each submission, and for each student whose
newest submission has no released feedback yet it:

1. collects it into ``submitted/`` with nbgrader's own collect (``ExchangeCollect``, newest
   wins);
2. grades it with the engine (:mod:`graders.autograde`: sandbox, faults, verdicts outside the
   student's process, the gradebook updated as by ``graders autograde``), keeping one warm pool
   of sealed children for the whole service (with ``--scheduler``, or
   ``c.GradingEngine.scheduler``, a :class:`~graders.engine.dask_pool.DaskPool` whose workers
   keep their templates warm between rounds);
3. makes the feedback with nbgrader's ``GenerateFeedback`` (the course's stages: hidden tests
   redacted, formulas readable) and releases it with nbgrader's ``ExchangeReleaseFeedback``,
   which writes it atomically where ``nbgrader fetch_feedback`` (or the Assignment List) finds it.

Written by hand: the loop, the order and the bookkeeping.

* **Newest wins, one at a time per student, no waiting for others.** The engine is fed
  students as their submissions arrive (an open feed, :meth:`Service.feed`), so a submission
  starts grading as soon as the pool has room, not when the others in progress are done. Each
  student's newest submission is taken; one that arrives while that student is being graded
  waits until that grading is released; an older one is never graded after a newer one.
* **Restart-safe, without a state file to trust.** Whether a submission is done is read from the
  exchange itself: its feedback file (named by nbgrader from the submission's secret) exists or
  not. Kill the service at any moment (``kill -9`` included) and start it again: a submission
  whose feedback was released is not graded again, one whose grading was cut short is graded
  from the start, and feedback is never seen half-written (nbgrader releases it by rename). A
  submission that cannot be graded (no notebook in it, say) is remembered in
  ``.graders/serve.json`` so that it is not retried until the student submits again.
* **A quiet log**: one line per submission (student, score, seconds, problem if any), a
  heartbeat, a clean stop on Ctrl-C or SIGTERM; ``c.GradingService.min_feedback_interval`` limits
  how often one student gets feedback (default: no limit).

Stock nbgrader commands keep working alongside: the Formgrader reads the same gradebook,
``nbgrader collect``/``generate_feedback``/``release_feedback`` can still be run by hand.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import queue
import re
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.converters import GenerateFeedback
from nbgrader.exchange.default import ExchangeCollect, ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash, parse_utc
from traitlets import Bool, Float
from traitlets.config import LoggingConfigurable

from .autograde import BatchAutograde, check_sandbox

STATE_FILE = Path(".graders") / "serve.json"
START_TIMEOUT = 120.0  # seconds for the feedback process to warm up
#: Seconds between looks at the exchange when inotify reports its changes (a safety net: a
#: change it cannot see, on a network file system say, is still found).
RESCAN = 2.0


@functools.lru_cache(maxsize=65536)
def _when(stamp: str):
    """A submission folder's timestamp, parsed (None: not one); cached, as the folders stay."""
    try:
        return parse_utc(stamp)
    except Exception:  # noqa: BLE001 - not a submission folder
        return None


class GradingService(LoggingConfigurable):
    """Settings of ``graders serve``, as ``c.GradingService.<name>`` in ``nbgrader_config.py``."""

    poll_interval = Float(0.25, help="Seconds between looks at the exchange's inbound folder "
                                     "where the kernel cannot report changes to it (inotify: "
                                     "Linux); with inotify, a change is seen at once and the "
                                     "folder is looked at anyway every 2 s."
                          ).tag(config=True)
    feedback_process = Bool(True, help="Make and release the feedback pages in a process of "
                                       "their own, alongside the grading (False: in the "
                                       "service's process, one after the other).").tag(
        config=True)
    heartbeat = Float(60.0, help="Seconds between 'still serving' lines in the log.").tag(
        config=True)
    min_feedback_interval = Float(0.0, help="Seconds a student waits between two feedbacks; "
                                            "a newer submission made sooner is graded when "
                                            "the time is up (0: no limit).").tag(config=True)


@dataclass
class Submission:
    student: str
    timestamp: str  # as nbgrader writes it
    path: Path  # the folder in the exchange's inbound


def _complete(folder: Path) -> bool:
    """Whether ``nbgrader submit`` has finished writing a submission folder (its secret, the
    last file it writes, is there and not empty)."""
    try:
        return (folder / "submission_secret.txt").stat().st_size > 0
    except OSError:
        return False


def _cache_pygments_stylesheets() -> None:
    """nbconvert's ``highlight_code`` filter makes a new pygments ``HtmlFormatter`` for every code
    cell, and each one builds the style's table of token classes anew (walking the whole style:
    about 40 % of a feedback page's rendering measured here). The table depends only on the
    style and the class prefix, so this process builds it once per pair and gives each
    formatter its own copy: the pages are the same, byte for byte."""
    from pygments.formatters.html import HtmlFormatter

    if getattr(HtmlFormatter._create_stylesheet, "graders_cached", False):
        return
    build = HtmlFormatter._create_stylesheet
    built: dict = {}

    def create_stylesheet(self) -> None:
        key = (self.style, self.classprefix)
        if key not in built:
            build(self)
            built[key] = (dict(self.ttype2class), dict(self.class2style))
        ttype2class, class2style = built[key]
        self.ttype2class, self.class2style = dict(ttype2class), dict(class2style)

    create_stylesheet.graders_cached, create_stylesheet.__wrapped__ = True, build
    HtmlFormatter._create_stylesheet = create_stylesheet


class _Passthrough:
    """What nbconvert's ``HTMLExporter.from_notebook_node`` asks of its BeautifulSoup when the
    page has nothing its post-processing changes: no element matches, the page is itself."""

    def __init__(self, html: str) -> None:
        self.html = html

    def select(self, selector: str) -> list:
        return []

    def __str__(self) -> str:
        return self.html


_IMG_TAG = re.compile(r"<img\b", re.I)
#: The classes of JupyterLab's templates that nbconvert's post-processing makes focusable.
_LAB_CLASSES = ("jp-Cell-inputWrapper", "jp-OutputArea-output")


def _skip_needless_html_reparse() -> None:
    """nbconvert's ``HTMLExporter`` parses every page it renders with BeautifulSoup and prints it
    again, to give images without ``alt`` a text and to make JupyterLab's cells focusable:
    about 60 % of a feedback page's rendering measured here (~95 ms of ~160 ms CPU). nbgrader's
    feedback template (the classic one) has no such cells, and a page without an ``<img`` tag
    has no image: such a page is left as rendered, the rest go through BeautifulSoup as before.
    The pages differ only in how bs4 re-serialises markup (``<br>`` for ``<br/>``...)."""
    import nbconvert.exporters.html as html_exporter

    soup = html_exporter.BeautifulSoup
    if getattr(soup, "graders_skips", False):
        return

    def beautiful_soup(html, *args, **kwargs):
        if (isinstance(html, str) and not _IMG_TAG.search(html)
                and not any(name in html for name in _LAB_CLASSES)):
            return _Passthrough(html)
        return soup(html, *args, **kwargs)

    beautiful_soup.graders_skips, beautiful_soup.__wrapped__ = True, soup
    html_exporter.BeautifulSoup = beautiful_soup


def _cache_highlighting(size: int = 2048) -> None:
    """nbconvert highlights every code cell with pygments (~25 % of a page's rendering measured
    here, after the BeautifulSoup pass was skipped), and most code cells are the lesson's, the
    same for every student. The HTML depends only on the source, the language (or the cell's
    ``magics_language``) and the formatter options: it is kept for the ``size`` most recent."""
    from nbconvert.filters.highlight import Highlight2HTML

    if getattr(Highlight2HTML.__call__, "graders_cached", False):
        return
    highlight = Highlight2HTML.__call__
    made: dict = {}

    def cached(self, source, language=None, metadata=None):
        magics = metadata.get("magics_language") if metadata else None
        try:
            key = (source, language or self.pygments_lexer, magics,
                   repr(sorted(self.extra_formatter_options.items())))
        except TypeError:  # options that cannot be sorted: not kept
            return highlight(self, source, language, metadata)
        html = made.pop(key, None)
        if html is None:
            html = highlight(self, source, language, metadata)
            if len(made) >= size:
                del made[next(iter(made))]
        made[key] = html  # the most recent last
        return html

    cached.graders_cached, cached.__wrapped__ = True, highlight
    Highlight2HTML.__call__ = cached


def _cache_markdown(exporter, size: int = 512) -> None:
    """Markdown cells are the lesson's, the same for every student: their HTML is kept (the
    ``size`` most recent sources) instead of being made again by mistune for every page. Cells
    with attachments, or an exporter that embeds images (both read files), are made each time."""
    import jinja2

    make = exporter.environment.filters["markdown2html"]
    made: dict[str, str] = {}

    @jinja2.pass_context
    def markdown2html(context, source):
        if exporter.embed_images or context.get("cell", {}).get("attachments"):
            return make(context, source)
        html = made.pop(source, None)
        if html is None:
            html = make(context, source)
            if len(made) >= size:
                del made[next(iter(made))]
        made[source] = html  # the most recent last
        return html

    exporter.register_filter("markdown2html", markdown2html)


class _Feedback(GenerateFeedback):
    """nbgrader's GenerateFeedback, keeping its exporter between students: building it compiles
    the HTML templates, which costs more than rendering one student's page."""

    def warm_up(self) -> None:
        """Build the exporter and compile its templates now, not on the first submission."""
        if getattr(self, "_ready", False) is False:
            from nbconvert.writers import FilesWriter

            _cache_pygments_stylesheets()
            _skip_needless_html_reparse()
            _cache_highlighting()
            self.writer = FilesWriter(parent=self, config=self.config)
            self.exporter = self.exporter_class(parent=self, config=self.config)
            for pp in self.preprocessors:
                self.exporter.register_preprocessor(pp)
            self.exporter.template  # noqa: B018 - loading it compiles the templates
            if "markdown2html" in self.exporter.environment.filters:
                _cache_markdown(self.exporter)
            self._ready = True

    def render_once(self, nb) -> None:
        """Render ``nb`` through the exporter and throw the page away, so that what the first
        page loads on first use (pygments' Python lexer and style, mistune's plugins, Jinja's
        compiled blocks) is loaded now. nbgrader's ``GetGrades`` is left out (it reads a
        student's grades from the gradebook, and there is no student yet): what it would fill
        in is filled with zeros here."""
        import copy

        from nbgrader.preprocessors import GetGrades

        self.warm_up()
        nb = copy.deepcopy(nb)
        total = 0.0
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") or meta.get("solution"):
                meta.update(score=0.0, points=float(meta.get("points", 0)), comment=None)
                total += float(meta.get("points", 0)) if meta.get("grade") else 0.0
        resources = {"nbgrader": {"score": 0.0, "max_score": total, "late_penalty": 0.0}}
        saved = self.exporter._preprocessors
        self.exporter._preprocessors = [pp for pp in saved if not isinstance(pp, GetGrades)]
        try:
            self.exporter.from_notebook_node(nb, resources=resources)
        finally:
            self.exporter._preprocessors = saved

    def start(self) -> None:
        self.init_notebooks()
        self.warm_up()
        here = os.getcwd()
        os.chdir(self.coursedir.root)
        try:
            self.convert_notebooks()
        finally:
            os.chdir(here)


class _InboundWatch:
    """Tells the service, cheaply and without sleeping, when the exchange's inbound folder may
    hold something new: ``fd`` (an inotify descriptor, Linux) becomes readable when a folder is
    made in it or a file written in a submission still being copied, and wakes the pool's wait
    (which reads it empty); :meth:`changed` then says whether to look (the folder's own stat, or
    a submission's secret written since). Without inotify ``fd`` is None and the service looks
    every ``poll_interval``."""

    _IN_CLOSE_WRITE, _IN_MOVED_TO, _IN_CREATE = 0x8, 0x80, 0x100
    _IN_NONBLOCK, _IN_CLOEXEC = 0o4000, 0o2000000

    def __init__(self, inbound: Path) -> None:
        self.inbound = inbound
        self.fd: int | None = None
        self.copying: dict[Path, int] = {}  # submission folder still being written -> its watch
        self.seen = None
        self.watching = False  # the inbound folder itself is watched (it exists)
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            self._add, self._rm = libc.inotify_add_watch, libc.inotify_rm_watch
            self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
            fd = libc.inotify_init1(self._IN_NONBLOCK | self._IN_CLOEXEC)
            if fd >= 0:
                self.fd = fd
                self._watch_inbound()
        except (OSError, AttributeError):
            self.fd = None

    def _watch_inbound(self) -> None:
        """Watch the inbound folder once it exists. Never made here: ``nbgrader
        release_assignment`` makes it writable by every student (and sticky), while a folder
        the service made would have the service's own mode and refuse every submission.
        Until then the nearest folder above it is watched, and :meth:`changed` tries again."""
        if self.fd is None or self.watching:
            return
        if self.inbound.is_dir():
            self.watching = self._add(self.fd, os.fsencode(self.inbound),
                                      self._IN_CREATE | self._IN_MOVED_TO) >= 0
            return
        for parent in self.inbound.parents:
            if parent.is_dir():
                self._add(self.fd, os.fsencode(parent), self._IN_CREATE | self._IN_MOVED_TO)
                return

    def changed(self) -> bool:
        """Whether the folder changed since the last call, or a submission still being copied
        has its secret now (a few stats, no listing)."""
        self._watch_inbound()
        try:
            st = os.stat(self.inbound)
            now = (st.st_mtime_ns, st.st_nlink, st.st_size)
        except OSError:
            now = None
        changed = now != self.seen
        self.seen = now
        for folder in list(self.copying):
            if _complete(folder) or not folder.exists():
                self._unwatch(folder)
                changed = True
        return changed

    def copying_now(self, folders: list[Path]) -> None:
        """Watch these submission folders (still being copied) for their last file."""
        for folder in folders:
            if folder in self.copying or self.fd is None:
                continue
            wd = self._add(self.fd, os.fsencode(folder), self._IN_CLOSE_WRITE | self._IN_MOVED_TO)
            self.copying[folder] = wd
            if _complete(folder):  # written before the watch was added
                self._unwatch(folder)
                self.seen = None  # look again at once

    def _unwatch(self, folder: Path) -> None:
        wd = self.copying.pop(folder, -1)
        if wd >= 0 and self.fd is not None:
            self._rm(self.fd, wd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _WakingPool:
    """The service's pool, handing the inbound watch's descriptor to each run so that a new
    submission ends the pool's wait at once (:meth:`KernelPool.run`'s ``wakeup``)."""

    def __init__(self, pool, wakeup: int) -> None:
        self._pool, self._wakeup = pool, wakeup

    def run(self, jobs):
        return self._pool.run(jobs, wakeup=self._wakeup)

    def __getattr__(self, name):
        return getattr(self._pool, name)


class _Renderer:
    """The feedback pages, made and released in a process of their own (forked from the service
    before its pool starts): a page costs ~50 ms CPU, and made there it no longer holds up the
    next submission's grading in the service's process (two cores: both busy). The service
    sends a student's id (a line); the process makes the page with nbgrader's GenerateFeedback,
    releases it with ExchangeReleaseFeedback and answers with a JSON line. It dies with the
    service (``PR_SET_PDEATHSIG``) or when its socket closes; a page it did not release is
    made again by the next service (the exchange says which are released)."""

    def __init__(self, work) -> None:
        self._work = work  # a request (dict) -> its answer (dict), in the feedback process
        self.sock: socket.socket | None = None
        self.pid: int | None = None

    def start(self, warm_up) -> None:
        parent, child = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the renderer
            code = 0
            try:
                parent.close()
                _die_with_parent()
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service stops it
                signal.signal(signal.SIGTERM, signal.SIG_IGN)  # ends at its input's end
                warm_up()
                child.sendall(b'{"ready": true}\n')
                self._serve(child)
            except BaseException:  # noqa: BLE001 - never back into the service's code
                code = 1
            finally:
                os._exit(code)
        child.close()
        self.sock, self.pid = parent, pid

    def _serve(self, sock) -> None:
        for line in sock.makefile("rb"):
            sock.sendall(json.dumps(self._work(json.loads(line))).encode() + b"\n")

    def wait_ready(self, timeout: float) -> bool:
        """Whether the feedback process warmed up and said so within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            line = self.sock.makefile("rb").readline()
        except OSError:
            line = b""
        self.sock.settimeout(None)
        return line.strip() == b'{"ready": true}'

    def send(self, request: dict) -> None:
        self.sock.sendall(json.dumps(request).encode() + b"\n")

    def close(self, wait: float = 10.0) -> None:
        """Stop the process: it ends the page it is making (released pages are never half
        written) and exits at the end of its input; killed after ``wait`` seconds."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        if self.pid is not None:
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                    break
                time.sleep(0.05)
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _die_with_parent() -> None:
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(0)


class _Wakeups:
    """One descriptor for the pool to wait on (a pipe), written by a small thread when the
    inbound watch (inotify) or the feedback process has news; the feedback process's answers
    wait in :attr:`answers` (None: it has gone) for the service to take them."""

    def __init__(self, inotify: int | None, renderer: socket.socket | None) -> None:
        self.fd, self._w = os.pipe()
        for fd in (self.fd, self._w):
            os.set_blocking(fd, False)
        self._stop_r, self._stop_w = os.pipe()
        self.answers: queue.SimpleQueue = queue.SimpleQueue()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stop_r, selectors.EVENT_READ, "stop")
        if inotify is not None:
            self._selector.register(inotify, selectors.EVENT_READ, "inotify")
        if renderer is not None:
            self._selector.register(renderer, selectors.EVENT_READ, "renderer")
        self._thread = threading.Thread(target=self._loop, args=(renderer,),
                                        name="graders-serve-wakeups", daemon=True)
        self._thread.start()

    def _loop(self, renderer) -> None:
        pending = b""
        while True:
            for key, _ in self._selector.select():
                if key.data == "stop":
                    return
                if key.data == "inotify":
                    try:
                        while os.read(key.fd, 65536):
                            pass
                    except OSError:
                        pass
                else:
                    try:
                        data = renderer.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        self._selector.unregister(renderer)
                        self.answers.put(None)
                    pending += data
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        self.answers.put(json.loads(line))
            try:
                os.write(self._w, b"x")
            except OSError:
                pass  # the pipe is full: the pool is being woken already

    def close(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self.fd, self._w, self._stop_r, self._stop_w):
            os.close(fd)
        self._selector.close()


class Service:
    def __init__(self, root: Path, assignment: str, scheduler: str | None = None,
                 out=None, config=None) -> None:
        self.out = out or sys.stdout
        self.batch = BatchAutograde(root, assignment, force=True, scheduler=scheduler,
                                    config=config)
        self.root, self.assignment = self.batch.root, assignment
        self.config = self.batch.config
        self.settings = GradingService(config=self.config)
        coursedir = self.batch.coursedir
        if not coursedir.course_id:
            raise SystemExit("graders serve needs the course's id: set "
                             "c.CourseDirectory.course_id in nbgrader_config.py (it names the "
                             "course's folder in the exchange).")
        self.coursedir = coursedir
        collect = ExchangeCollect(coursedir=coursedir, authenticator=self._auth(),
                                  config=self.config)
        self.inbound = Path(collect.root) / coursedir.course_id / "inbound"
        self.outbound = Path(collect.root) / coursedir.course_id / "feedback"
        self.scheduler = self.batch.scheduler  # --scheduler, or c.GradingEngine.scheduler
        if self.scheduler is not None:  # the workers' warm templates outlive each round
            self.batch.dask_options = {"keep_warm": True,
                                       "require_sandbox": self.batch.settings.require_sandbox}
        self.state_path = self.root / STATE_FILE
        self.state = self._load_state()
        self.last_feedback: dict[str, float] = {}
        # student -> (submission, timestamp collected, when) while the engine grades it
        self.in_flight: dict[str, tuple[Submission, str | None, float]] = {}
        self.counts = {"graded": 0, "failed": 0}
        self.started = time.monotonic()
        self.stopping = False
        self._notebooks: list[str] | None = None
        self.next_due = float("inf")
        self._released: set[Path] = set()
        self.watch: _InboundWatch | None = None
        self.renderer: _Renderer | None = None
        self.wakeups: _Wakeups | None = None
        #: student -> the grading's outcome, while the feedback process makes the page
        self.rendering: dict[str, object] = {}

    # ------------------------------------------------------------------ exchange
    def _auth(self):
        return Authenticator(config=self.config)

    def newest(self) -> dict[str, Submission]:
        """Each student's newest submission in the exchange's inbound folder, once it is
        complete: ``nbgrader submit`` copies the files into the folder, then writes
        ``timestamp.txt`` and, last, ``submission_secret.txt``. A student whose newest folder
        is still being written is left for a later look (under load, collecting it half-copied
        found no notebook and gave up on the student)."""
        newest: dict[str, tuple] = {}
        for path in glob.glob(str(self.inbound / f"*+{self.assignment}+*")):
            parts = os.path.basename(path).rsplit("+", 3)
            if len(parts) < 3:
                continue
            when = _when(parts[2])
            if when is None or not os.path.isdir(path):  # not a submission folder
                continue
            best = newest.get(parts[0])
            if best is None or when > best[0]:
                newest[parts[0]] = (when, Submission(parts[0], parts[2], Path(path)))
        copying = [sub.path for _, sub in newest.values() if not _complete(sub.path)]
        watch = getattr(self, "watch", None)
        if watch is not None and copying:
            watch.copying_now(copying)
        return {student: sub for student, (_, sub) in newest.items()
                if sub.path not in copying}

    def notebook_ids(self) -> list[str]:
        """The assignment's notebooks, read from the gradebook once (the engine, too, reads them
        once per service: :meth:`BatchAutograde.grade`)."""
        if self._notebooks is None:
            with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                self._notebooks = [nb.name for nb in
                                   gb.find_assignment(self.assignment).notebooks]
        return self._notebooks

    def released(self, submission: Submission, notebooks: list[str]) -> bool:
        """Whether feedback on this very submission is in the exchange already (read from the
        exchange; once it is, that is remembered for the folder)."""
        if submission.path in self._released:
            return True
        done = self._read_released(submission, notebooks)
        if done:
            self._released.add(submission.path)
        return done

    def _read_released(self, submission: Submission, notebooks: list[str]) -> bool:
        try:
            secret = (submission.path / "submission_secret.txt").read_text()
        except OSError:
            return False
        present = [nb for nb in notebooks if (submission.path / f"{nb}.ipynb").exists()]
        return bool(present) and all(
            (self.outbound / f"{notebook_hash(secret=secret, notebook_id=nb)}.html").exists()
            for nb in present)

    def pending(self) -> list[Submission]:
        notebooks = self.notebook_ids()
        now = time.monotonic()
        self.next_due = float("inf")  # when a student held back by min_feedback_interval is due
        out = []
        for student, submission in sorted(self.newest().items()):
            if self.state.get("given_up", {}).get(student) == submission.timestamp:
                continue
            if self.released(submission, notebooks):
                continue
            wait = self.settings.min_feedback_interval
            if wait and now - self.last_feedback.get(student, -1e9) < wait:
                self.next_due = min(self.next_due, self.last_feedback[student] + wait)
                continue
            out.append(submission)
        return out

    def _coursedir_for(self, student: str):
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        coursedir.root = str(self.root)
        coursedir.assignment_id = self.assignment
        coursedir.student_id = student
        return coursedir

    def collect(self, student: str) -> str | None:
        """nbgrader's collect for one student (its newest submission); the timestamp taken."""
        collect = ExchangeCollect(coursedir=self._coursedir_for(student),
                                  authenticator=self._auth(), config=self.config)
        collect.update = True
        collect.check_owner = False
        collect.start()
        stamp = Path(self.batch._submitted(student)) / "timestamp.txt"
        return stamp.read_text().strip() if stamp.exists() else None

    def release(self, student: str) -> None:
        self.feedback.coursedir.student_id = student
        self.feedback.start()
        release = ExchangeReleaseFeedback(coursedir=self._coursedir_for(student),
                                          authenticator=self._auth(), config=self.config)
        release.start()

    # ------------------------------------------------------------------ loop
    def log(self, text: str) -> None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}  {text}", file=self.out, flush=True)

    def _load_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {}

    def _save_state(self) -> None:
        self.state_path.parent.mkdir(mode=0o700, exist_ok=True)
        partial = self.state_path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.state, indent=1))
        os.replace(partial, self.state_path)

    def _stop(self, signum, frame) -> None:
        self.stopping = True
        raise KeyboardInterrupt

    def run(self, once: bool = False) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        try:
            self.feedback = _Feedback(coursedir=self._coursedir_for("*"), config=self.config)
            self.feedback.force = True
            if self.settings.feedback_process and hasattr(os, "fork"):
                # Forked first, before the pool's template: it warms up while torch imports.
                self.out.flush()
                self.renderer = _Renderer(self._render)
                self.renderer.start(self.warm_feedback)
            self.pool = self.batch.make_pool(2)
            self.pool.idle_wait = self.settings.poll_interval
            self.pool.warm_up()
            self.watch = _InboundWatch(self.inbound)
            missing = check_sandbox(self.batch, None, pool=self.pool)
            for item in missing:
                self.log(f"WARNING: partial sandbox: {item}")
            if self.renderer is None:
                self.warm_feedback()
            warm = self.warm_up()
            if self.renderer is not None and not self.renderer.wait_ready(START_TIMEOUT):
                self.log("WARNING: the feedback process did not start; feedback is made here")
                self.renderer.close(wait=0)
                self.renderer = None
                self.warm_feedback()
            pool = self.pool
            if self.watch.fd is not None or self.renderer:
                self.wakeups = _Wakeups(self.watch.fd, self.renderer and self.renderer.sock)
                if self.scheduler is None:  # a Dask pool asks the feed after each result
                    pool = _WakingPool(self.pool, self.wakeups.fd)  # woken by news, no polling
                    if self.watch.fd is not None:
                        self.pool.idle_wait = RESCAN
            self.log(f"serving {self.assignment} from {self.inbound} "
                     f"(feedback to {self.outbound}; warmed up in {warm:.1f} s)")
            self.beat = time.monotonic()
            while not self.stopping:
                try:
                    self.batch.grade(self.feed(once), report=self.finish, pool=pool)
                    break  # the feed ended: --once, or stopping
                except Exception as err:  # noqa: BLE001 - the service outlives one failure
                    self.log(f"grading stopped ({type(err).__name__}: {str(err)[:200]}); "
                             f"the submissions in progress are graded again in 5 s")
                    self.in_flight.clear()
                    self.rendering.clear()
                    time.sleep(5)
        except KeyboardInterrupt:
            self.log("stopping: every submission whose feedback was released is done; the "
                     "rest will be graded when the service starts again")
        finally:
            if self.renderer is not None:
                self.renderer.close()  # the page it is making is finished first
            if self.wakeups is not None:
                self.wakeups.close()
            pool = getattr(self, "pool", None)
            if pool is not None:
                pool.close()
            if self.watch is not None:
                self.watch.close()
        return 0

    def warm_feedback(self) -> None:
        """The feedback exporter built and one page rendered (see :meth:`_Feedback.render_once`),
        and the gradebook's models loaded: in the feedback process, or here without one."""
        import nbformat

        self.feedback.warm_up()
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.find_assignment(self.assignment).max_score  # noqa: B018 - loads the models
        release = Path(self.coursedir.format_path(self.coursedir.release_directory, ".",
                                                  self.assignment))
        for path in sorted(release.glob("*.ipynb"))[:1]:
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
            self.feedback.render_once(nbformat.convert(nb, 4))

    def warm_up(self) -> float:
        """Before the first submission: load what it would otherwise load on first use, so
        that the first feedback comes as fast as the tenth (measured: the first took 2 to 3
        times as long). The pool's template has imported torch and the lesson's libraries
        already (``pool.warm_up``); here the gradebook (SQLAlchemy's SQLite dialect and its
        mappers) and nbformat's validator, on the release notebook, without writing anything
        (the feedback page's rendering: :meth:`warm_feedback`). Returns the seconds it took."""
        import nbformat

        started = time.monotonic()
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.find_assignment(self.assignment).max_score  # noqa: B018 - loads the models
        release = Path(self.coursedir.format_path(self.coursedir.release_directory, ".",
                                                  self.assignment))
        for path in sorted(release.glob("*.ipynb"))[:1]:
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
            nbformat.validate(nbformat.convert(nb, 4), relax_add_props=True)
        if self.scheduler is None:
            self.warm_pool()
        return time.monotonic() - started

    def warm_pool(self) -> None:
        """One throw-away sealed run (a cell that does nothing) through the pool: it waits for
        the template to have imported torch and pays the first fork's costs, which the first
        submission paid otherwise (measured: 5 s from the exchange to its feedback, against
        about 1.5 s for the next ones, on a loaded machine)."""
        import tempfile

        from .engine.jobs import Job
        from .engine.scratch import remove_tree
        from .protocol import Cell

        folder = tempfile.mkdtemp(prefix="graders-warm-up-")
        try:
            for _ in self.pool.run([Job("warm-up", [Cell(0, "pass", False)], folder)]):
                pass
        finally:
            remove_tree(folder)

    def heartbeat(self) -> None:
        waiting = len([s for s in self.pending() if s.student not in self.in_flight])
        up = time.monotonic() - self.started
        self.log(f"serving {self.assignment}: graded {self.counts['graded']}, failed "
                 f"{self.counts['failed']}, grading {len(self.in_flight)}, waiting {waiting}, "
                 f"up {up / 60:.0f} min")

    def feed(self, once: bool) -> Iterator[str | None]:
        """The students to grade, as their submissions arrive: an open feed for the engine
        (:meth:`BatchAutograde.grade`), so that a submission starts as soon as the pool has room
        instead of waiting for the others in progress. Each student's newest submission is
        collected just before it is handed over; a student already in progress is not handed
        over again until that grading is reported (:meth:`finish`), so a newer submission
        made meanwhile waits for it. ``None``: no one new yet (the pool waits until the inbound
        watch wakes it, or ``poll_interval`` without inotify, and asks again). The exchange is
        looked at when the watch says it changed (a few stats each time the feed is asked), when
        a student's ``min_feedback_interval`` is up, and every :data:`RESCAN` seconds anyway."""
        looked = -1e9
        watch = self.watch
        while not self.stopping:
            self.answers()
            now = time.monotonic()
            if now - self.beat >= self.settings.heartbeat:
                self.beat = now
                self.heartbeat()
            every = self.settings.poll_interval if watch is None or watch.fd is None else RESCAN
            changed = watch.changed() if watch is not None else False
            if changed or now - looked >= every or now >= self.next_due:
                looked = now
                work = [s for s in self.pending() if s.student not in self.in_flight]
                for submission in work:
                    stamp = self.collect(submission.student)
                    self.in_flight[submission.student] = (submission, stamp, time.monotonic())
                    yield submission.student
                if once and not work and not self.in_flight:
                    return
            yield None

    def finish(self, outcome) -> None:
        """Release one student's feedback, as soon as the engine has recorded the grade: handed
        to the feedback process (its answer is taken by :meth:`answers`), or made here."""
        self.answers()
        student = outcome.student
        if outcome.status != "failed" and self.renderer is not None:
            submission, stamp, started = self.in_flight[student]
            try:
                self.renderer.send({"student": student, "stamp": stamp, "started": started,
                                    "submission": [submission.timestamp, str(submission.path)],
                                    "line": self._line(outcome, stamp, started)})
                self.rendering[student] = outcome
                return
            except OSError:
                self._renderer_gone()
        self._released_or_failed(outcome, self._release_here(outcome))

    def _line(self, outcome, stamp, started) -> list[str]:
        """The log line of a released feedback, around its seconds."""
        problem = "; ".join(outcome.notes) if outcome.notes else ""
        score = (f"{outcome.score:g} / {outcome.max_score:g}"
                 if outcome.score is not None else "-")
        return [f"{outcome.student:<16} {score:>8}  ", f" s  submitted {stamp}  {problem}"]

    def _release_here(self, outcome) -> str | None:
        """Release the feedback in this process; the problem, if any."""
        student = outcome.student
        submission, stamp, started = self.in_flight[student]
        problem = "; ".join(outcome.notes) if outcome.notes else ""
        try:
            if outcome.status == "failed":
                raise RuntimeError(problem or "not graded")
            self.release(student)
            if stamp == submission.timestamp and not self.released(submission,
                                                                   self.notebook_ids()):
                raise RuntimeError(f"no feedback to release ({problem or 'no notebook'})")
        except Exception as err:  # noqa: BLE001 - one student's problem stays theirs
            return str(err)
        head, tail = self._line(outcome, stamp, started)
        self.log(f"{head}{time.monotonic() - started:5.1f}{tail}".rstrip())
        return None

    def _render(self, request: dict) -> dict:
        """In the feedback process: make and release one student's page, log it as released
        (here, so that a page released is a page logged, even if the service is killed)."""
        student, stamp = request["student"], request["stamp"]
        submission = Submission(student, request["submission"][0],
                                Path(request["submission"][1]))
        try:
            self.release(student)
            if stamp == submission.timestamp and not self.released(submission,
                                                                   self.notebook_ids()):
                raise RuntimeError("no feedback to release (no notebook)")
        except Exception as err:  # noqa: BLE001 - one student's problem stays theirs
            return {"student": student, "error": str(err)[:300]}
        head, tail = request["line"]
        self.log(f"{head}{time.monotonic() - request['started']:5.1f}{tail}".rstrip())
        return {"student": student, "error": None}

    def answers(self) -> None:
        """Take the feedback process's answers so far (never waits)."""
        if self.wakeups is None:
            return
        while True:
            try:
                answer = self.wakeups.answers.get_nowait()
            except queue.Empty:
                return
            if answer is None:
                self._renderer_gone()
                continue
            outcome = self.rendering.pop(answer["student"], None)
            if outcome is not None:
                self._released_or_failed(outcome, answer["error"])

    def _renderer_gone(self) -> None:
        """The feedback process died: its pages are made here from now on."""
        if self.renderer is None:
            return
        self.log("WARNING: the feedback process stopped; feedback is made here from now on")
        self.renderer.close(wait=0)
        self.renderer = None
        self.warm_feedback()
        for outcome in list(self.rendering.values()):
            self.rendering.pop(outcome.student)
            self._released_or_failed(outcome, self._release_here(outcome))

    def _released_or_failed(self, outcome, problem: str | None) -> None:
        """The bookkeeping of one feedback released (logged already), or a failure (logged
        here, and not retried until the student submits again)."""
        student = outcome.student
        submission, stamp, started = self.in_flight.pop(student)
        if problem is not None:
            self.counts["failed"] += 1
            self.state.setdefault("given_up", {})[student] = stamp
            self._save_state()
            self.log(f"{student:<16} failed   {time.monotonic() - started:5.1f} s  submitted "
                     f"{stamp}  {problem[:200]}")
            return
        self.counts["graded"] += 1
        self.last_feedback[student] = time.monotonic()
