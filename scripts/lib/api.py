"""A tiny JSON client for the measurement scripts (standard library only)."""
import json
import urllib.parse
import urllib.request


def client(base):
    def call(method, path, body=None, token=None, form=None):
        if body is not None:
            data = json.dumps(body).encode()
        elif form:
            data = urllib.parse.urlencode(form).encode()
        else:
            data = None
        req = urllib.request.Request(base + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read()), r.headers.get("Server-Timing")
    return call
