#!/usr/bin/env bash
# A local SMTP server that catches the worker's e-mail, as the origin's local
# setup does with mailcatcher: aiosmtpd (PyPI), installed once per machine
# beside the other tools.
#
#   scripts/mail_catcher.sh [PORT] [MAILDIR]
#
# Without MAILDIR every message is printed (make mail); with it, each is stored
# as a file under MAILDIR/new (the tests read them there). PORT 0 lets the
# system choose as the socket binds (no race with other servers for a port
# probed free beforehand). Once it listens, it prints `listening PORT` on stdout.
# With MAILDIR it also stops when its stdin ends, and removes MAILDIR unless
# KEEP_TEST_STATE is set (the tests hold a pipe to it open while they need it,
# so it ends with them however they end).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pytool.sh
pytool aiosmtpd 1.4.6
PORT=${1:-1025}
[ -z "${2:-}" ] || mkdir -p "$2/tmp" "$2/new" "$2/cur"
# The server's code goes in by -c: its stdin stays the caller's.
read -r -d '' SERVER <<'PY' || true
import asyncio, os, shutil, socket, sys, threading
from aiosmtpd.handlers import Debugging, Mailbox
from aiosmtpd.smtp import SMTP

port, maildir = int(sys.argv[1]), sys.argv[2]
handler = Mailbox(maildir) if maildir else Debugging(sys.stderr)


def stop_at_end_of_input():
    sys.stdin.read()
    if not os.environ.get("KEEP_TEST_STATE"):
        shutil.rmtree(maildir, ignore_errors=True)
    os._exit(0)


async def main():
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(handler), sock=sock)
    print(f"listening {sock.getsockname()[1]}", flush=True)
    if maildir:
        threading.Thread(target=stop_at_end_of_input, daemon=True).start()
    else:
        print(f"mail: catching SMTP on 127.0.0.1:{sock.getsockname()[1]}; every message is printed here",
              file=sys.stderr, flush=True)
    await server.serve_forever()


asyncio.run(main())
PY
exec "$PYTOOL/bin/python" -c "$SERVER" "$PORT" "${2:-}"
