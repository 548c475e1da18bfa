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
doc["components"]["schemas"]["Token"]["properties"]["refresh_token"] = {"type": "string", "title": "Refresh Token"}
doc["components"]["schemas"]["Token"]["required"] = ["access_token", "token_type", "refresh_token", "expires_in"]

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
# E-mail: recovery, reset, verification (extensions.md section R).
schemas = doc["components"]["schemas"]
schemas["UserPublic"]["properties"]["email_verified"] = {"type": "boolean", "title": "Email Verified"}
schemas["NewPassword"] = {
    "properties": {"token": {"type": "string", "maxLength": 512, "title": "Token"},
                   "new_password": {"type": "string", "maxLength": 40, "minLength": 8, "title": "New Password"}},
    "type": "object", "required": ["token", "new_password"], "title": "NewPassword",
}
schemas["VerifyEmail"] = {
    "properties": {"token": {"type": "string", "maxLength": 512, "title": "Token"}},
    "type": "object", "required": ["token"], "title": "VerifyEmail",
}
message = {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}}
email_param = [{"name": "email", "in": "path", "required": True, "schema": {"type": "string", "title": "Email"}}]
bearer = [{"OAuth2PasswordBearer": []}]
paths["/api/v1/password-recovery/{email}"] = {"post": {
    "tags": ["login"], "summary": "Recover Password",
    "description": "Send a password recovery link to the address if it has an active account. The answer is the same either way.",
    "operationId": "login-recover_password", "parameters": email_param, "responses": dict(message)}}
paths["/api/v1/reset-password/"] = {"post": {
    "tags": ["login"], "summary": "Reset Password",
    "description": "Set a new password with a recovery token. A token works once; every token issued before stops working.",
    "operationId": "login-reset_password",
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPassword"}}}, "required": True},
    "responses": dict(message)}}
paths["/api/v1/password-recovery-html-content/{email}"] = {"post": {
    "tags": ["login"], "summary": "Recover Password Html Content",
    "description": "The HTML of the password recovery e-mail (superusers only).",
    "operationId": "login-recover_password_html_content", "parameters": email_param,
    "responses": {"200": {"description": "Successful Response", "content": {"text/html": {"schema": {"type": "string"}}}}},
    "security": bearer}}
paths["/api/v1/users/me/verify-email"] = {"post": {
    "tags": ["users"], "summary": "Send Verification Email",
    "description": "Send another verification link for the caller's address.",
    "operationId": "users-send_verification_email", "responses": dict(message), "security": bearer}}
paths["/api/v1/verify-email/"] = {"post": {
    "tags": ["login"], "summary": "Verify Email",
    "description": "Confirm an address with its verification token (once).",
    "operationId": "login-verify_email",
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyEmail"}}}, "required": True},
    "responses": dict(message)}}

# Sessions (extensions.md section S).
schemas["RefreshRequest"] = {
    "properties": {"refresh_token": {"type": "string", "maxLength": 512, "title": "Refresh Token"}},
    "type": "object", "required": ["refresh_token"], "title": "RefreshRequest",
}
nullable = lambda t, title: {"anyOf": [{"type": t}, {"type": "null"}], "title": title}
schemas["SessionPublic"] = {
    "properties": {
        "id": {"type": "string", "format": "uuid", "title": "Id"},
        "created_at": {"type": "string", "format": "date-time", "title": "Created At"},
        "last_used_at": {"type": "string", "format": "date-time", "title": "Last Used At"},
        "expires_at": {"type": "string", "format": "date-time", "title": "Expires At"},
        "user_agent": nullable("string", "User Agent"),
        "ip_address": nullable("string", "Ip Address"),
        "current": {"type": "boolean", "title": "Current"},
    },
    "type": "object",
    "required": ["id", "created_at", "last_used_at", "expires_at", "user_agent", "ip_address", "current"],
    "title": "SessionPublic",
}
schemas["SessionsPublic"] = {
    "properties": {"data": {"items": {"$ref": "#/components/schemas/SessionPublic"}, "type": "array", "title": "Data"},
                   "count": {"type": "integer", "title": "Count"}},
    "type": "object", "required": ["data", "count"], "title": "SessionsPublic",
}
paging = [
    {"name": "skip", "in": "query", "required": False, "schema": {"type": "integer", "default": 0, "title": "Skip"}},
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "default": 100, "title": "Limit"}},
]
token_200 = {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}}}
paths["/api/v1/login/refresh"] = {"post": {
    "tags": ["login"], "summary": "Refresh",
    "description": "A new access token and a new refresh token for a live session (rotation). A refresh token used before ends its session.",
    "operationId": "login-refresh",
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshRequest"}}}, "required": True},
    "responses": dict(token_200)}}
