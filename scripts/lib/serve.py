"""The Python launcher of scripts/lib/serve.mjs (standard library only): the soak,
the benches and the ops tests import `serve`; the shell stages (fuzz, browser,
clients) run under it as a command:

    python3 scripts/lib/serve.py -- COMMAND [ARGS...]

starts a worker on a fresh local D1 (migrations applied, the first superuser
configured), runs COMMAND with BASE, PORT, CONTROL_PORT, STATE (its folder; the
worker's log is STATE/log), SUPERUSER and SUPERUSER_PASSWORD in its environment,
then stops the worker, removes STATE and exits with COMMAND's status. The
first superuser is made (by the first routed request) before COMMAND starts.
PASSWORD_HASH_ITERATIONS sets the work factor (default 600000); USERS_ORGS_SERVED=1
tells COMMAND it runs under this launcher."""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request


def serve(state, env, *, port=0, control_port=None, log=os.devnull, migrate=False, remove_state=False, offline=False,
          no_consumers=False, timeout=120):
    """The server (in its own session), its URL and its control door's URL (None
    without one). A port of 0 is picked by the system as the socket binds. The
    server writes its URLs as one line to its standard output once every socket
    listens, and closes it empty if it dies first: nothing here polls. It stops
    when its standard input (a pipe held by the returned process object) closes:
    when this process ends, however it ends. `log`: a path the worker's output is
    appended to (by default, nowhere). `offline`: the worker's outbound fetches are
    answered 502 by the server (serve.mjs --offline). `no_consumers`: the queues
    take messages and nothing consumes them (serve.mjs --no-consumers)."""
    args = ["node", "scripts/lib/serve.mjs", "--port", str(port), "--state", state]
    if control_port is not None:
        args += ["--control-port", str(control_port)]
    if log is not None:
        args += ["--log", log]
    if migrate:
        args.append("--migrate")
    if remove_state:
        args.append("--remove-state")
    if offline:
        args.append("--offline")
    if no_consumers:
        args.append("--no-consumers")
    proc = subprocess.Popen(args + list(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    if not select.select([proc.stdout], [], [], timeout)[0]:
        os.killpg(proc.pid, signal.SIGKILL)
        raise RuntimeError(f"the worker was not ready within {timeout} s")
    line = proc.stdout.readline()
    proc.stdout.close()  # the server writes nothing more there
    if not line:
        raise RuntimeError(f"the worker stopped before it was ready (exit status {proc.wait()})")
    urls = json.loads(line)
    return proc, urls["url"], urls["control"]


def stop(proc):
    """Closes the server's standard input and waits until it has stopped."""
    proc.stdin.close()
    proc.wait()


def kill(proc, sig=signal.SIGKILL, timeout=60):
    """Sends `sig` to the server's whole process group (workerd with it), waits
    for it, and closes this end of its standard input."""
    os.killpg(proc.pid, sig)
    proc.wait(timeout=timeout)
    proc.stdin.close()


def main(command):
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    state = tempfile.mkdtemp(prefix="users-orgs-serve-")
    superuser, password = "admin@example.com", "measure-password"
    env = ["SECRET_KEY=measure-secret", "ENVIRONMENT=local",
           f"PASSWORD_HASH_ITERATIONS={os.environ.get('PASSWORD_HASH_ITERATIONS', '600000')}",
           f"FIRST_SUPERUSER={superuser}", f"FIRST_SUPERUSER_PASSWORD={password}"]
    try:
        proc, base, control = serve(state, env, control_port=0, log=os.path.join(state, "log"),
                                    migrate=True, remove_state=True,
                                    offline=os.environ.get("SERVE_OFFLINE") == "1")
    except RuntimeError as e:
        log = os.path.join(state, "log")
        said = open(log).read() if os.path.exists(log) else ""
        shutil.rmtree(state, ignore_errors=True)  # a failed server keeps it for its log
        sys.exit(f"serve: {e}:\n" + said)
    port, control_port = base.rsplit(":", 1)[1], control.rsplit(":", 1)[1]
    try:
        urllib.request.urlopen(base + "/api/v1/utils/health-check/", timeout=60).read()
        code = subprocess.call(command, env={**os.environ, "BASE": base, "PORT": port, "CONTROL_PORT": control_port,
                                             "STATE": state, "SUPERUSER": superuser,
                                             "SUPERUSER_PASSWORD": password,
                                             "USERS_ORGS_SERVED": "1"})
    finally:
        stop(proc)
    sys.exit(code)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--"] or len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[2:])
