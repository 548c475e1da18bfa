#!/usr/bin/env bash
# `make fuzz`: schemathesis (PyPI) against the served OpenAPI document, once as a
# superuser and once as an ordinary user, every operation, and once as the owner
# of an organization with its ids filled in: no 5xx, no response that breaks its
# schema, no undocumented status. Bounded: FUZZ_EXAMPLES examples
# per operation (default 25) and FUZZ_SECONDS per run (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."
# This script runs under scripts/lib/serve.py, which serves it a worker (BASE,
# STATE, SUPERUSER, ...) and stops it when the script ends.
export PASSWORD_HASH_ITERATIONS=1000
# The fuzzer registers webhook endpoints at URLs it makes up (https://0.com/...):
# the worker's outbound fetches are answered 502 by the server, not sent out.
export SERVE_OFFLINE=1
[ -n "${USERS_ORGS_SERVED:-}" ] || exec python3 scripts/lib/serve.py -- "scripts/$(basename "$0")" "$@"
source scripts/lib/pytool.sh
pytool schemathesis 4.32.5
VENV=$PYTOOL

token() {
  curl -sf -X POST "$BASE/api/v1/login/access-token" -d "username=$1" --data-urlencode "password=$2" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
FUZZ_EMAIL="fuzz-user@example.com"
curl -sf -H 'Content-Type: application/json' -d "{\"email\": \"$FUZZ_EMAIL\", \"password\": \"fuzz-password-1\"}" \
  "$BASE/api/v1/users/signup" >/dev/null
ADMIN=$(token "$SUPERUSER" "$SUPERUSER_PASSWORD")
USER=$(token "$FUZZ_EMAIL" fuzz-password-1)

# With ids it made up, most of what the fuzzer sends to an organization's paths
# ends at a 404. One more run is its owner's, with the ids filled in: the
# organization, a member, a pending invitation, its uploaded avatar. Deleting the
# organization is left out, so that it stays for the rest of the run.
json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)[\"$1\"])"; }
call() { # token method path [json body]
  curl -sf -X "$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    ${4:+-d "$4"} "$BASE/api/v1$3"
}
for who in owner member; do
  curl -sf -H 'Content-Type: application/json' -d "{\"email\": \"fuzz-$who@example.com\", \"password\": \"fuzz-password-1\"}" \
    "$BASE/api/v1/users/signup" >/dev/null
done
OWNER=$(token fuzz-owner@example.com fuzz-password-1)
MEMBER_ID=$(call "$(token fuzz-member@example.com fuzz-password-1)" GET /users/me | json_field id)
PNG=tests/support/avatar.png
UPLOAD=$(call "$OWNER" POST /uploads/presigned-url \
  "{\"filename\": \"a.png\", \"content_type\": \"image/png\", \"size\": $(stat -c %s $PNG), \"resource_type\": \"image\"}")
MEDIA_ID=$(echo "$UPLOAD" | json_field media_resource_id)
curl -sf -X PUT -H 'Content-Type: image/png' --data-binary "@$PNG" "$(echo "$UPLOAD" | json_field upload_url)" >/dev/null
ORG_ID=$(call "$OWNER" POST /organizations/ "{\"name\": \"Fuzz Org\", \"avatar_image\": {\"media_resource_id\": \"$MEDIA_ID\"}}" |
  json_field id)
call "$OWNER" POST "/organizations/$ORG_ID/members" "{\"user_id\": \"$MEMBER_ID\"}" >/dev/null
INVITATION_ID=$(call "$OWNER" POST "/organizations/$ORG_ID/invitations" '{"email": "fuzz-invitee@example.com"}' | json_field id)
cat >"$STATE/owner.toml" <<TOML
[parameters]
"path.organization_id" = "$ORG_ID"
"path.user_id" = "$MEMBER_ID"
"path.invitation_id" = "$INVITATION_ID"
"path.media_resource_id" = "$MEDIA_ID"
TOML

# One worker: with two, Hypothesis (inside schemathesis) sometimes fails its own
# run with a KeyError in its shared lambda-source cache, a thread-safety bug of
# the tool that has nothing to do with the responses.
status=0
REPORTS=${FUZZ_REPORT_DIR:-target/fuzz-reports}
mkdir -p "$REPORTS"
fuzz() { # who token [schemathesis options...]
  echo "fuzz: as $1" >&2
  local who=$1 token=$2; shift 2
  timeout "${FUZZ_SECONDS:-300}" "$VENV/bin/schemathesis" --config-file "$STATE/$who.toml" \
    run "$BASE/api/v1/openapi.json" \
    --url "$BASE" -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --max-examples "${FUZZ_EXAMPLES:-25}" --workers 1 --request-timeout 30 --no-color \
    --report junit --report-junit-path "$REPORTS/$who.xml" "$@" \
    || status=$?
}
# Operations that can end the fuzzer's own session make every later call a 403,
# and schemathesis follows links (a session id from the session list, the caller's
# own id) straight to them: logout and the session revocations are left out of both
# runs (the HTTP tests cover them). The ordinary user's run also leaves out deleting
# itself and changing its password. Only the owner's run has ids filled in.
SESSION_ENDING="--exclude-operation-id login-logout --exclude-operation-id users-revoke_session \
  --exclude-operation-id users-revoke_user_sessions"
# The owner's run goes first: the superuser's would find the organization and
# its member in its lists and delete them.
# shellcheck disable=SC2086
fuzz owner "$OWNER" $SESSION_ENDING --include-path-regex '\{(organization_id|invitation_id|media_resource_id)\}' \
  --exclude-operation-id organizations-delete_organization
touch "$STATE/superuser.toml" "$STATE/user.toml"
# shellcheck disable=SC2086
fuzz superuser "$ADMIN" $SESSION_ENDING
# shellcheck disable=SC2086
fuzz user "$USER" $SESSION_ENDING --exclude-operation-id users-delete_user_me \
  --exclude-operation-id users-update_password_me
grep -c "failed: " "$STATE/log" >/dev/null 2>&1 && { echo "fuzz: the worker logged 500s:" >&2; grep "failed: " "$STATE/log" >&2; status=1; }
exit $status