paths["/api/v1/logout"] = {"post": {
    "tags": ["login"], "summary": "Logout", "description": "End the session the token belongs to.",
    "operationId": "login-logout", "responses": dict(message), "security": bearer}}
paths["/api/v1/users/me/sessions"] = {
    "get": {"tags": ["users"], "summary": "Read Sessions",
            "description": "The caller's live sessions, newest first; `current` marks the one the token belongs to.",
            "operationId": "users-read_sessions", "parameters": paging, "security": bearer,
            "responses": {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionsPublic"}}}}}},
    "delete": {"tags": ["users"], "summary": "Revoke Other Sessions",
               "description": "End every session of the caller but the current one.",
               "operationId": "users-revoke_other_sessions", "responses": dict(message), "security": bearer},
}
paths["/api/v1/users/me/sessions/{session_id}"] = {"delete": {
    "tags": ["users"], "summary": "Revoke Session", "description": "End one of the caller's sessions.",
    "operationId": "users-revoke_session",
    "parameters": [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid", "title": "Session Id"}}],
    "responses": dict(message), "security": bearer}}
paths["/api/v1/users/{user_id}/sessions"] = {"delete": {
    "tags": ["users"], "summary": "Revoke User Sessions", "description": "End every session of a user (superusers only).",
    "operationId": "users-revoke_user_sessions",
    "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid", "title": "User Id"}}],
    "responses": dict(message), "security": bearer}}

# Roles and invitations (extensions.md section I).
role_enum = {"type": "string", "enum": ["admin", "member"], "title": "Role"}
schemas["OrganizationMemberPublic"]["properties"]["role"] = {"type": "string", "enum": ["owner", "admin", "member"], "title": "Role"}
schemas["MemberRoleUpdate"] = {"properties": {"role": role_enum}, "type": "object", "required": ["role"], "title": "MemberRoleUpdate"}
schemas["InvitationCreate"] = {
    "properties": {"email": {"type": "string", "format": "email", "maxLength": 255, "title": "Email"},
                   "role": dict(role_enum, default="member")},
    "type": "object", "required": ["email"], "title": "InvitationCreate",
}
invitation_props = {
    "id": {"type": "string", "format": "uuid", "title": "Id"},
    "organization_id": {"type": "string", "format": "uuid", "title": "Organization Id"},
    "email": {"type": "string", "title": "Email"},
    "role": role_enum,
    "status": {"type": "string", "enum": ["pending", "accepted", "declined", "revoked", "expired"], "title": "Status"},
    "invited_by_id": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}], "title": "Invited By Id"},
    "created_at": {"type": "string", "format": "date-time", "title": "Created At"},
    "expires_at": {"type": "string", "format": "date-time", "title": "Expires At"},
}
schemas["InvitationPublic"] = {"properties": invitation_props, "type": "object", "required": list(invitation_props), "title": "InvitationPublic"}
schemas["InvitationWithToken"] = {
    "properties": dict(invitation_props, token={"type": "string", "title": "Token"}),
    "type": "object", "required": list(invitation_props) + ["token"], "title": "InvitationWithToken",
}
schemas["InvitationsPublic"] = {
    "properties": {"data": {"items": {"$ref": "#/components/schemas/InvitationPublic"}, "type": "array", "title": "Data"},
                   "count": {"type": "integer", "title": "Count"}},
    "type": "object", "required": ["data", "count"], "title": "InvitationsPublic",
}
schemas["InvitationToken"] = {
    "properties": {"token": {"type": "string", "maxLength": 512, "title": "Token"}},
    "type": "object", "required": ["token"], "title": "InvitationToken",
}
def ok(ref):
    return {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}}
def body(ref):
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}, "required": True}
def path_param(name, title):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid", "title": title}}
org_param, user_param, inv_param = path_param("organization_id", "Organization Id"), path_param("user_id", "User Id"), path_param("invitation_id", "Invitation Id")
paths["/api/v1/organizations/{organization_id}/members/{user_id}"]["patch"] = {
    "tags": ["organizations"], "summary": "Update Member Role",
    "description": "Make a member an admin, or a member again (owner, superusers). `owner` changes only with a transfer.",
    "operationId": "organizations-update_member_role", "parameters": [org_param, user_param],
    "requestBody": body("MemberRoleUpdate"), "responses": ok("OrganizationMemberPublic"), "security": bearer}
