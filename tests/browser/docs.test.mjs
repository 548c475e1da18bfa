// /docs and /redoc in a real browser: headless Chromium (Debian's package)
// driven by Playwright. Run by scripts/browser.sh against a served worker
// (BASE, SUPERUSER, SUPERUSER_PASSWORD); screenshots go to OUT.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const { BASE, SUPERUSER, SUPERUSER_PASSWORD } = process.env;
const OUT = process.env.OUT ?? "target/browser";
mkdirSync(OUT, { recursive: true });

let browser;
let doc;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  doc = await (await fetch(`${BASE}/api/v1/openapi.json`)).json();
});
after(async () => browser?.close());

/** A page that records every request that leaves this origin. */
async function page() {
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  p.elsewhere = [];
  p.on("request", (r) => {
    const url = r.url();
    const here = url.startsWith(BASE) || url.startsWith("data:") || url.startsWith(`blob:${BASE}`);
    if (!here) p.elsewhere.push(url);
  });
  return p;
}

test("/docs shows every operation, authorizes with the password flow and runs GET /users/me", async () => {
  const p = await page();
  await p.goto(`${BASE}/docs`);
  await p.waitForSelector(".opblock");
  const operations = Object.values(doc.paths).flatMap((item) => Object.keys(item)).length;
  assert.equal(await p.locator(".opblock").count(), operations);

  await p.click(".auth-wrapper button.authorize");
  await p.fill("#oauth_username", SUPERUSER);
  await p.fill("#oauth_password", SUPERUSER_PASSWORD);
  const token = p.waitForResponse((r) => r.url().endsWith("/api/v1/login/access-token"));
  await p.click(".auth-btn-wrapper button.authorize");
  assert.equal((await token).status(), 200, await (await token).text());
  await p.waitForSelector(".auth-btn-wrapper button:has-text('Logout')");
  await p.screenshot({ path: `${OUT}/docs-authorized.png` });
  await p.click(".auth-btn-wrapper button.btn-done");

  const op = p.locator("#operations-users-users-read_user_me");
  await op.locator(".opblock-summary").click();
  await op.locator("button.try-out__btn").click();
  await op.locator("button.execute").click();
  const status = op.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor();
  assert.equal((await status.innerText()).trim(), "200");
  const body = await op.locator(".live-responses-table .response-col_description pre").first().innerText();
  assert.equal(JSON.parse(body).email, SUPERUSER);
  await op.screenshot({ path: `${OUT}/docs-users-me.png` });
  assert.deepEqual(p.elsewhere, [], "nothing loads from another origin");
});

test("/redoc shows every tag", async () => {
  const p = await page();
  await p.goto(`${BASE}/redoc`);
  await p.waitForSelector("[data-item-id^='tag/']");
  for (const { name } of doc.tags) {
    assert.ok(await p.locator(`[data-item-id='tag/${name}']`).count() > 0, `tag ${name}`);
  }
  await p.screenshot({ path: `${OUT}/redoc.png` });
  assert.deepEqual(p.elsewhere, [], "nothing loads from another origin");
});
