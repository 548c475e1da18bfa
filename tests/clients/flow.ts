// A flow through the TypeScript SDK generated from the served OpenAPI document
// (@hey-api/openapi-ts): login, me, create an organization with an avatar, add
// a member, read the members with an API key, list, delete. Type-checked with `tsc --strict`, then run by
// scripts/clients.sh against a served worker (BASE, SUPERUSER, SUPERUSER_PASSWORD).
import { client } from "./client/client.gen";
import {
  loginLoginAccessToken,
  organizationsAddOrganizationMember,
  organizationsCreateApiKey,
  organizationsCreateOrganization,
  organizationsDeleteOrganization,
  organizationsReadOrganizationMembers,
  organizationsReadOrganizations,
  usersReadUserMe,
  usersRegisterUser,
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
  console.log("ts-sdk flow: ok");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
