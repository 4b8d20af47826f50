# JupyterHub configuration for a throw-away local test hub (see scripts/localhub).
#
# `scripts/localhub start` prepends a block of LOCALHUB_* constants to this
# file and writes the result to DIR/jupyterhub_config.py. Everything lives in
# DIR except the kernels' runtime dirs, which sit under /tmp/jhrt<port>/ so
# that ipc socket paths stay below the 108-byte limit of unix sockets.
#
# Per-user behaviour, selected by a substring of the username:
#   "legacy"     classic notebook 6.4 (legacy JSON websocket frames only)
#   (default)    jupyter_server 1.23 (legacy and v1.kernel.websocket.jupyter.org)
#   "failspawn"  the server process exits at once; the spawn fails within ~1 s
#                (progress ends with {"failed": true, ...})
#   "hangspawn"  the process runs but never listens; the hub gives up after
#                Spawner.http_timeout (30 s)
#
# Like Nublado labs, every single-user server sees KUBERNETES_NODE_NAME and, when
# the spawn carried Nublado spawn-form user_options (internal/testnublado does),
# JUPYTER_IMAGE_SPEC and IMAGE_DESCRIPTION (plus DEBUG / RESET_USER_ENV). Like
# Rubin's lab images, labs offer an "LSST" kernel (here: the system python3).
import asyncio
import json
import os
import re

from jupyterhub.spawner import SimpleLocalProcessSpawner

c = get_config()  # noqa: F821 (provided by traitlets)

# --- network: loopback only, three distinct ports ----------------------------
c.JupyterHub.bind_url = f"http://127.0.0.1:{LOCALHUB_PORT}"  # noqa: F821
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = LOCALHUB_HUB_PORT  # noqa: F821
c.JupyterHub.hub_connect_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{LOCALHUB_PROXY_API_PORT}"  # noqa: F821
c.ConfigurableHTTPProxy.command = ["/usr/bin/configurable-http-proxy"]
c.ConfigurableHTTPProxy.pid_file = os.path.join(LOCALHUB_DIR, "proxy.pid")  # noqa: F821
c.Spawner.ip = "127.0.0.1"

# --- state: everything in DIR ------------------------------------------------
c.JupyterHub.db_url = "sqlite:///" + os.path.join(LOCALHUB_DIR, "jupyterhub.sqlite")  # noqa: F821
c.JupyterHub.cookie_secret_file = os.path.join(LOCALHUB_DIR, "jupyterhub_cookie_secret")  # noqa: F821
c.JupyterHub.pid_file = os.path.join(LOCALHUB_DIR, "jupyterhub.pid")  # noqa: F821
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.allow_named_servers = True
# How long POST /hub/api/users/{name}/server waits before answering 202 instead of
# 201 (JupyterHub's default is 10 s). localhub defaults to 0: the POST answers 202
# at once and every outcome, including a failed spawn, arrives on the progress
# stream, as with slow (Kubernetes) spawners in production. With N > 0 a spawn that
# fails within N s makes the POST itself answer 500 {"status": 500, "message": "error"}.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": LOCALHUB_SLOW_SPAWN_TIMEOUT}  # noqa: F821

# --- auth: users are created through the REST API by the "mobu" service ------
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
with open(os.path.join(LOCALHUB_DIR, "token")) as _f:  # noqa: F821
    _token = _f.read().strip()
c.JupyterHub.services = [{"name": "mobu", "api_token": _token}]
c.JupyterHub.load_roles = [
    {
        "name": "mobu",
        "description": "mobu bot runner",
        "scopes": [
            "admin:users",
            "admin:servers",
            "tokens",
            "access:servers",
            "list:users",
        ],
        "services": ["mobu"],
    }
]


