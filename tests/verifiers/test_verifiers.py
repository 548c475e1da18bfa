"""Our access tokens checked by verifiers nobody here wrote (extensions K, issue 29):
the example edge Worker (`examples/edge-guard`, jose's remote JWKS, run by
wrangler's own API) and the example Python script (`examples/verify_token.py`,
PyJWT's PyJWKClient), both against the local API worker's JWKS.

The API worker runs with the development ring without `dev-b` (as after a
rotation removed it). A token it issues passes both verifiers and the worker
itself; a token that expired, one signed by the removed key, and one whose
`iss` is another issuer's fail all three. The three bad tokens are signed here
with PyJWT from the development keys (`.dev.vars.example`), so that each is
wrong in exactly one way.

    make verifiers        (a stage of `make test`)
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import jwt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
from serve import kill, serve  # noqa: E402

ADMIN, ADMIN_PASSWORD = "admin@example.com", "verifiers-admin-pw"
ISSUER = "users-orgs-api"
AVATAR = "https://cdn.example.com/avatars/logo.png"


def dev_ring():
    for line in open(os.path.join(ROOT, ".dev.vars.example")):
        if line.startswith("SIGNING_KEYS="):
            return {k["kid"]: k for k in json.loads(line.split("=", 1)[1].strip().strip("'"))}
    raise AssertionError(".dev.vars.example sets no SIGNING_KEYS")


def call(method, url, body=None, token=None, form=None):
    data = json.dumps(body).encode() if body is not None else (
        urllib.parse.urlencode(form).encode() if form else None)
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def sign(kid, **overrides):
    """A token shaped as the API issues them, signed with the development key `kid`."""
    now = int(time.time())
    claims = {"sub": Verifiers.user_id, "ver": 0, "iat": now, "exp": now + 600, "iss": ISSUER}
    claims.update(overrides)
    key = jwt.PyJWK(RING[kid])
    return jwt.encode(claims, key.key, algorithm="EdDSA", headers={"kid": kid})


RING = dev_ring()


class Verifiers(unittest.TestCase):
    user_id = None

    @classmethod
    def setUpClass(cls):
        os.chdir(ROOT)
        cls.state = tempfile.mkdtemp(prefix="users-orgs-verifiers-")
        env = {**os.environ, "CI": "true", "WRANGLER_SEND_METRICS": "false"}
        log = os.path.join(cls.state, "worker.log")
        cls.log = open(log, "a")
        ring = json.dumps([RING["dev-a"]])  # dev-b removed
        cls.api, cls.base, _ = serve(cls.state, [
            "ENVIRONMENT=local", "SECRET_KEY=verifiers-secret-key-0123456789abcdef",
            "PASSWORD_HASH_ITERATIONS=1000", f"FIRST_SUPERUSER={ADMIN}",
            f"FIRST_SUPERUSER_PASSWORD={ADMIN_PASSWORD}", f"SIGNING_KEYS={ring}"], log=log, migrate=True)
        cls.jwks = cls.base + "/.well-known/jwks.json"
        cls.guard = subprocess.Popen(["node", "examples/edge-guard/serve.mjs", cls.jwks, ISSUER],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=cls.log,
                                     env=env, start_new_session=True, text=True)
        # Its one line of JSON, once it listens. wrangler may print first (offline,
        # it warns that it cannot fetch the `Request.cf` object, at a moment of its
        # own): anything else goes to the log.
        for line in cls.guard.stdout:
            if line.startswith("{") and "url" in json.loads(line):
                cls.guard_url = json.loads(line)["url"]
                break
            cls.log.write(line)
        else:
            raise RuntimeError("the edge guard stopped before it listened: " + open(cls.log.name).read())
        status, token = call("POST", cls.base + "/api/v1/login/access-token",
                             form={"username": ADMIN, "password": ADMIN_PASSWORD})
        assert status == 200, token
        cls.login = token
        cls.user_id = jwt.decode(token["access_token"], options={"verify_signature": False})["sub"]

    @classmethod
    def tearDownClass(cls):
        cls.guard.stdin.close()
        cls.guard.wait(timeout=30)
        kill(cls.api)
        subprocess.run(["rm", "-rf", cls.state])

    def python_verifier(self, token):
        out = subprocess.run([sys.executable, "examples/verify_token.py", self.jwks, ISSUER, token],
                             capture_output=True, text=True, timeout=60)
        return out.returncode, out.stdout.strip()

    def edge_guard(self, token, path="/me"):
        return call("GET", self.guard_url + path, token=token)

    def test_a_token_the_api_issued_passes_both_verifiers(self):
        token = self.login["access_token"]
        code, out = self.python_verifier(token)
        self.assertEqual(code, 0, out)
        claims = json.loads(out)
        self.assertEqual((claims["sub"], claims["iss"]), (self.user_id, ISSUER))
        self.assertEqual(self.edge_guard(token), (200, {
            "sub": self.user_id, "kid": "dev-a", "org_id": None, "org_role": None}))

    def test_an_organization_token_opens_the_guarded_admin_route(self):
        status, org = call("POST", self.base + "/api/v1/organizations/", {"name": "Verified Org", "avatar_image": AVATAR},
                           token=self.login["access_token"])
        self.assertEqual(status, 200, org)
        status, other = call("POST", self.base + "/api/v1/organizations/", {"name": "Other Org", "avatar_image": AVATAR},
                             token=self.login["access_token"])
        self.assertEqual(status, 200, other)
        _, fresh = call("POST", self.base + "/api/v1/login/access-token",
                        form={"username": ADMIN, "password": ADMIN_PASSWORD})
        status, scoped = call("POST", self.base + "/api/v1/login/refresh",
                              {"refresh_token": fresh["refresh_token"], "organization_id": org["id"]})
        self.assertEqual(status, 200, scoped)
        token = scoped["access_token"]
        code, out = self.python_verifier(token)
        self.assertEqual(code, 0, out)
        self.assertEqual((json.loads(out)["org_id"], json.loads(out)["org_role"]), (org["id"], "owner"))
        self.assertEqual(self.edge_guard(token, f"/orgs/{org['id']}/admin"), (200, {
            "sub": self.user_id, "kid": "dev-a", "org_id": org["id"], "org_role": "owner"}))
        # The same token, another organization: the guard reads org_id and refuses.
        status, body = self.edge_guard(token, f"/orgs/{other['id']}/admin")
        self.assertEqual((status, body["detail"]), (403, "Not enough permissions"))
        # A token without organization claims opens no organization's route.
        status, body = self.edge_guard(self.login["access_token"], f"/orgs/{org['id']}/admin")
        self.assertEqual((status, body["detail"]), (403, "Not enough permissions"))

    def refused_everywhere(self, token, jose_code, pyjwt_error):
        code, out = self.python_verifier(token)
        self.assertEqual(code, 1, out)
        self.assertIn(pyjwt_error, out)
        self.assertEqual(self.edge_guard(token), (403, {
            "detail": "Could not validate credentials", "reason": jose_code}))
        # And the API itself agrees.
        self.assertEqual(call("POST", self.base + "/api/v1/login/test-token", token=token),
                         (403, {"detail": "Could not validate credentials"}))

    def test_the_controls_signed_here_pass(self):
        # The three refusals below differ from this token in one claim or key each.
        token = sign("dev-a")
        self.assertEqual(self.python_verifier(token)[0], 0)
        self.assertEqual(self.edge_guard(token)[0], 200)
        self.assertEqual(call("POST", self.base + "/api/v1/login/test-token", token=token)[0], 200)

    def test_an_expired_token_is_refused(self):
        now = int(time.time())
        self.refused_everywhere(sign("dev-a", iat=now - 700, exp=now - 100),
                                "ERR_JWT_EXPIRED", "ExpiredSignatureError")

    def test_a_token_signed_by_a_removed_key_is_refused(self):
        self.refused_everywhere(sign("dev-b"), "ERR_JWKS_NO_MATCHING_KEY", "PyJWKClientError")

    def test_a_token_of_another_issuer_is_refused(self):
        self.refused_everywhere(sign("dev-a", iss="someone-else"),
                                "ERR_JWT_CLAIM_VALIDATION_FAILED", "InvalidIssuerError")

    def test_the_jwks_never_holds_a_private_key(self):
        status, jwks = call("GET", self.jwks)
        self.assertEqual(status, 200)
        public = {k: v for k, v in RING["dev-a"].items() if k != "d"}
        self.assertEqual(jwks, {"keys": [{**public, "alg": "EdDSA", "use": "sig"}]})


if __name__ == "__main__":
    unittest.main()
