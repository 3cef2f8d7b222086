/**
 * `npm run postman -- [out.json] [--base-url URL]`: write a Postman collection
 * (v2.1) of the whole API, converted from openapi/cri.openapi.json by
 * openapi-to-postmanv2, for import into Postman (File → Import). Every request
 * carries a "status is 2xx" test. `--base-url` sets the collection's
 * `baseUrl` variable (default: the document's server, http://127.0.0.1:7070).
 * The output is a build artifact; regenerate it instead of editing it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseCommandLine, usageError } from "../src/cli/command-line.js";
import { buildPostmanCollection } from "../test/openapi/postman-collection.js";
import type { OpenApiDoc } from "../test/openapi/schema-validator.js";

const root = resolve(import.meta.dirname, "..");
const usage = `usage: npm run postman -- [OUT.json] [--base-url URL]

Writes a Postman collection (v2.1) of the whole API, converted from
openapi/cri.openapi.json, to OUT.json (default cri-gateway.postman_collection.json).

Options:
  --base-url URL   the collection's baseUrl variable (default http://127.0.0.1:7070)
  -h, --help       show this help
`;
const { values, positionals } = parseCommandLine("postman", usage, {
  allowPositionals: true,
  options: { "base-url": { type: "string" } },
});
if (positionals.length > 1) usageError("postman", `expected at most one output file, got ${positionals.length}`, usage);
// npm runs scripts from the package root; resolve the path against where the user typed the command.
const out = resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0] ?? "cri-gateway.postman_collection.json");
const doc = JSON.parse(await readFile(join(root, "openapi", "cri.openapi.json"), "utf8")) as OpenApiDoc;
const { collection, operations } = await buildPostmanCollection(doc, { baseUrl: values["base-url"] });
await writeFile(out, `${JSON.stringify(collection, null, 2)}\n`);
console.log(`wrote ${operations.length} requests to ${out}`);
