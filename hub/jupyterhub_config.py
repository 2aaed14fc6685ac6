"""JupyterHub for the course, as ``make hub`` starts it (hub/hub.py writes nothing here: every
value comes from the environment hub/hub.py sets, read from its ``hub.json``).

- 127.0.0.1 only: the public URL, the hub's own API and the proxy's API, on free ports.
- Users: the local Unix accounts hub/hub.py created (an instructor and students), logged in with
  JupyterHub's dummy authenticator and one shared password (a test machine, not a class: use PAM
  or OAuth there). Each user's server is started by the default LocalProcessSpawner as that Unix
  user, from the course venv, in JupyterLab.
- nbgrader: each role reads its own Jupyter config folder (``JUPYTER_CONFIG_PATH``): students get
  the Assignment List (fetch, submit, Fetch Feedback) and Validate; the instructor also gets
  Formgrader and Create Assignment on the course folder.
- ``graders serve tensors``: a managed service, run by the hub as the instructor (not root) from
  the course folder; the hub starts it again if it dies.
"""

import json
import os

settings = json.loads(open(os.environ["TENSORS_HUB_JSON"]).read())
root = settings["root"]
venv_bin = os.path.join(settings["venv"], "bin")
instructor = settings["instructor"]
students = settings["students"]

c = get_config()  # noqa: F821 - provided by traitlets when JupyterHub loads this file

c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['port']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(root, "state", "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(root, "state", "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(root, "state", "cookie_secret")
c.JupyterHub.pid_file = os.path.join(root, "state", "jupyterhub.pid")

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = settings["password"]
c.Authenticator.allowed_users = set(students) | {instructor}
c.Authenticator.admin_users = {instructor}

c.Spawner.cmd = [os.path.join(venv_bin, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin"}


def per_role(spawner):
    """Each role's Jupyter config folder (hub/hub.py writes both)."""
    role = "instructor" if spawner.user.name == instructor else "student"
    spawner.environment["JUPYTER_CONFIG_PATH"] = os.path.join(root, "etc", role)


c.Spawner.pre_spawn_hook = per_role

c.JupyterHub.services = [
    {
        "name": "grader",
        "command": [os.path.join(venv_bin, "graders"), "serve", "tensors"],
        "user": instructor,
        "cwd": settings["course"],
        "environment": {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": os.path.join(root, "etc", "instructor"),
        },
    },
]
