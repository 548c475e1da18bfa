"""The code in README.md and docs/ runs as written (issue 27, item 4), so the pages
cannot drift from the service:

- README's first command, `make dev`, is started as a reader would start it (on a
  free port and a scratch local D1): it must print the credentials, serve, and
  those credentials must log in. (Its second, `make test`, is what CI runs.)
- Every ```sh block is run by bash against that server: the examples name the
  default address `http://127.0.0.1:8787` and folders (`.wrangler/`, `backups/`), which
  this swaps for the server's and its own; `make` and `npx` are the project's.
- A block marked ```sh account needs a Cloudflare account (deploying, secrets):
  it is checked by bash for syntax and every `npx wrangler ...` in it must be a
  command this wrangler knows (`--help` of exactly those words succeeds); the rest
  of the block runs for real (`make keygen`, for example).

    make docs-check       (a stage of `make test`)
"""
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import unittest
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEFAULT = "http://127.0.0.1:8787"
BLOCK = re.compile(r"^```sh( account)?\n(.*?)^```$", re.S | re.M)


def blocks(account):
    for page in PAGES:
        for m in BLOCK.finditer(page.read_text()):
            if bool(m.group(1)) == account and page.name != "README.md":
                yield page.relative_to(ROOT), m.group(2)


def json_values(text):
    """The JSON values printed one after another (curl adds no newline)."""
    decoder, values, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        value, i = decoder.raw_decode(text, i)
        values.append(value)
    return values


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, token=None, form=None):
    headers = {"Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = form.encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, json.loads(resp.read() or b"null")


class Docs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state = tempfile.mkdtemp()
        cls.port = free_port()
        cls.base = f"http://127.0.0.1:{cls.port}"
        cls.proc = subprocess.Popen(
            ["make", "--no-print-directory", "dev", f"PORT={cls.port}", f"DEV_STATE={cls.state}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, env={**os.environ, "CI": "true", "NO_COLOR": "1"})
        cls.printed = []
        # Read what `make dev` prints until wrangler says it is ready (it prints
        # "Ready on <url>" once the socket listens); the pipe ends if it dies first.
        for line in cls.proc.stdout:
            cls.printed.append(line)
            if "Ready on" in line:
                break
        else:
            raise RuntimeError("make dev stopped before it was ready:\n" + "".join(cls.printed))
        # The server goes on printing (a line per request): read it all, so that
        # a full pipe never stops it.
        cls.reader = threading.Thread(target=lambda: cls.printed.extend(cls.proc.stdout), daemon=True)
        cls.reader.start()

    @classmethod
    def tearDownClass(cls):
        os.killpg(cls.proc.pid, signal.SIGTERM)
        cls.proc.wait(timeout=30)
        # The process group is gone, so the pipe ends and the reader with it.
        cls.reader.join(timeout=30)
        cls.proc.stdout.close()
        shutil.rmtree(cls.state, ignore_errors=True)

    def login(self):
        printed = "".join(self.printed)
        m = re.search(r"Superuser:\s+(\S+) / (\S+)", printed)
        self.assertIsNotNone(m, printed)
        form = f"username={urllib.parse.quote(m.group(1))}&password={urllib.parse.quote(m.group(2))}"
        status, body = call("POST", f"{self.base}/api/v1/login/access-token", form=form)
        self.assertEqual(status, 200)
        return body["access_token"]

    def test_make_dev_prints_its_address_and_credentials_that_log_in(self):
        printed = "".join(self.printed)
        self.assertIn(f"API:         {self.base}/api/v1/", printed)
        token = self.login()
        status, me = call("GET", f"{self.base}/api/v1/users/me", token=token)
        self.assertEqual((status, me["is_superuser"]), (200, True))

    def test_every_sh_block_runs_against_the_server(self):
        token = self.login()
        ran = 0
        for page, code in blocks(account=False):
            with self.subTest(page=str(page)), tempfile.TemporaryDirectory() as work:
                shutil.copy(ROOT / "tests" / "support" / "avatar.png", pathlib.Path(work) / "logo.png")
                env = {**os.environ, "TOKEN": token, "CI": "true"}
                # The examples name the defaults: this server's address and
                # folders are swapped in, and `make` and `npx` are the project's.
                for default, own in [(DEFAULT, self.base), (".wrangler/state", self.state),
                                     (".wrangler/", f"{work}/wrangler-"), ("backups/", f"{work}/backups/")]:
                    code = code.replace(default, own)
                shim = (
                    f'make() {{ command make -C "{ROOT}" --no-print-directory DEV_STATE="{self.state}" '
                    f'BACKUP_DIR="{work}/backups" "$@"; }}\n'
                    f'npx() {{ local bin="$1"; shift; (cd "{ROOT}" && "{ROOT}/node_modules/.bin/$bin" "$@"); }}\n'
                )
                run = subprocess.run(["bash", "-euo", "pipefail", "-c", shim + code],
                                     cwd=work, env=env, capture_output=True, text=True, timeout=300)
                self.assertEqual(run.returncode, 0, f"{page}:\n{code}\n{run.stdout}\n{run.stderr}")
                # What an API example prints is JSON answers, none of them an error.
                if run.stdout.lstrip().startswith(("{", "[")):
                    for answer in json_values(run.stdout):
                        self.assertNotIn("detail", answer, f"{page}: {answer}")
                ran += 1
        self.assertGreater(ran, 2)

    def test_every_account_block_names_real_commands(self):
        checked = 0
        pages = {}
        for page, code in blocks(account=True):
            pages.setdefault(page, []).append(code)
        for page, codes in pages.items():
            # A page's blocks run in order in one folder (a key made in one is
            # used in the next), as a reader goes through the runbook.
            with tempfile.TemporaryDirectory() as work:
                for code in codes:
                    with self.subTest(page=str(page), block=code.splitlines()[0]):
                        self.account_block(page, code, work)
                        checked += 1
        self.assertGreater(checked, 0)

    def account_block(self, page, code, work):
        syntax = subprocess.run(["bash", "-n", "-c", code], capture_output=True, text=True)
        self.assertEqual(syntax.returncode, 0, f"{page}: {syntax.stderr}")
        # `npx wrangler ...` needs the account: it is written down (its standard
        # input read) and checked below; `make` runs here. The placeholders a
        # reader fills in (`$NEW`, `$REQUEST_ID`) are left empty.
        calls = pathlib.Path(work) / "calls"
        calls.write_text("")
        shim = (
            f'npx() {{ [ "$1" = wrangler ] || return 1; shift; '
            f'printf "%s\\0" "$@" >>"{calls}"; echo >>"{calls}"; cat >/dev/null; }}\n'
            f'make() {{ command make -C "{ROOT}" --no-print-directory "$@"; }}\n'
        )
        run = subprocess.run(["bash", "-eo", "pipefail", "-c", shim + code], cwd=work, stdin=subprocess.DEVNULL,
                             env={**os.environ, "CI": "true"}, capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, f"{page}:\n{code}\n{run.stderr}")
        for line in calls.read_text().splitlines():
            args = line.split("\0")[:-1]
            self.assertIsNone(unknown_command(args), f"{page}: npx wrangler {' '.join(args)}")


def unknown_command(args):
    """Why `wrangler args` is not a command this wrangler has, or None. Its
    `--help` names the command it resolved, then its positionals
    (`wrangler d1 create <name>`): the words given before the first flag must be
    that command's words and at most that many positionals."""
    words = []
    for a in args:
        if a.startswith("-"):
            break
        words.append(a)
    out = subprocess.run([str(ROOT / "node_modules/.bin/wrangler"), *words, "--help"], capture_output=True,
                         text=True, env={**os.environ, "CI": "true", "NO_COLOR": "1"}, timeout=60)
    usage = (out.stdout.strip().splitlines() or [""])[0].split()
    if out.returncode != 0 or usage[:1] != ["wrangler"]:
        return f"wrangler {' '.join(words)} --help failed"
    command = [u for u in usage[1:] if u[0] not in "<["]
    positionals = len(usage) - 1 - len(command)
    if any(u.endswith(("..]", "..>")) for u in usage):  # `[version-specs..]`: any number
        positionals = len(words)
    if words[:len(command)] != command or len(words) - len(command) > positionals:
        return f"wrangler resolves it to `{' '.join(usage)}`"
    return None

if __name__ == "__main__":
    unittest.main()
