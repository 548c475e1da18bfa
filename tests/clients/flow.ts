// A flow through the TypeScript SDK generated from the served OpenAPI document
// (@hey-api/openapi-ts): login, me, create an organization with an avatar, add
// a member, read the members with an API key, list, delete; then MFA: enrol, verify, and a login in
// two steps (codes computed here with Web Crypto, RFC 6238). Type-checked with `tsc --strict`, then run by
// scripts/clients.sh against a served worker (BASE, SUPERUSER, SUPERUSER_PASSWORD).
import { client } from "./client/client.gen";
import {
  loginLoginAccessToken,
  loginLoginMfa,
  organizationsAddOrganizationMember,
  organizationsCreateApiKey,
  organizationsCreateOrganization,
  organizationsDeleteOrganization,
  organizationsReadOrganizationMembers,
  organizationsReadOrganizations,
  usersEnrolTotp,
  usersReadUserMe,
  usersRegisterUser,
  usersVerifyTotp,
} from "./client/sdk.gen";
import type { OrganizationPublic, UserPublic } from "./client/types.gen";

declare const process: { env: Record<string, string | undefined>; exitCode?: number };


function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

async function main(): Promise<void> {
  const base = process.env.BASE ?? "";
  client.setConfig({ baseUrl: base });

  const login = await loginLoginAccessToken({
    body: { username: process.env.SUPERUSER ?? "", password: process.env.SUPERUSER_PASSWORD ?? "" },
  });
  check(login.response.status === 200 && login.data !== undefined, "login");
  const token: string = login.data.access_token;
  check(login.data.token_type === "bearer", "token_type");
  client.setConfig({ baseUrl: base, auth: () => token });

  const me = await usersReadUserMe();
  check(me.data !== undefined, "me");
  const superuser: UserPublic = me.data;
  check(superuser.is_superuser && superuser.created_at.length > 0, "me is the superuser");

  const email = `ts-sdk-${Date.now()}@example.com`;
  const member = await usersRegisterUser({ body: { email, password: "ts-sdk-password", full_name: "TS" } });
  check(member.data !== undefined && member.data.email === email, "signup");

  const created = await organizationsCreateOrganization({
    body: { name: "TS SDK", avatar_image: { url: "https://cdn.example.com/ts.png", width: 64, height: 32 } },
    headers: { "Idempotency-Key": `ts-${email}` },
  });
  check(created.data !== undefined, "create organization");
  const org: OrganizationPublic = created.data;
  check(org.avatar_image_media?.orientation === "landscape", "avatar");
  const path = { organization_id: org.id };

  const added = await organizationsAddOrganizationMember({ path, body: { user_id: member.data.id } });
  check(added.data !== undefined && added.data.count === 2, "add member");
  const members = await organizationsReadOrganizationMembers({ path });
  check(members.data?.data.some((m) => m.user_id === member.data?.id) === true, "members");

  // An API key of the organization, as a machine client holds it.
  const key = await organizationsCreateApiKey({ path, body: { name: "ts-sdk", scopes: ["organization:read"] } });
  check(key.data !== undefined && key.data.key.startsWith("uoa_"), "create an API key");
  const apiKey: string = key.data.key;
  client.setConfig({ baseUrl: base, auth: () => apiKey });
  const keyed = await organizationsReadOrganizationMembers({ path });
  check(keyed.response.status === 200 && keyed.data?.count === 2, "members with the key");
  client.setConfig({ baseUrl: base, auth: () => token });

  const list = await organizationsReadOrganizations({ query: { limit: 1000 } });
  check(list.data?.data.some((o) => o.id === org.id) === true, "list");

  const deleted = await organizationsDeleteOrganization({ path });
  check(deleted.data?.message === "Organization deleted successfully", "delete");
  const after = await organizationsReadOrganizations({ query: { limit: 1000 } });
  check(after.data?.data.some((o) => o.id === org.id) === false, "gone");
  await mfa(base);
  console.log("ts-sdk flow: ok");
}

/** RFC 6238: the 6-digit code of the 30-second step `step` for a base32 secret (Web Crypto's HMAC-SHA1). */
async function totp(secret: string, step: number): Promise<string> {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = new Uint8Array((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = new DataView(new ArrayBuffer(8));
  counter.setBigUint64(0, BigInt(step));
  const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const h = new DataView(await crypto.subtle.sign("HMAC", hmac, counter.buffer));
  const o = h.getUint8(19) & 15;
  return String((h.getUint32(o) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** Enrol, verify, then log in with the password and a code. */
async function mfa(base: string): Promise<void> {
  const email = `ts-mfa-${Date.now()}@example.com`;
  const password = "ts-mfa-password";
  client.setConfig({ baseUrl: base, auth: undefined });
  await usersRegisterUser({ body: { email, password } });
  const login = await loginLoginAccessToken({ body: { username: email, password } });
  check(login.data !== undefined, "login before MFA");
  const token = login.data.access_token;
  client.setConfig({ baseUrl: base, auth: () => token });
  const enrolment = await usersEnrolTotp();
  check(enrolment.data !== undefined && enrolment.data.otpauth_uri.includes(enrolment.data.secret), "enrol");
  const secret = enrolment.data.secret;
  const step = Math.floor(Date.now() / 30_000);
  const verified = await usersVerifyTotp({ body: { code: await totp(secret, step) } });
  check(verified.data?.recovery_codes.length === 10, "verify: ten recovery codes");

  client.setConfig({ baseUrl: base, auth: undefined });
  const first = await loginLoginAccessToken({ body: { username: email, password } });
  check(first.response.status === 401 && first.error !== undefined && "mfa_token" in first.error, "401 MFA code required");
  const mfaToken: string = first.error.mfa_token;
  // The step after the one verification used: a code works once.
  const second = await loginLoginMfa({ body: { mfa_token: mfaToken, code: await totp(secret, step + 1) } });
  check(second.data !== undefined, "second step");
  const access = second.data.access_token;
  client.setConfig({ baseUrl: base, auth: () => access });
  const me = await usersReadUserMe();
  check(me.data?.email === email && me.data.mfa_enabled, "me, with MFA on");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
