"""``make hub``: a real JupyterHub for the course on this machine, in one command.

    sudo python3 hub/hub.py start     # set up (idempotent) and start; prints URL and logins
    sudo python3 hub/hub.py stop      # stop the hub, its users' servers and the grading service
    sudo python3 hub/hub.py reset     # stop, and start the course over (no submissions)
    sudo python3 hub/hub.py remove    # stop, delete the accounts and the hub's folder

Needs root (it creates Unix accounts and the hub starts each user's server as that user), Python
3.11 at a path every user can read (Debian's ``/usr/bin/python3.11``; ``HUB_PYTHON`` to choose),
node and npm (for ``configurable-http-proxy``), and the registries pip and npm use. Everything
lives under ``HUB_ROOT`` (default ``/srv/tensors-hub``), a folder every user can traverse:

- ``venv/``: Python for every process of the hub: this repository installed (not editable: the
  checkout may sit under /root, which students cannot read) with its ``hub`` extra;
- ``node/``: ``configurable-http-proxy`` from npm;
- ``home/<user>/``: the accounts' homes (0700 each); the course folder is
  ``home/<instructor>/course/`` (the repository's ``source/`` and ``nbgrader_config.py``);
- ``exchange/``: nbgrader's exchange: the root world-writable as nbgrader's docs say (``chmod
  ugo+rw``), with the sticky bit so no one removes another's entry, and the course's folder made
  by the instructor before any student could;
- ``etc/instructor``, ``etc/student``: each role's Jupyter config folder (nbgrader settings, the
  extensions each role gets);
- ``state/`` (root only): the hub's database, cookie secret, log, ``hub.json`` (ports, password).

Accounts: ``<prefix>instructor`` and ``<prefix>student01``... (``HUB_USER_PREFIX``, default
``hub-``; ``HUB_STUDENTS``, default 10). An existing account is reused only if its home is the
hub's; anything else is refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "tensors"
COURSE_ID = "intro-to-pytorch"
ROOT = Path(os.environ.get("HUB_ROOT", "/srv/tensors-hub"))
PREFIX = os.environ.get("HUB_USER_PREFIX", "hub-")
STUDENTS = int(os.environ.get("HUB_STUDENTS", "10"))
PROXY_PACKAGE = "configurable-http-proxy@5"
JUPYTERHUB = "jupyterhub==6.1.1"


def log(text: str) -> None:
    print(f"[hub] {text}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def as_user(user: str, cmd: list[str], cwd: Path, env: dict | None = None):
    """Run ``cmd`` as ``user`` (setuid/setgid in the child, a login-like environment)."""
    pw = pwd.getpwnam(user)

    def demote():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    full = {"HOME": pw.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
            "PATH": f"{ROOT / 'venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": str(ROOT / "etc" / ("instructor" if user == instructor()
                                                       else "student"))}
    full.update(env or {})
    return subprocess.run(cmd, cwd=cwd, env=full, preexec_fn=demote, check=True,
                          capture_output=True, text=True)


def instructor() -> str:
    return f"{PREFIX}instructor"


def students() -> list[str]:
    return [f"{PREFIX}student{i:02d}" for i in range(1, STUDENTS + 1)]


# ----------------------------------------------------------------------------- checks


def require_root() -> None:
    if os.geteuid() != 0:
        sys.exit("hub/hub.py needs root: it creates Unix accounts and JupyterHub starts each "
                 "user's server as that user (run `sudo make hub`).")


def world_traversable(path: Path) -> bool:
    """Whether every user can reach ``path`` (each folder above it has o+x)."""
    for folder in [path, *path.parents]:
        if folder.exists() and not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    return True


def pick_python() -> str:
    """A Python 3.11 that every user can run: its real file and libraries outside any
    private home (pyenv's under /root is not)."""
    wanted = os.environ.get("HUB_PYTHON")
    candidates = [wanted] if wanted else ["/usr/bin/python3.11", "/usr/local/bin/python3.11",
                                          shutil.which("python3.11") or ""]
    for cand in candidates:
        if not cand or not os.path.exists(cand):
            continue
        real = Path(os.path.realpath(cand))
        if not world_traversable(real.parent):
            continue
        probe = subprocess.run([str(real), "-c", "import sys, venv; print(sys.prefix)"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and world_traversable(Path(probe.stdout.strip())):
            return str(real)
    sys.exit("No Python 3.11 every user can run (apt-get install python3.11-venv, or set "
             "HUB_PYTHON=/path/to/python3.11 outside any private home).")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- set-up


def source_stamp() -> str:
    """What the venv was built from: the package's files and its requirements."""
    digest = hashlib.sha256()
    files = [REPO / "pyproject.toml", *sorted((REPO / "graders").rglob("*"))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv() -> Path:
    venv = ROOT / "venv"
    stamp = venv / ".installed"
    want = source_stamp()
    if stamp.exists() and stamp.read_text() == want:
        return venv
    if not (venv / "bin" / "python").exists():
        log(f"building {venv} (a few minutes the first time)")
        run([pick_python(), "-m", "venv", str(venv)])
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
             f"{REPO}[hub]"], cwd=ROOT)
    else:
        log("reinstalling the course package into the venv (its sources changed)")
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
             "--force-reinstall", str(REPO)], cwd=ROOT)
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
             f"{REPO}[hub]"], cwd=ROOT)  # requirements added since
    shutil.rmtree(REPO / "build", ignore_errors=True)  # setuptools' in-tree build folder
    run(["chmod", "-R", "a+rX", str(venv)])
    # JupyterLab: no news or update checks (they need the internet and cover the page)
    settings = venv / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps({
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                        "checkForUpdates": False},
        "@jupyterlab/apputils-extension:announcements": {"fetchNews": "false"},
    }, indent=1))
    os.chmod(settings / "overrides.json", 0o644)
    stamp.write_text(want)
    return venv


