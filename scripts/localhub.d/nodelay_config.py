# Jupyter server config loaded by single-user servers of `scripts/localhub start --nodelay`
# (passed as --config=DIR/nodelay_config.py; works for jupyter_server 1.23 and notebook 6.4).
#
# Why: neither notebook 6.4, jupyter_server nor JupyterHub sets TCP_NODELAY on the kernel
# websocket. The server writes each kernel message as a small frame; with Nagle's algorithm
# the second small write waits for the client's delayed ACK (40 ms on Linux), which adds
# ~40-46 ms per cell on the server->client leg (p50 ~60 ms instead of ~13 ms for `pass`).
# Go clients already set TCP_NODELAY on their side; this removes the server-side artefact
# so latency measurements reflect the kernel and the runner, not Nagle.
#
# tornado 6.2's WebSocketHandler.set_nodelay() sets the flag on the detached stream; it must
# be called once the connection is established, i.e. in open().
import logging
import os


def _localhub_patch_nodelay(cls):
    if getattr(cls, "_localhub_nodelay", False):
        return
    orig_open = cls.open

    def open(self, *args, **kwargs):
        try:
            self.set_nodelay(True)
            self.log.info("localhub: TCP_NODELAY set on kernel websocket %s", self.request.path)
        except Exception:  # never break the websocket over a latency tweak
            self.log.exception("localhub: could not set TCP_NODELAY")
        return orig_open(self, *args, **kwargs)

    open.__wrapped__ = orig_open
    cls.open = open
    cls._localhub_nodelay = True


# Patch only the server that runs (JupyterHub picks it via JUPYTERHUB_SINGLEUSER_APP).

if os.environ.get("JUPYTERHUB_SINGLEUSER_APP", "").startswith("notebook."):
    from notebook.services.kernels.handlers import ZMQChannelsHandler as _handler
else:
    from jupyter_server.services.kernels.handlers import ZMQChannelsHandler as _handler
_localhub_patch_nodelay(_handler)
logging.getLogger("localhub").debug("patched %s.open for TCP_NODELAY", _handler)
