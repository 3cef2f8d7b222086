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
import { parseArgs } from "node:util";
import { buildPostmanCollection } from "../test/openapi/postman-collection.js";
import type { OpenApiDoc } from "../test/openapi/schema-validator.js";

const root = resolve(import.meta.dirname, "..");
const usage = `Usage: npm run postman -- [out.json] [--base-url URL]

Write a Postman collection (v2.1) of the whole API, converted from
openapi/cri.openapi.json, to out.json (default cri-gateway.postman_collection.json).

Options:
  --base-url URL   the collection's baseUrl variable (default http://127.0.0.1:7070)
  -h, --help       show this help
`;

function parseCommandLine() {
  try {
    return parseArgs({
      options: { "base-url": { type: "string" }, help: { type: "boolean", short: "h", default: false } },
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(`postman: ${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    process.exit(2);
  }
}

const { values, positionals } = parseCommandLine();
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
if (positionals.length > 1) {
  process.stderr.write(`postman: expected at most one output file\n\n${usage}`);
  process.exit(2);
}
// npm runs scripts from the package root; resolve the path against where the user typed the command.
const out = resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0] ?? "cri-gateway.postman_collection.json");
const doc = JSON.parse(await readFile(join(root, "openapi", "cri.openapi.json"), "utf8")) as OpenApiDoc;
const { collection, operations } = await buildPostmanCollection(doc, { baseUrl: values["base-url"] });
await writeFile(out, `${JSON.stringify(collection, null, 2)}\n`);
console.log(`wrote ${operations.length} requests to ${out}`);