def ensure_proxy() -> Path:
    proxy = ROOT / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        if not shutil.which("npm"):
            sys.exit("npm is missing: apt-get install nodejs npm (node 18+)")
        log(f"installing {PROXY_PACKAGE} from npm into {ROOT / 'node'}")
        run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix",
             str(ROOT / "node"), PROXY_PACKAGE])
    return proxy


def ensure_user(name: str) -> None:
    home = ROOT / "home" / name
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
             "--user-group", name])
        pw = pwd.getpwnam(name)
    if Path(pw.pw_dir) != home:
        sys.exit(f"An account {name} exists with its home at {pw.pw_dir}, not the hub's "
                 f"{home}: choose another HUB_USER_PREFIX.")
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    os.chmod(home, 0o700)


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)


def ensure_configs(course: Path) -> None:
    exchange = ROOT / "exchange"
    common = (f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
              f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
    etc = ROOT / "etc"
    write(etc / "student" / "nbgrader_config.py", common)
    write(etc / "instructor" / "nbgrader_config.py",
          common + f"c.CourseDirectory.root = {str(course)!r}\n")
    # Students: no Formgrader, Create Assignment or Course List (server and JupyterLab sides)
    write(etc / "student" / "jupyter_server_config.json", json.dumps({"ServerApp": {
        "jpserver_extensions": {"nbgrader.server_extensions.formgrader": False,
                                "nbgrader.server_extensions.course_list": False}}}, indent=1))
    write(etc / "student" / "labconfig" / "page_config.json", json.dumps({"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:course-list": True}}, indent=1))
    # Instructor: Course List asks the hub for groups this set-up does not define
    write(etc / "instructor" / "jupyter_server_config.json", json.dumps({"ServerApp": {
        "jpserver_extensions": {"nbgrader.server_extensions.course_list": False}}}, indent=1))
    write(etc / "instructor" / "labconfig" / "page_config.json", json.dumps(
        {"disabledExtensions": {"@jupyter/nbgrader:course-list": True}}, indent=1))
    for folder in [etc, *etc.rglob("*")]:
        if folder.is_dir():
            os.chmod(folder, 0o755)


def ensure_exchange() -> None:
    """nbgrader's documented exchange (``mkdir -p; chmod ugo+rw``), plus the sticky bit, and
    the course's folder owned by the instructor before any student could make it theirs."""
    exchange = ROOT / "exchange"
    exchange.mkdir(exist_ok=True)
    os.chown(exchange, 0, 0)
    os.chmod(exchange, 0o1777)
    pw = pwd.getpwnam(instructor())
    course = exchange / COURSE_ID
    if not course.exists():
        course.mkdir()
        os.chown(course, pw.pw_uid, pw.pw_gid)
        os.chmod(course, 0o755)
    if os.lstat(course).st_uid != pw.pw_uid:
        sys.exit(f"{course} is not the instructor's: remove it (someone made it first)")


def ensure_course(venv: Path) -> Path:
    """The course folder, owned by the instructor: the repository's source/ and its
    nbgrader_config.py, the exchange's settings added; the assignment generated (the gradebook
    knows it), not released (the instructor does that)."""
    pw = pwd.getpwnam(instructor())
    course = Path(pw.pw_dir) / "course"
    marker = course / ".hub-course"
    if not marker.exists():
        course.mkdir(exist_ok=True)
        shutil.copytree(REPO / "source", course / "source", dirs_exist_ok=True)
        config = (REPO / "nbgrader_config.py").read_text()
        config += (f"\n# hub/hub.py: the hub's exchange\nc.Exchange.root = "
                   f"{str(ROOT / 'exchange')!r}\n")
        (course / "nbgrader_config.py").write_text(config)
        run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", str(course)])
        as_user(instructor(), [str(venv / "bin" / "nbgrader"), "generate_assignment", ASSIGNMENT,
                               "--force", "--log-level=WARN"], cwd=course)
        # the students in the gradebook, with names for Formgrader's lists
        names = [(name, "Student", name.rsplit("student", 1)[-1]) for name in students()]
        as_user(instructor(), [str(venv / "bin" / "python"), "-c",
                               "import sys, json\nfrom nbgrader.api import Gradebook\n"
                               "with Gradebook('sqlite:///gradebook.db') as gb:\n"
                               "    for sid, first, last in json.loads(sys.argv[1]):\n"
                               "        gb.update_or_create_student(sid, first_name=first, "
                               "last_name=last)\n", json.dumps(names)], cwd=course)
        marker.write_text("made by hub/hub.py\n")
    return course


