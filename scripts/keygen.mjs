// `make keygen`: a new Ed25519 signing key as a private JWK, one line, for the
// SIGNING_KEYS ring (a JSON array of these; the first signs, all verify).
//   node scripts/keygen.mjs [kid]        (kid: default, the date and 8 random hex digits)
// Rotation (docs/operations.md): add the new key at the end, wait past the
// JWKS cache (5 minutes), move it first, and remove the old one once the
// longest access token signed by it has expired.
import { generateKeyPairSync, randomBytes } from "node:crypto";

const kid =
  process.argv[2] ??
  `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
const { privateKey } = generateKeyPairSync("ed25519");
const { kty, crv, d, x } = privateKey.export({ format: "jwk" });
console.log(JSON.stringify({ kty, crv, kid, d, x }));