status_param = {"name": "status", "in": "query", "required": False,
                "schema": {"anyOf": [{"type": "string", "enum": ["pending", "accepted", "declined", "revoked", "expired"]}, {"type": "null"}], "title": "Status"}}
paths["/api/v1/organizations/{organization_id}/invitations"] = {
    "post": {"tags": ["organizations"], "summary": "Create Invitation",
             "description": "Invite an address with a role (owner, admins, superusers; only the owner and superusers invite admins). The token is in this answer only, and in the e-mail.",
             "operationId": "organizations-create_invitation", "parameters": [org_param],
             "requestBody": body("InvitationCreate"), "responses": ok("InvitationWithToken"), "security": bearer},
    "get": {"tags": ["organizations"], "summary": "Read Invitations",
            "description": "The organization's invitations, newest first, of one status or all (owner, admins, superusers).",
            "operationId": "organizations-read_invitations", "parameters": [org_param, status_param] + paging,
            "responses": ok("InvitationsPublic"), "security": bearer},
}
paths["/api/v1/organizations/{organization_id}/invitations/{invitation_id}"] = {"delete": {
    "tags": ["organizations"], "summary": "Revoke Invitation", "description": "A pending invitation can no longer be used.",
    "operationId": "organizations-revoke_invitation", "parameters": [org_param, inv_param],
    "responses": dict(message), "security": bearer}}
paths["/api/v1/organizations/{organization_id}/invitations/{invitation_id}/resend"] = {"post": {
    "tags": ["organizations"], "summary": "Resend Invitation", "description": "A new token and expiry, and the e-mail again.",
    "operationId": "organizations-resend_invitation", "parameters": [org_param, inv_param],
    "responses": ok("InvitationWithToken"), "security": bearer}}
paths["/api/v1/users/me/invitations"] = {"get": {
    "tags": ["users"], "summary": "Read My Invitations", "description": "The caller's open invitations.",
    "operationId": "users-read_my_invitations", "parameters": paging, "responses": ok("InvitationsPublic"), "security": bearer}}
for verb, summary, answer in (("accept", "Accept", ok("OrganizationPublic")), ("decline", "Decline", dict(message))):
    paths[f"/api/v1/users/me/invitations/{{invitation_id}}/{verb}"] = {"post": {
        "tags": ["users"], "summary": f"{summary} My Invitation", "description": f"{summary} one of the caller's invitations, by id.",
        "operationId": f"users-{verb}_my_invitation", "parameters": [inv_param], "responses": answer, "security": bearer}}
    paths[f"/api/v1/invitations/{verb}"] = {"post": {
        "tags": ["invitations"], "summary": f"{summary} Invitation", "description": f"{summary} an invitation by its token.",
        "operationId": f"invitations-{verb}_invitation", "requestBody": body("InvitationToken"), "responses": answer, "security": bearer}}