def setup() -> dict:
    require_root()
    ROOT.mkdir(parents=True, exist_ok=True)
    os.chmod(ROOT, 0o755)
    if not world_traversable(ROOT):
        sys.exit(f"{ROOT}: a folder above it is closed to other users; set HUB_ROOT elsewhere")
    (ROOT / "home").mkdir(exist_ok=True)
    os.chmod(ROOT / "home", 0o755)
    state = ROOT / "state"
    state.mkdir(mode=0o700, exist_ok=True)
    venv = ensure_venv()
    proxy = ensure_proxy()
    for name in [instructor(), *students()]:
        ensure_user(name)
    ensure_exchange()
    course = ensure_course(venv)
    ensure_configs(course)
    path = state / "hub.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    settings = {
        "root": str(ROOT), "venv": str(venv), "proxy": str(proxy), "course": str(course),
        "exchange": str(ROOT / "exchange"), "course_id": COURSE_ID,
        "instructor": instructor(), "students": students(),
        "password": old.get("password") or secrets.token_urlsafe(12),
        "port": free_port(), "hub_port": free_port(), "proxy_api_port": free_port(),
    }
    write(path, json.dumps(settings, indent=1), mode=0o600)
    return settings


# ----------------------------------------------------------------------------- start / stop


def running_pid() -> int | None:
    path = ROOT / "state" / "hub.pid"
    try:
        pid = int(path.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start() -> dict:
    if running_pid():
        log("the hub is already running (hub/hub.py stop first)")
        return json.loads((ROOT / "state" / "hub.json").read_text())
    settings = setup()
    state = ROOT / "state"
    env = {"PATH": f"{settings['venv']}/bin:/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "HOME": "/root",
           "TENSORS_HUB_JSON": str(state / "hub.json")}
    with open(state / "jupyterhub.log", "ab") as out:
        proc = subprocess.Popen(
            [f"{settings['venv']}/bin/jupyterhub", "-f",
             str(REPO / "hub" / "jupyterhub_config.py")],
            cwd=state, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    (state / "hub.pid").write_text(str(proc.pid))
    url = f"http://127.0.0.1:{settings['port']}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            sys.exit(f"jupyterhub exited ({proc.returncode}); see {state / 'jupyterhub.log'}")
        try:
            with urllib.request.urlopen(f"{url}/hub/api/", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"the hub did not answer within 120 s; see {state / 'jupyterhub.log'}")
        time.sleep(0.5)
    log(f"JupyterHub at {url}/ (127.0.0.1 only), log {state / 'jupyterhub.log'}")
    log(f"users: {settings['instructor']} (Formgrader), {settings['students'][0]} .. "
        f"{settings['students'][-1]}; password: {settings['password']}")
    log(f"course {settings['course']}, exchange {settings['exchange']}; grading service: "
        f"`graders serve {ASSIGNMENT}` as {settings['instructor']}")
    return settings


def stop() -> None:
    pid = running_pid()
    if pid is None:
        log("the hub is not running")
        return
    os.kill(pid, signal.SIGTERM)  # it stops the proxy, the users' servers and the service
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.3)
    else:
        os.killpg(pid, signal.SIGKILL)
    (ROOT / "state" / "hub.pid").unlink(missing_ok=True)
    log("stopped")


def reset() -> None:
    """Stop the hub and start the course over: no course folder, exchange or student files
    (the accounts, the venv and the proxy are kept). The hub test starts from here."""
    require_root()
    stop()
    shutil.rmtree(ROOT / "exchange", ignore_errors=True)
    for name in [instructor(), *students()]:
        home = ROOT / "home" / name
        if home.is_dir():
            for entry in home.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
    log("reset: course, exchange and the users' files removed")


def remove() -> None:
    require_root()
    stop()
    for name in [instructor(), *students()]:
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if Path(pw.pw_dir) == ROOT / "home" / name:
            subprocess.run(["pkill", "-KILL", "-u", name], check=False)
            subprocess.run(["userdel", name], check=False)
    shutil.rmtree(ROOT, ignore_errors=True)
    log(f"removed the accounts and {ROOT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "reset", "remove", "setup"])
    args = parser.parse_args()
    if args.action == "start":
        start()
    elif args.action == "setup":
        print(json.dumps(setup(), indent=1))
    elif args.action == "stop":
        require_root()
        stop()
    elif args.action == "reset":
        reset()
    else:
        remove()


if __name__ == "__main__":
    main()
