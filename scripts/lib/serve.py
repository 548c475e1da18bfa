"""Starts scripts/lib/serve.mjs and waits until it is ready (standard library only):
the soak and the benches use it."""
import json
import os
import select
import signal
import subprocess


def serve(state, env, *, port=0, control_port=None, log=subprocess.DEVNULL, timeout=60):
    """The server (in its own session), its URL and its control door's URL (None
    without one). A port of 0 is picked by the system as the socket binds; the
    server writes its URLs to a pipe once every socket listens, and the pipe
    closes empty if it dies first: nothing here polls."""
    r, w = os.pipe()
    args = ["node", "scripts/lib/serve.mjs", "--port", str(port), "--state", state, "--ready-fd", str(w)]
    if control_port is not None:
        args += ["--control-port", str(control_port)]
    proc = subprocess.Popen(args + list(env), stdout=log, stderr=log, pass_fds=(w,), start_new_session=True)
    os.close(w)
    with os.fdopen(r) as ready:
        if not select.select([ready], [], [], timeout)[0]:
            os.killpg(proc.pid, signal.SIGKILL)
            raise RuntimeError(f"the worker was not ready within {timeout} s")
        line = ready.readline()
    if not line:
        raise RuntimeError(f"the worker stopped before it was ready (exit status {proc.wait()})")
    urls = json.loads(line)
    return proc, urls["url"], urls["control"]
