#!/usr/bin/env bash
# A local SMTP server that catches the worker's e-mail, as the origin's local
# setup does with mailcatcher: aiosmtpd (PyPI), installed once per machine
# beside the other tools.
#
#   scripts/mail_catcher.sh [PORT] [MAILDIR]
#
# Without MAILDIR every message is printed (make mail); with it, each is stored
# as a file under MAILDIR/new (the tests read them there).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pytool.sh
pytool aiosmtpd 1.4.6
VENV=$PYTOOL
PORT=${1:-1025}
if [ -n "${2:-}" ]; then
  mkdir -p "$2/tmp" "$2/new" "$2/cur"
  exec "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$PORT" -c aiosmtpd.handlers.Mailbox "$2"
fi
echo "mail: catching SMTP on 127.0.0.1:$PORT; every message is printed here" >&2
exec "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$PORT"
