"""Backups that restore (issue 33, item 3): a worker's local D1 is filled through
the API (users, organizations, members, invitations, sessions, an API key, a user
with MFA), the worker stops (its queue would go on changing the outbox: the
comparison needs the database as it was backed up), `make backup` exports it,
`make restore` loads the
file into a fresh D1, and then every ordinary table holds the same rows (rowids
included), search finds what it found, and a second worker on the restored D1
serves the same answers: the same logins, sessions and keys.

    make ops-check        (a stage of `make test`)
"""
import glob
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from serve import kill, serve  # noqa: E402
from backup import database_file  # noqa: E402
from api import client  # noqa: E402

ADMIN, ADMIN_PASSWORD = "admin@example.com", "backup-admin-password"
ENV = ["ENVIRONMENT=local", "SECRET_KEY=backup-test-secret-key-0123456789", "PASSWORD_HASH_ITERATIONS=1000",
       f"FIRST_SUPERUSER={ADMIN}", f"FIRST_SUPERUSER_PASSWORD={ADMIN_PASSWORD}"]


def call(base, method, path, body=None, token=None, form=None):
    """The answer's body (`scripts/lib/api.py`'s client: an error status raises)."""
    return client(base)(method, path, body, token, form)[0]


def ordinary_tables(db):
    """The tables a backup carries: not SQLite's or D1's own, not FTS5's shadows."""
    rows = db.execute("select name, sql from sqlite_master where type = 'table'").fetchall()
    virtual = [n for n, sql in rows if sql.lower().startswith("create virtual")]
    return sorted(n for n, _ in rows if n not in virtual and not n.startswith(("sqlite_", "_cf_"))
                  and not any(n.startswith(v + "_") for v in virtual))


