"""Benchmark: from the student's click on Submit to feedback they can fetch, on the real hub.

    sudo .venv/bin/python benchmarks/hub_latency.py [--students 10] [--within 10] [--no-reset]

Starts the course over on the hub of ``make hub`` (``hub/hub.py reset`` and ``start``; root
needed), releases the assignment as the instructor, and logs ``--students`` students in through
the hub's login page in headless Chromium (one browser context each, so each has their own
JupyterLab server, started by the hub as that Unix user). Each student presses Fetch in the
Assignment List; their answers (the test corpus, cycled) are then saved into the fetched
notebook, as Ctrl+S would. Then every student presses **Submit** in the Assignment List at a
random moment within ``--within`` seconds: the Assignment List's server extension runs
``nbgrader submit`` in that student's own server. For each click it measures:

- click -> the submission is in the exchange's inbound folder (nbgrader submit in the server);
- click -> its feedback is in the exchange (``graders serve`` graded and released it: what
  Fetch Feedback copies), the figure students feel.

Finally each student presses Fetch Feedback and the page must show the score the service logged.
Prints p50 / p95 / max and the machine's load average. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nbgrader.utils import notebook_hash  # noqa: E402

from graders.submission_builder import (  # noqa: E402
    build_submission,
    read_cell_file,
    write_notebook,
)

HUB = ROOT / "hub" / "hub.py"
HUB_ROOT = Path(os.environ.get("HUB_ROOT", "/srv/tensors-hub"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-extensions"]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[max(0, int(round(q * len(values))) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--within", type=float, default=10.0)
    parser.add_argument("--no-reset", action="store_true",
                        help="use the running hub as it is (students must not have submitted)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (hub/hub.py creates accounts and reads the students' folders)")
    if not args.no_reset:
        subprocess.run([sys.executable, str(HUB), "reset"], check=True)
        subprocess.run([sys.executable, str(HUB), "start"], check=True)
    hub = json.loads((HUB_ROOT / "state" / "hub.json").read_text())
    url = f"http://127.0.0.1:{hub['port']}"
    students = hub["students"][:args.students]
    if len(students) < args.students:
        sys.exit(f"the hub has {len(students)} students (HUB_STUDENTS={args.students} "
                 f"hub/hub.py reset first)")
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    subprocess.run([runuser, "-u", hub["instructor"], "--", f"{hub['venv']}/bin/nbgrader",
                    "release_assignment", "tensors", "--log-level=ERROR"], cwd=hub["course"],
                   env={"PATH": f"{hub['venv']}/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                        "HOME": str(HUB_ROOT / "home" / hub["instructor"]),
                        "JUPYTER_CONFIG_PATH": str(HUB_ROOT / "etc" / "instructor")},
                   check=True)
    corpus = sorted((ROOT / "tests" / "corpus").glob("*.py"))
    release = ROOT / "release" / "tensors" / "tensors.ipynb"

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium")
                                     or "/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        pages = {}
        for student in students:  # log in: each login starts that student's server
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.set_default_timeout(180_000)
            page.goto(f"{url}/hub/login")
            page.fill("#username_input", student)
            page.fill("#password_input", hub["password"])
            page.click("#login_submit", no_wait_after=True)
            pages[student] = page
        for i, (student, page) in enumerate(pages.items()):
            page.wait_for_selector(".jp-LabShell")
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
            page.get_by_role("menuitem", name="Assignment List", exact=True).click()
            page.locator("#released_assignments_list button", has_text="Fetch").click()
            page.locator("#fetched_assignments_list .list_item button",
                         has_text="Submit").wait_for()
            home = HUB_ROOT / "home" / student
            notebook = home / "tensors" / "tensors.ipynb"
            nb = build_submission(release, read_cell_file(corpus[i % len(corpus)]))
            write_notebook(nb, notebook)
            owner = notebook.parent.stat()
            os.chown(notebook, owner.st_uid, owner.st_gid)
        print(f"{len(pages)} students logged in, fetched and saved their answers", flush=True)
        time.sleep(5)  # the servers settle
        load_before = os.getloadavg()
        schedule = sorted((random.uniform(0, args.within), s) for s in students)
        exchange = HUB_ROOT / "exchange" / "intro-to-pytorch"
        landed: dict[str, float] = {}
        released: dict[str, float] = {}
        digests: dict[str, str] = {}

        def watch() -> None:  # the exchange, every 10 ms, while the students click
            deadline = time.monotonic() + args.within + 300
            while len(released) < len(students) and time.monotonic() < deadline:
                now = time.monotonic()
                for name in os.listdir(exchange / "inbound"):
                    student = name.split("+")[0]
                    landed.setdefault(student, now)
                    secret = exchange / "inbound" / name / "submission_secret.txt"
                    if student not in digests and secret.exists() and secret.read_text():
                        digests[student] = notebook_hash(secret=secret.read_text(),
                                                         notebook_id="tensors")
                for student, digest in list(digests.items()):
                    if student not in released and (exchange / "feedback"
                                                    / f"{digest}.html").exists():
                        released[student] = now
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        t0 = time.monotonic()
        clicked: dict[str, float] = {}
        for at, student in schedule:
            time.sleep(max(0.0, t0 + at - time.monotonic()))
            clicked[student] = time.monotonic()
            pages[student].locator("#fetched_assignments_list .list_item button",
                                   has_text="Submit").first.click(no_wait_after=True)
        watcher.join()
        load_after = os.getloadavg()
        fetched = 0
        for student, page in pages.items():  # Fetch Feedback brings the page
            page.locator("#submitted_assignments_list button", has_text="Fetch Feedback"
                         ).first.click()
            folder = HUB_ROOT / "home" / student / "tensors" / "feedback"
            for _ in range(100):
                found = list(folder.glob("*/tensors.html")) if folder.exists() else []
                if found and "Score:" in found[0].read_text():
                    fetched += 1
                    break
                time.sleep(0.1)
        browser.close()
    to_inbound = [landed[s] - clicked[s] for s in landed]
    to_feedback = [released[s] - clicked[s] for s in released]
    print(f"students {len(students)} clicking Submit within {args.within:g} s; feedback "
          f"released for {len(released)}, fetched with Fetch Feedback by {fetched}")
    for label, values in (("click -> in the exchange", to_inbound),
                          ("click -> feedback released", to_feedback)):
        if values:
            print(f"{label:<28} p50 {statistics.median(values):5.2f} s   p95 "
                  f"{percentile(values, 0.95):5.2f} s   max {max(values):5.2f} s")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
          f"({os.cpu_count()} cores; the machine is shared with other work)")
    return 0 if len(released) == len(students) == fetched else 1


if __name__ == "__main__":
    sys.exit(main())
