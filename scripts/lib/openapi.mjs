// Writes the OpenAPI document into the static assets in the two forms the
// worker serves at /api/v1/openapi.json (src/openapi.rs): whole, for local
// development, and without what exists only there (the private paths, the
// schemas only they use and their tag), for everywhere else.
//
//   node scripts/lib/openapi.mjs openapi.json build/assets/api/openapi
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const LOCAL_ONLY_PATHS = ["/api/v1/private/users/"];
const LOCAL_ONLY_SCHEMAS = ["PrivateUserCreate"];
const LOCAL_ONLY_TAGS = ["private"];

const [source, dir] = process.argv.slice(2);
const whole = readFileSync(source, "utf8");
const doc = JSON.parse(whole);
for (const path of LOCAL_ONLY_PATHS) {
  if (!(path in doc.paths)) throw new Error(`${path} is not in ${source}`);
  delete doc.paths[path];
}
for (const schema of LOCAL_ONLY_SCHEMAS) delete doc.components.schemas[schema];
doc.tags = doc.tags.filter((t) => !LOCAL_ONLY_TAGS.includes(t.name));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/local.json`, whole);
writeFileSync(`${dir}/deployed.json`, JSON.stringify(doc, null, 2) + "\n");