def contents(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for t in ordinary_tables(db):
        sql = db.execute("select sql from sqlite_master where name = ?", (t,)).fetchone()[0]
        key = "rowid, *" if "without rowid" not in sql.lower() else "*"
        out[t] = db.execute(f'select {key} from "{t}" order by 1, 2').fetchall()
    db.close()
    return out


class BackupAndRestore(unittest.TestCase):
    def setUp(self):
        os.chdir(ROOT)
        self.dirs = [tempfile.mkdtemp(prefix="users-orgs-backup-") for _ in range(3)]
        self.source, self.restored, self.files = self.dirs
        subprocess.run(["node_modules/.bin/wrangler", "d1", "migrations", "apply", "DB", "--local",
                        "--persist-to", self.source], check=True, capture_output=True, env={**os.environ, "CI": "true"})
        self.workers = []

    def tearDown(self):
        for proc in self.workers:
            if proc.returncode is None:
                kill(proc)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)

    def start(self, state):
        proc, base, _ = serve(state, ENV, log=os.path.join(state, "worker.log"))
        self.workers.append(proc)
        return base

    def seed(self, base):
        """Rows in every kind of table, through the API; what the checks read back."""
        admin = call(base, "POST", "/api/v1/login/access-token", form={"username": ADMIN, "password": ADMIN_PASSWORD})
        token = admin["access_token"]
        names = ["Zebulon Quartzfeld", "Ysolde Brightwater", "Xavier Quenneville"]
        users = [call(base, "POST", "/api/v1/users/", {"email": f"u{i}@example.com", "password": "backup-password",
                                                          "full_name": n}, token) for i, n in enumerate(names)]
        org = call(base, "POST", "/api/v1/organizations/",
                      {"name": "Quartzfeld Holdings", "avatar_image": "https://cdn.example.com/q.png"}, token)
        call(base, "POST", f"/api/v1/organizations/{org['id']}/members", {"user_id": users[0]["id"]}, token)
        call(base, "POST", f"/api/v1/organizations/{org['id']}/invitations", {"email": "invitee@example.com"}, token)
        key = call(base, "POST", f"/api/v1/organizations/{org['id']}/api-keys",
                      {"name": "backup", "scopes": ["organization:read"]}, token)
        session = call(base, "POST", "/api/v1/login/access-token",
                          form={"username": "u1@example.com", "password": "backup-password"})
        mfa_user = call(base, "POST", "/api/v1/login/access-token",
                           form={"username": "u2@example.com", "password": "backup-password"})
        call(base, "POST", "/api/v1/users/me/mfa/totp", None, mfa_user["access_token"])
        return {"token": token, "org": org, "key": key["key"], "refresh": session["refresh_token"]}

    def reads(self, base, seeded):
        """What a client sees: searches, lists, the organization by key."""
        token = seeded["token"]
        return [
            call(base, "GET", "/api/v1/users/?search=quartz", None, token),
            call(base, "GET", "/api/v1/users/?search=bright", None, token)["count"],
            call(base, "GET", "/api/v1/organizations/?search=holdings", None, token),
            call(base, "GET", f"/api/v1/organizations/{seeded['org']['id']}/members", None, seeded["key"]),
            # one and two characters: the contentless gram indexes, refilled from their views
            call(base, "GET", "/api/v1/users/?search=Qu", None, token),
            call(base, "GET", "/api/v1/organizations/?search=h", None, token),
        ]

    def test_a_backup_restores_every_row_and_search_into_a_fresh_database(self):
        base = self.start(self.source)
        seeded = self.seed(base)
        before = self.reads(base, seeded)
        self.assertEqual(before[0]["count"], 1)
        self.assertEqual(before[1], 1)
        self.assertEqual(before[2]["count"], 1)
        self.assertEqual(before[4]["count"], 2)
        self.assertEqual(before[5]["count"], 1)
        users = call(base, "GET", "/api/v1/users/?limit=1", None, seeded["token"])["count"]
        stopped = self.workers.pop()
        kill(stopped, signal.SIGTERM, timeout=30)
        out = os.path.join(self.files, "backup.sql")
        make = ["make", "--no-print-directory"]
        subprocess.run(make + ["backup", f"DEV_STATE={self.source}", f"FILE={out}"], check=True, capture_output=True)
        subprocess.run(make + ["restore", f"DEV_STATE={self.restored}", f"FILE={out}"], check=True, capture_output=True)

        original, copy = contents(database_file(self.source)), contents(database_file(self.restored))
        self.assertEqual(sorted(original), sorted(copy))
        for table in ["users", "organizations", "organization_members", "invitations", "sessions",
                      "refresh_tokens", "api_keys", "mfa_totp", "counters", "d1_migrations"]:
            self.assertIn(table, original)
            self.assertTrue(original[table], f"{table} was seeded")
        for table, rows in original.items():
            self.assertEqual(copy[table], rows, table)

        # Nothing is left to migrate, and a restore into a folder that has a database is refused.
        pending = subprocess.run(["node_modules/.bin/wrangler", "d1", "migrations", "list", "DB", "--local",
                                  "--persist-to", self.restored], capture_output=True, text=True,
                                 env={**os.environ, "CI": "true"})
        self.assertIn("No migrations to apply", pending.stdout + pending.stderr)
        again = subprocess.run(make + ["restore", f"DEV_STATE={self.restored}", f"FILE={out}"], capture_output=True, text=True)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("holds a database already", again.stderr)

        # A worker on the restored database answers as the first did.
        restored = self.start(self.restored)
        self.assertEqual(self.reads(restored, seeded), before)
        refreshed = call(restored, "POST", "/api/v1/login/refresh", {"refresh_token": seeded["refresh"]})
        self.assertEqual(refreshed["token_type"], "bearer")
        # The trigger-kept counter did not count the restored rows twice.
        self.assertEqual(call(restored, "GET", "/api/v1/users/?limit=1", None, seeded["token"])["count"], users)


if __name__ == "__main__":
    unittest.main()
