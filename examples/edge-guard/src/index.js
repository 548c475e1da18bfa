// A Worker that guards its routes with the Users & Organizations API's access
// tokens, verified here, at the edge: EdDSA signatures against the API's
// published keys (GET /.well-known/jwks.json, fetched and cached by jose, and
// fetched again when a token names a key it has not seen: a rotation), the
// issuer, and the expiry. It never calls the API for a request.
//
//   GET /me                      any valid token: who the caller is
//   GET /orgs/{id}/admin         an organization token for {id} whose role is owner or admin
import { createRemoteJWKSet, jwtVerify } from "jose";

let keys;
let keysUrl;

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** The verified claims of the request's bearer token, or a response refusing it. */
async function claims(request, env) {
  const [scheme, token] = (request.headers.get("Authorization") ?? "").split(" ");
  if (scheme?.toLowerCase() !== "bearer" || !token) {
    return { refused: json(401, { detail: "Not authenticated" }) };
  }
  if (keysUrl !== env.JWKS_URL) {
    keys = createRemoteJWKSet(new URL(env.JWKS_URL));
    keysUrl = env.JWKS_URL;
  }
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: env.ISSUER,
      algorithms: ["EdDSA"],
      requiredClaims: ["sub", "exp", "iat"],
    });
    return { payload, kid: protectedHeader.kid };
  } catch (e) {
    // e.code: ERR_JWT_EXPIRED, ERR_JWKS_NO_MATCHING_KEY, ERR_JWT_CLAIM_VALIDATION_FAILED, ...
    return { refused: json(403, { detail: "Could not validate credentials", reason: e.code ?? "error" }) };
  }
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    const admin = /^\/orgs\/([0-9a-f-]{36})\/admin$/.exec(path);
    if (path !== "/me" && !admin) {
      return json(404, { detail: "Not Found" });
    }
    const { refused, payload, kid } = await claims(request, env);
    if (refused) return refused;
    const who = {
      sub: payload.sub,
      kid,
      org_id: payload.org_id ?? null,
      org_role: payload.org_role ?? null,
    };
    if (admin && (payload.org_id !== admin[1] || !["owner", "admin"].includes(payload.org_role))) {
      return json(403, { detail: "Not enough permissions", ...who });
    }
    return json(200, who);
  },
};
