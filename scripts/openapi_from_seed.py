#!/usr/bin/env python3
"""How openapi.json was derived from the seed. Usage: openapi_from_seed.py SEED [PATH_NOT_IMPLEMENTED ...]

openapi.json is the committed source of truth (served verbatim, checked by tests);
this script shows the transformation applied to ../shared/spec/seed-openapi.json:
operations not implemented yet are dropped, implemented extras are added, and the
error statuses each operation answers are documented with the HTTPError schema.
"""
import json, sys

seed_path = sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/seed-openapi.json"
doc = json.load(open(seed_path))

def strip_inferred(node):
    if isinstance(node, dict):
        node.pop("x-inferred", None)
        for v in node.values():
            strip_inferred(v)
    elif isinstance(node, list):
        for v in node:
            strip_inferred(v)

strip_inferred(doc)
doc["info"]["title"] = "Users & Organizations API"
doc["servers"] = [{"url": "/"}]
err = {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}}}
doc["components"]["schemas"]["HTTPError"] = {
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "type": "object", "required": ["detail"], "title": "HTTPError",
}
doc["components"]["schemas"]["Token"]["properties"]["expires_in"] = {"type": "integer", "title": "Expires In"}
doc["components"]["schemas"]["Token"]["required"] = ["access_token", "token_type", "expires_in"]

paths = doc["paths"]
paths["/api/v1/users/me"]["delete"] = {
    "tags": ["users"], "summary": "Delete User Me", "description": "Delete own user.",
    "operationId": "users-delete_user_me",
    "responses": {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}},
    "security": [{"OAuth2PasswordBearer": []}],
}
paths["/api/v1/utils/health-check/"] = {"get": {
    "tags": ["utils"], "summary": "Health Check", "description": "`true` when the service and its database answer.",
    "operationId": "utils-health_check",
    "responses": {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"type": "boolean", "title": "Response Utils-Health Check"}}}}},
}}
paths["/api/v1/openapi.json"] = {"get": {
    "tags": ["utils"], "summary": "Openapi Json", "description": "This document.",
    "operationId": "utils-openapi_json",
    "responses": {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"type": "object"}}}}},
}}

descriptions = {
    400: "Bad request: a rule of the operation refused it", 401: "Not authenticated",
    403: "Forbidden: invalid credentials or not enough privileges", 404: "Not found",
    409: "Conflict", 413: "Request body too large", 422: "Validation Error",
    429: "Too many attempts: retry after the number of seconds in Retry-After",
}
not_yet = set(sys.argv[2:])
implemented = [p for p in paths if p not in not_yet]
doc["paths"] = {p: paths[p] for p in paths if p in implemented}
for path, ops in doc["paths"].items():
    for method, op in ops.items():
        responses = op["responses"]
        secured = "security" in op
        codes = set()
        if secured:
            codes |= {400, 401, 403, 404}
        if "requestBody" in op:
            codes |= {413, 422}
        if "parameters" in op:
            codes.add(422)
        if path.startswith("/api/v1/users") and method in ("post", "patch"):
            codes |= {400, 409}
        if path.startswith("/api/v1/users/") and method == "delete":
            codes.add(409)
        if path == "/api/v1/organizations/{organization_id}/members" and method == "post":
            codes.add(409)
        if path == "/api/v1/login/access-token":
            codes |= {400, 422, 429}
        if path == "/api/v1/users/signup":
            codes.add(429)
        for code in sorted(codes):
            key = str(code)
            if code == 422:
                responses.setdefault(key, {"description": "Validation Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}})
            elif key not in responses:
                responses[key] = dict(err, description=descriptions[code])
json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
print()