# The origin's local-only helper for its own end-to-end tests (api/routes/private.py);
# the worker serves this path, and documents it, only when ENVIRONMENT=local.
doc["components"]["schemas"]["PrivateUserCreate"] = {
    "properties": {
        "email": {"type": "string", "title": "Email"},
        "password": {"type": "string", "title": "Password"},
        "full_name": {"type": "string", "title": "Full Name"},
        "is_verified": {"type": "boolean", "title": "Is Verified", "default": False},
    },
    "type": "object", "required": ["email", "password", "full_name"], "title": "PrivateUserCreate",
}
paths["/api/v1/private/users/"] = {"post": {
    "tags": ["private"], "summary": "Create User",
    "description": "Create a new user without authentication. Only when `ENVIRONMENT=local` (the origin's test helper).",
    "operationId": "private-create_user",
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PrivateUserCreate"}}}, "required": True},
    "responses": {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserPublic"}}}}},
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
# The error statuses of each operation, as behaviour.md gives them, and nothing
# else: the fuzzer's status check fails on any status a response shows that its
# operation does not declare. AUTH is A1-A4 (401 no token, 403 bad token or S1,
# 404 user gone, 400 inactive); 413 goes with a body, 422 with any input.
AUTH = {400, 401, 403, 404}
STATUSES = {
    ("post", "/api/v1/login/access-token"): {400, 413, 422, 429},
    ("post", "/api/v1/login/test-token"): AUTH,
    ("get", "/api/v1/users/"): AUTH | {422},
    ("post", "/api/v1/users/"): AUTH | {413, 422},          # a taken email is 400 here
    ("get", "/api/v1/users/me"): AUTH,
    ("delete", "/api/v1/users/me"): AUTH | {409},
    ("patch", "/api/v1/users/me"): AUTH | {409, 413, 422},
    ("patch", "/api/v1/users/me/password"): AUTH | {413, 422, 429},  # guesses are limited per user
    ("post", "/api/v1/users/signup"): {400, 413, 422, 429},  # a taken email is 400 here
    ("get", "/api/v1/users/{user_id}"): AUTH | {422},
    ("patch", "/api/v1/users/{user_id}"): AUTH | {409, 413, 422},
    ("delete", "/api/v1/users/{user_id}"): AUTH | {409, 422},
    ("get", "/api/v1/organizations/"): AUTH | {422},
    ("post", "/api/v1/organizations/"): AUTH | {413, 422},
    ("get", "/api/v1/organizations/{organization_id}"): AUTH | {422},
    ("put", "/api/v1/organizations/{organization_id}"): AUTH | {413, 422},
    ("delete", "/api/v1/organizations/{organization_id}"): AUTH | {422},
    ("get", "/api/v1/organizations/{organization_id}/members"): AUTH | {422},
    ("post", "/api/v1/organizations/{organization_id}/members"): AUTH | {409, 413, 422},
    ("delete", "/api/v1/organizations/{organization_id}/members/{user_id}"): AUTH | {422},
    ("post", "/api/v1/organizations/{organization_id}/migrate-resources"): AUTH | {413, 422},
    ("post", "/api/v1/private/users/"): {400, 413, 422},
    ("patch", "/api/v1/organizations/{organization_id}/members/{user_id}"): AUTH | {413, 422},
    ("post", "/api/v1/organizations/{organization_id}/invitations"): AUTH | {409, 413, 422},
    ("get", "/api/v1/organizations/{organization_id}/invitations"): AUTH | {422},
    ("delete", "/api/v1/organizations/{organization_id}/invitations/{invitation_id}"): AUTH | {422},
    ("post", "/api/v1/organizations/{organization_id}/invitations/{invitation_id}/resend"): AUTH | {422},
    ("get", "/api/v1/users/me/invitations"): AUTH | {422},
    ("post", "/api/v1/users/me/invitations/{invitation_id}/accept"): AUTH | {409, 422},
    ("post", "/api/v1/users/me/invitations/{invitation_id}/decline"): AUTH | {422},
    ("post", "/api/v1/invitations/accept"): AUTH | {409, 413, 422},
    ("post", "/api/v1/invitations/decline"): AUTH | {413, 422},
    ("post", "/api/v1/login/refresh"): {400, 401, 413, 422},  # 400: a body that is not UTF-8
    ("post", "/api/v1/logout"): AUTH,
    ("get", "/api/v1/users/me/sessions"): AUTH | {422},
    ("delete", "/api/v1/users/me/sessions"): AUTH,
    ("delete", "/api/v1/users/me/sessions/{session_id}"): AUTH | {422},
    ("delete", "/api/v1/users/{user_id}/sessions"): AUTH | {422},
    ("post", "/api/v1/password-recovery/{email}"): {429},
    ("post", "/api/v1/reset-password/"): {400, 413, 422},
    ("post", "/api/v1/password-recovery-html-content/{email}"): AUTH,
    ("post", "/api/v1/users/me/verify-email"): AUTH | {429},
    ("post", "/api/v1/verify-email/"): {400, 413, 422},
    ("get", "/api/v1/utils/health-check/"): set(),
    ("get", "/api/v1/openapi.json"): set(),
}

not_yet = set(sys.argv[2:])
implemented = [p for p in paths if p not in not_yet]
doc["paths"] = {p: paths[p] for p in paths if p in implemented}
for path, ops in doc["paths"].items():
    for method, op in ops.items():
        responses = op["responses"]
        codes = STATUSES[(method, path)]
        for key in [k for k in responses if k != "200" and int(k) not in codes]:
            del responses[key]
        for code in sorted(codes):
            key = str(code)
            if code == 422:
                responses.setdefault(key, {"description": "Validation Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}})
            elif key not in responses:
                responses[key] = dict(err, description=descriptions[code])
json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
print()