# --- spawner -------------------------------------------------------------------
class LocalhubSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner that fails fast when the process dies at once.

    Plain LocalProcessSpawner only notices a dead server after http_timeout;
    "failspawn" users should see a failed spawn within a second.
    """

    async def start(self):
        result = await super().start()
        if "failspawn" in self.user.name:
            for _ in range(50):
                status = await self.poll()
                if status is not None:
                    raise RuntimeError(
                        f"single-user server for {self.user.name} exited at once "
                        f"with status {status} (localhub failspawn user)"
                    )
                await asyncio.sleep(0.1)
        return result


c.JupyterHub.spawner_class = LocalhubSpawner
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(LOCALHUB_DIR, "home", "{username}")  # noqa: F821
c.Spawner.start_timeout = 30
c.Spawner.http_timeout = 30

_singleuser_cmd = ["/usr/bin/jupyterhub-singleuser"]
if os.geteuid() == 0:
    _singleuser_cmd.append("--allow-root")
c.Spawner.cmd = _singleuser_cmd
_args = ["--KernelManager.transport=ipc"]
if LOCALHUB_NODELAY:  # noqa: F821
    _args.append("--config=" + os.path.join(LOCALHUB_DIR, "nodelay_config.py"))  # noqa: F821
c.Spawner.args = _args
c.Spawner.environment = {
    "PATH": "/usr/bin:/bin",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    # Marker used by `scripts/localhub stop` to find every process this hub
    # spawned (single-user servers and kernels run in their own sessions).
    "LOCALHUB_DIR": LOCALHUB_DIR,  # noqa: F821
    "JUPYTER_PATH": os.path.join(LOCALHUB_DIR, "share", "jupyter"),  # noqa: F821
}

# --- the "LSST" kernel of Rubin's images (Nublado's default kernel name) -------
_lsst_kernel = os.path.join(LOCALHUB_DIR, "share", "jupyter", "kernels", "lsst")  # noqa: F821
os.makedirs(_lsst_kernel, exist_ok=True)
with open(os.path.join(_lsst_kernel, "kernel.json"), "w") as _f:
    json.dump({"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
               "display_name": "LSST", "language": "python"}, _f)


# --- Nublado image environment ------------------------------------------------
_IMAGE_REPOSITORY = "lighthouse.ceres/library/sketchbook"
# image_class -> (tag, description), as if resolved by the Nublado controller.
_CLASS_IMAGES = {
    "recommended": ("recommended", "Recommended (w_2026_47)"),
    "latest-weekly": ("w_2026_47", "Weekly 2026_47"),
    "latest-daily": ("d_2026_11_20", "Daily 2026_11_20"),
    "latest-release": ("r29_2_0", "Release r29.2.0"),
}


def _describe_tag(tag):
    for pattern, fmt in (
        (r"w_(\d{4}_\d{2})", "Weekly {0}"),
        (r"d_(\d{4}_\d{2}_\d{2})", "Daily {0}"),
        (r"r(\d+)_(\d+)_(\d+)", "Release r{0}.{1}.{2}"),
    ):
        m = re.fullmatch(pattern, tag)
        if m:
            return fmt.format(*m.groups())
    return f"Experimental {tag}"


def _nublado_env(options):
    """JUPYTER_IMAGE_SPEC etc. from Nublado spawn-form user_options."""
    opts = {k: v[0] if isinstance(v, list) and v else v for k, v in (options or {}).items()}
    env = {}
    if opts.get("image_list") or opts.get("image_dropdown"):
        ref = opts.get("image_list") or opts["image_dropdown"]
        tag = ref.split("@")[0].rsplit(":", 1)[-1]
        env["JUPYTER_IMAGE_SPEC"], env["IMAGE_DESCRIPTION"] = ref, _describe_tag(tag)
    elif opts.get("image_tag"):
        tag = opts["image_tag"]
        env["JUPYTER_IMAGE_SPEC"] = f"{_IMAGE_REPOSITORY}:{tag}"
        env["IMAGE_DESCRIPTION"] = _describe_tag(tag)
    elif opts.get("image_class") in _CLASS_IMAGES:
        tag, description = _CLASS_IMAGES[opts["image_class"]]
        env["JUPYTER_IMAGE_SPEC"] = f"{_IMAGE_REPOSITORY}:{tag}"
        env["IMAGE_DESCRIPTION"] = description
    if opts.get("enable_debug") == "true":
        env["DEBUG"] = "TRUE"
    if opts.get("reset_user_env") == "true":
        env["RESET_USER_ENV"] = "TRUE"
    return env


def _pre_spawn_hook(spawner):
    name = spawner.user.name
    runtime = os.path.join(LOCALHUB_RUNTIME_ROOT, name)  # noqa: F821
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    env = dict(spawner.environment)  # copy: the configured dict is shared
    env["JUPYTER_RUNTIME_DIR"] = runtime
    env["KUBERNETES_NODE_NAME"] = "localhub-node"
    env.update(_nublado_env(spawner.user_options))
    if "legacy" in name:
        env["JUPYTERHUB_SINGLEUSER_APP"] = "notebook.notebookapp.NotebookApp"
    else:
        env["JUPYTERHUB_SINGLEUSER_APP"] = "jupyter_server.serverapp.ServerApp"
    spawner.environment = env
    if "failspawn" in name:
        spawner.cmd = ["/bin/false"]
        spawner.args = []
    elif "hangspawn" in name:
        spawner.cmd = ["/bin/sleep", "3600"]
        spawner.args = []


c.Spawner.pre_spawn_hook = _pre_spawn_hook
