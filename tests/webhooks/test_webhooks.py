"""Webhooks (extensions W) against the running worker, with a local receiver
that checks every delivery with the `standardwebhooks` package from PyPI (not
our own code). The worker runs with WEBHOOK_RETRY_SCHEDULE=1,1 and
WEBHOOK_TIMEOUT_SECONDS=1, so the retry schedule runs in test time.

Nothing here sleeps or polls: a test waits on the receiver's condition (a
request arrived) or, for what the consumer writes to D1 after a receiver
answered, on the consumer's log line of that attempt, which it prints once D1
records the outcome (the server's control door answers a line once printed).

    make webhooks         (a stage of `make test`)
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
from serve import kill, serve  # noqa: E402

ADMIN, ADMIN_PASSWORD = "admin@example.com", "webhooks-admin-pw"
DEADLINE = 30


def call(base, method, path, body=None, token=None, form=None):
    data = json.dumps(body).encode() if body is not None else (
        urllib.parse.urlencode(form).encode() if form else None)
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Receiver:
    """A local webhook receiver. Each path behaves as the test set it up:
    `fail` answers 500 that many times first; `hold` keeps the first request
    waiting (past the worker's timeout) until `release` is set; `meet` keeps
    the first request waiting until each of the paths it names has had one."""

    def __init__(self):
        self.lock = threading.Condition()
        self.requests = []  # (path, headers, body)
        self.fail = {}
        self.hold = {}
        self.meet = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keep-alive, as receivers in the field answer. Under HTTP/1.0
            # the server closes each connection, workerd may send the next delivery
            # on it as it closes, and that attempt fails ("Network connection
            # lost") without reaching the handler: an attempt the test did not make.
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    seen = sum(1 for r in receiver.requests if r[0] == self.path)
                    receiver.requests.append((self.path, dict(self.headers), body))
                    receiver.lock.notify_all()
                    fail = receiver.fail.get(self.path, 0) > seen
                    hold = receiver.hold.get(self.path) if seen == 0 else None
                    if seen == 0 and self.path in receiver.meet:
                        receiver.lock.wait_for(lambda: all(receiver.of(p) for p in receiver.meet[self.path]),
                                               DEADLINE)
                if hold is not None:
                    hold.wait(DEADLINE)
                self.send_response(500 if fail else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, path, count):
        """The requests to `path`, once there are `count` of them."""
        with self.lock:
            ok = self.lock.wait_for(lambda: len(self.of(path)) >= count, DEADLINE)
            assert ok, f"{path}: {len(self.of(path))} requests, not {count}"
            return self.of(path)

    def of(self, path):
        return [r for r in self.requests if r[0] == path]


class Webhooks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.chdir(ROOT)
        cls.state = tempfile.mkdtemp(prefix="users-orgs-webhooks-")
        cls.api, cls.base, cls.control = serve(cls.state, [
            "ENVIRONMENT=local", "SECRET_KEY=webhooks-secret-key-0123456789abcdef",
            "PASSWORD_HASH_ITERATIONS=1000", f"FIRST_SUPERUSER={ADMIN}",
            f"FIRST_SUPERUSER_PASSWORD={ADMIN_PASSWORD}", "WEBHOOK_RETRY_SCHEDULE=1,1",
            "WEBHOOK_TIMEOUT_SECONDS=1"], log=os.path.join(cls.state, "log"), migrate=True, control_port=0)
        cls.receiver = Receiver()
        cls.admin = cls.login(ADMIN, ADMIN_PASSWORD)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.receiver.server.shutdown()
        kill(cls.api)
        subprocess.run(["rm", "-rf", cls.state])

    @classmethod
    def login(cls, email, password):
        status, answer = call(cls.base, "POST", "/login/access-token",
                              form={"username": email, "password": password})
        assert status == 200, answer
        return answer["access_token"]

    def call(self, method, path, body=None, token=None):
        return call(self.base, method, path, body, token)

    def user(self):
        """A new user's (id, token)."""
        Webhooks.n += 1
        email = f"hooks-{Webhooks.n}-{os.getpid()}@example.com"
        status, user = self.call("POST", "/users/", {"email": email, "password": "hooks-password-1"},
                                 self.admin)
        self.assertEqual(status, 200, user)
        return user["id"], self.login(email, "hooks-password-1")

    def organization(self, token):
        Webhooks.n += 1
        status, org = self.call("POST", "/organizations/", {"name": f"hooks org {Webhooks.n}", "avatar_image": "https://cdn.example.com/a.png"}, token)
        self.assertEqual(status, 200, org)
        return org["id"]

    def endpoint(self, token, path, types, scope=None):
        status, hook = self.call("POST", (scope or "") + "/webhooks",
                                 {"url": self.receiver.url + path, "event_types": types}, token)
        self.assertEqual(status, 200, hook)
        self.assertTrue(hook["secret"].startswith("whsec_"))
        return hook

    def deliveries(self, token, hook, scope=""):
        status, page = self.call("GET", f"{scope}/webhooks/{hook['id']}/deliveries", token=token)
        self.assertEqual(status, 200, page)
        return page

    def settled(self, token, hook, scope, attempt):
        """The endpoint's delivery list once the outcome of its one delivery's
        `attempt` is recorded: the consumer writes it to D1 after the receiver
        answered, then logs it ("webhook: delivery ID attempt N delivered" or
        "... failed ..."). The list itself is final from the start: deliveries
        are written with their events."""
        [delivery] = self.deliveries(token, hook, scope)["data"]
        needle = f"webhook: delivery {delivery['id']} attempt {attempt} "
        req = urllib.request.Request(self.control + "/log", data=needle.encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=DEADLINE + 10) as r:
                r.read()
        except urllib.error.HTTPError as e:
            self.fail(f"no line {needle!r} within {DEADLINE} s ({e.code})")
        return self.deliveries(token, hook, scope)

    def verified(self, secret, request):
        _, headers, body = request
        return Webhook(secret).verify(body, headers)

    def test_an_endpoint_gets_exactly_the_types_it_asked_for_signed(self):
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        hook = self.endpoint(owner, "/types", ["organization.updated", "membership.created"], scope)
        self.assertEqual(set(hook), {"id", "organization_id", "url", "event_types", "description",
                                     "enabled", "created_at", "secret"})
        member, _ = self.user()
        self.assertEqual(self.call("POST", scope + "/members", {"user_id": member}, owner)[0], 200)
        self.assertEqual(self.call("PUT", scope, {"name": "renamed by hooks"}, owner)[0], 200)
        self.assertEqual(self.call("POST", scope + "/invitations",
                                   {"email": "invitee@example.com", "role": "member"}, owner)[0], 200)
        # The deliveries were written with their events: the list is final now.
        page = self.deliveries(owner, hook, scope)
        self.assertEqual(sorted(d["event_type"] for d in page["data"]),
                         ["membership.created", "organization.updated"])
        requests = self.receiver.wait_for("/types", 2)
        for request in requests:
            payload = self.verified(hook["secret"], request)
            headers = request[1]
            self.assertEqual(headers["webhook-id"], payload["data"]["id"])
            self.assertEqual(payload["type"], payload["data"]["type"])
            self.assertEqual(payload["data"]["organization_id"], org)
        with self.assertRaises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 43 + "=").verify(requests[0][2], requests[0][1])
        # The list never shows a secret.
        status, hooks = self.call("GET", scope + "/webhooks", token=owner)
        self.assertEqual(status, 200)
        self.assertEqual([h["id"] for h in hooks["data"]], [hook["id"]])
        self.assertNotIn("secret", hooks["data"][0])

    def test_one_event_reaches_every_endpoint_that_wants_it_each_signed_with_its_own_secret(self):
        # the change's deliveries go to the queue together (one sendBatch)
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        hooks = [self.endpoint(owner, f"/fan-{i}", types, scope)
                 for i, types in enumerate([["organization.updated", "membership.created"],
                                                ["organization.updated"], ["organization.updated"]])]
        self.assertEqual(self.call("PUT", scope, {"name": "fanned out"}, owner)[0], 200)
        ids = set()
        for i, hook in enumerate(hooks):
            [request] = self.receiver.wait_for(f"/fan-{i}", 1)
            payload = self.verified(hook["secret"], request)
            self.assertEqual(payload["type"], "organization.updated")
            ids.add(request[1]["webhook-id"])
            for other in hooks:
                if other is not hook:
                    with self.assertRaises(WebhookVerificationError):
                        self.verified(other["secret"], request)
        self.assertEqual(len(ids), 1)

    def test_a_receiver_that_fails_twice_gets_three_attempts_under_one_id(self):
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        self.receiver.fail["/flaky"] = 2
        hook = self.endpoint(owner, "/flaky", ["organization.updated"], scope)
        self.assertEqual(self.call("PUT", scope, {"description": "flaky"}, owner)[0], 200)
        requests = self.receiver.wait_for("/flaky", 3)
        self.assertEqual(len({r[1]["webhook-id"] for r in requests}), 1)
        for request in requests:
            self.verified(hook["secret"], request)
        page = self.settled(owner, hook, scope, 3)
        [delivery] = page["data"]
        self.assertEqual((delivery["status"], delivery["attempts"], delivery["last_status_code"]),
                         ("delivered", 3, 204))

    def test_in_one_batch_each_delivery_keeps_its_own_outcome(self):
        # One change's deliveries reach the consumer together: read in one round
        # trip, written in one; the failed one alone is retried.
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        self.receiver.fail["/mixed-fails"] = 1
        failing = self.endpoint(owner, "/mixed-fails", ["organization.updated"], scope)
        fine = self.endpoint(owner, "/mixed-fine", ["organization.updated"], scope)
        self.assertEqual(self.call("PUT", scope, {"description": "mixed"}, owner)[0], 200)
        self.assertEqual(len(self.receiver.wait_for("/mixed-fails", 2)), 2)
        for hook, attempts in ((failing, 2), (fine, 1)):
            page = self.settled(owner, hook, scope, attempts)
            [delivery] = page["data"]
            self.assertEqual((delivery["status"], delivery["attempts"], delivery["last_status_code"]),
                             ("delivered", attempts, 204))
        self.assertEqual(len(self.receiver.of("/mixed-fine")), 1)

    def test_the_deliveries_of_a_batch_are_sent_together(self):
        # Each receiver answers its first request only once the other's has
        # arrived: sent one after the other, the first would wait past the
        # worker's timeout (1 s here) and be tried again.
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        self.receiver.meet["/together-a"] = ["/together-b"]
        self.receiver.meet["/together-b"] = ["/together-a"]
        hooks = [self.endpoint(owner, f"/together-{x}", ["organization.updated"], scope) for x in "ab"]
        self.assertEqual(self.call("PUT", scope, {"description": "together"}, owner)[0], 200)
        for hook in hooks:
            page = self.settled(owner, hook, scope, 1)
            [delivery] = page["data"]
            self.assertEqual((delivery["status"], delivery["attempts"]), ("delivered", 1))

    def test_a_receiver_that_answers_after_the_timeout_is_sent_it_again(self):
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        release = threading.Event()
        self.receiver.hold["/slow"] = release
        self.endpoint(owner, "/slow", ["organization.updated"], scope)
        self.assertEqual(self.call("PUT", scope, {"description": "slow"}, owner)[0], 200)
        requests = self.receiver.wait_for("/slow", 2)
        release.set()
        self.assertEqual(requests[0][1]["webhook-id"], requests[1][1]["webhook-id"])

    def test_a_disabled_endpoint_gets_nothing_and_a_rotated_secret_signs(self):
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        hook = self.endpoint(owner, "/rotated", ["organization.updated"], scope)
        status, off = self.call("PATCH", f"{scope}/webhooks/{hook['id']}", {"enabled": False}, owner)
        self.assertEqual((status, off["enabled"]), (200, False))
        self.assertEqual(self.call("PUT", scope, {"description": "while off"}, owner)[0], 200)
        self.assertEqual(self.deliveries(owner, hook, scope)["data"], [])
        self.assertEqual(self.call("PATCH", f"{scope}/webhooks/{hook['id']}", {"enabled": True},
                                   owner)[0], 200)
        status, rotated = self.call("POST", f"{scope}/webhooks/{hook['id']}/rotate-secret", token=owner)
        self.assertEqual(status, 200)
        self.assertNotEqual(rotated["secret"], hook["secret"])
        self.assertEqual(self.call("PUT", scope, {"description": "on again"}, owner)[0], 200)
        [request] = self.receiver.wait_for("/rotated", 1)
        self.assertEqual(self.verified(rotated["secret"], request)["data"]["data"]["description"],
                         "on again")
        with self.assertRaises(WebhookVerificationError):
            self.verified(hook["secret"], request)

    def test_another_organizations_admin_sees_none_of_its_endpoints(self):
        _, owner = self.user()
        org = self.organization(owner)
        scope = f"/organizations/{org}"
        hook = self.endpoint(owner, "/private", ["*"], scope)
        _, stranger = self.user()
        own = self.organization(stranger)
        # Through the other organization's path: not theirs (403, as every
        # organization operation answers a non-member).
        for method, path in [("GET", "/webhooks"), ("PATCH", f"/webhooks/{hook['id']}"),
                             ("DELETE", f"/webhooks/{hook['id']}"),
                             ("GET", f"/webhooks/{hook['id']}/deliveries"),
                             ("GET", "/events")]:
            body = {} if method == "PATCH" else None
            status, answer = self.call(method, scope + path, body, stranger)
            self.assertEqual((status, answer), (403, {"detail": "Not enough permissions"}),
                             f"{method} {path}")
        # Through their own organization's path: no such endpoint there.
        for method, path in [("PATCH", f"/webhooks/{hook['id']}"), ("DELETE", f"/webhooks/{hook['id']}"),
                             ("GET", f"/webhooks/{hook['id']}/deliveries"),
                             ("POST", f"/webhooks/{hook['id']}/rotate-secret")]:
            body = {} if method == "PATCH" else None
            status, answer = self.call(method, f"/organizations/{own}" + path, body, stranger)
            self.assertEqual((status, answer), (404, {"detail": "Webhook endpoint not found"}),
                             f"{method} {path}")
        status, listed = self.call("GET", f"/organizations/{own}/webhooks", token=stranger)
        self.assertEqual((status, listed["data"]), (200, []))
        status, events = self.call("GET", f"/organizations/{own}/events", token=stranger)
        self.assertNotIn(org, {e["organization_id"] for e in events["data"]})
        # Nor do the superusers' global routes for a member.
        self.assertEqual(self.call("GET", "/webhooks", token=stranger),
                         (403, {"detail": "The user doesn't have enough privileges"}))

    def test_a_global_endpoint_hears_user_events_and_a_failed_delivery_can_be_retried(self):
        self.receiver.fail["/global"] = 3  # every attempt of the schedule, then one more
        hook = self.endpoint(self.admin, "/global", ["user.created"])
        self.assertIsNone(hook["organization_id"])
        user, _ = self.user()
        self.receiver.wait_for("/global", 3)
        page = self.settled(self.admin, hook, "", 3)
        [failed] = page["data"]
        self.assertEqual((failed["status"], failed["attempts"], failed["last_status_code"]),
                         ("failed", 3, 500))
        status, again = self.call("POST", f"/webhooks/{hook['id']}/deliveries/{failed['id']}/retry",
                                  token=self.admin)
        self.assertEqual((status, again["status"]), (200, "pending"))
        requests = self.receiver.wait_for("/global", 4)
        payload = self.verified(hook["secret"], requests[-1])
        self.assertEqual((payload["type"], payload["data"]["subject"]["id"]), ("user.created", user))
        page = self.settled(self.admin, hook, "", 4)
        self.assertEqual(page["data"][0]["attempts"], 4)
        status, gone = self.call("DELETE", f"/webhooks/{hook['id']}", token=self.admin)
        self.assertEqual((status, gone), (200, {"message": "Webhook endpoint deleted"}))


if __name__ == "__main__":
    unittest.main()
