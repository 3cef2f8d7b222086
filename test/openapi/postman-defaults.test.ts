/**
 * The document as a user imports it: openapi-to-postmanv2 with its default
 * options (what Postman's own import does), the collection run by newman
 * unedited, with only the collection variable `baseUrl` pointed at a test
 * gateway (what a user sets in Postman). Every request must get a sound
 * answer: standalone examples and read-only calls answer 200 with bodies
 * matching the document; calls that need an id from an earlier call (the
 * converter fakes ids like `<string>`) may answer 4xx, but then with a
 * Connect error body; nothing answers 5xx. The network guard shows neither
 * tool reaches any host but the gateway.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import newman, { type NewmanRunSummary } from "newman";
import { convertV2 } from "openapi-to-postmanv2";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { type NetworkGuard, installNetworkGuard } from "./network-guard.js";
import { type OpenApiDoc, type OpenApiOperation, createDocumentValidator, listOperations } from "./schema-validator.js";

const root = resolve(import.meta.dirname, "../..");
/** Long enough for any unary call; an SSE stream never ends, so newman gives up on it after this. */
const requestTimeoutMs = 4_000;

/** The Connect error codes by name, and the HTTP status each is sent with. */
const statusOfCode = new Map(
  Object.values(Code)
    .filter((c): c is Code => typeof c === "number" && c !== Code.Canceled)
    .map((c) => [codeToString(c), codeToHttpStatus(c)]),
);

function convertWithDefaults(doc: OpenApiDoc): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    convertV2({ type: "json", data: doc }, {}, (err, result) => {
      if (err) reject(err);
      else if (!result?.result || !result.output?.[0]) reject(new Error(`conversion failed: ${result?.reason ?? "no output"}`));
      else resolvePromise(result.output[0].data);
    });
  });
}

function runNewman(collection: string, baseUrl: string): Promise<NewmanRunSummary> {
  return new Promise((resolvePromise, reject) => {
    newman.run(
      { collection, envVar: [{ key: "baseUrl", value: baseUrl }], reporters: [], timeoutRequest: requestTimeoutMs, timeout: 120_000 },
      (err, summary) => (err ? reject(err) : resolvePromise(summary)),
    );
  });
}

/** Match a request path to the document's path template (`{ref}` takes the rest of the path). */
function templateMatcher(template: string): RegExp {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part === "{ref}" ? ".+" : /^\{[^}]+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${pattern}$`);
}

/** An operation the run executed, with what the gateway answered. */
interface Answer {
  method: string;
  path: string;
  operation: OpenApiOperation & { "x-streaming"?: string };
  status?: number;
  contentType: string;
  body: string;
  error?: string;
}

describe("the document imported into Postman with default options", () => {
  let gw: TestGateway;
  let doc: OpenApiDoc;
  let dir: string;
  let guard: NetworkGuard;
  let answers: Answer[] = [];

  before(async () => {
    doc = JSON.parse(await readFile(join(root, "openapi", "cri.openapi.json"), "utf8")) as OpenApiDoc;
    dir = await mkdtemp(join(tmpdir(), "cri-postman-defaults-"));
    gw = await startTestGateway();
    guard = installNetworkGuard();
    const file = join(dir, "imported.postman_collection.json");
    await writeFile(file, JSON.stringify(await convertWithDefaults(doc)));
    const summary = await runNewman(file, gw.url);
    const operations = listOperations(doc).map((o) => ({ ...o, match: templateMatcher(o.path) }));
    answers = summary.run.executions.map((execution) => {
      // newman's types leave out what an execution carries at run time.
      const { request, response, requestError } = execution as unknown as {
        request: { method: string; url: { getPath(): string } };
        response?: { code: number; stream?: Buffer; headers: { get(name: string): string | undefined } };
        requestError?: Error;
      };
      const method = request.method.toLowerCase();
      const path = decodeURIComponent(request.url.getPath());
      const op = operations.find((o) => o.method === method && o.match.test(path));
      assert.ok(op, `newman sent ${method.toUpperCase()} ${path}, which the document does not have`);
      return {
        method,
        path: op.path,
        operation: op.operation,
        status: response?.code,
        contentType: response?.headers.get("content-type") ?? "",
        body: response?.stream?.toString("utf8") ?? "",
        error: requestError?.message,
      };
    });
  });
  after(async () => {
    guard?.uninstall();
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("imports every operation once and contacts no other host", () => {
    const run = answers.map((a) => `${a.method} ${a.path}`).sort();
    const documented = listOperations(doc).map((o) => `${o.method} ${o.path}`).sort();
    assert.deepEqual(run, documented);
    assert.deepEqual(guard.blocked, [], "the converter or newman tried to reach another host");
  });

  it("answers every standalone and every read-only unary call with 200 and a body matching the document", () => {
    const validator = createDocumentValidator(doc);
    const bad: string[] = [];
    for (const a of answers) {
      const readOnly = a.method === "get" || doc.paths[a.path]?.get !== undefined;
      const streams = a.operation["x-connect-streaming"] !== undefined || a.operation["x-streaming"] !== undefined;
      const mustSucceed = a.operation["x-example-standalone"] === true || (readOnly && a.operation["x-example-standalone"] !== false);
      if (streams || !mustSucceed) continue;
      if (a.status !== 200) {
        bad.push(`${a.method.toUpperCase()} ${a.path} → ${a.status ?? a.error}: ${a.body.slice(0, 200)}`);
        continue;
      }
      validator.assertResponse(a.method, a.path, 200, JSON.parse(a.body));
    }
    assert.deepEqual(bad, []);
  });

  it("answers calls that need an earlier call's id with 200 or a 4xx Connect error, never 5xx", () => {
    const validator = createDocumentValidator(doc);
    const bad: string[] = [];
    let errors = 0;
    for (const a of answers) {
      if (a.operation["x-connect-streaming"] !== undefined || a.operation["x-streaming"] !== undefined) continue;
      const where = `${a.method.toUpperCase()} ${a.path} → ${a.status ?? a.error}: ${a.body.slice(0, 200)}`;
      if (a.status === undefined || a.status >= 500 || (a.status >= 300 && a.status < 400)) {
        bad.push(where);
        continue;
      }
      const body = JSON.parse(a.body) as { code?: unknown; message?: unknown };
      if (a.status === 200) continue;
      errors += 1;
      assert.match(a.contentType, /^application\/json/, where);
      assert.equal(typeof body.code, "string", where);
      assert.equal(statusOfCode.get(String(body.code)), a.status, `${where}: the status Connect uses for the code`);
      assert.ok(body.message === undefined || typeof body.message === "string", where);
      validator.assertResponse(a.method, a.path, a.status, body);
    }
    assert.deepEqual(bad, []);
    assert.ok(errors > 0, "faked ids do reach the gateway and get an error answer");
  });

  it("ends Connect server streams with an end-of-stream frame, and lets SSE run until the request timeout", () => {
    const streams = answers.filter((a) => a.operation["x-connect-streaming"] !== undefined || a.operation["x-streaming"] !== undefined);
    assert.ok(streams.length >= 7);
    for (const a of streams) {
      if (a.operation["x-streaming"] === "sse" && a.path.includes("{")) {
        // A stream of one container (logs): the imported placeholders (an id
        // "<string>", tailLines "<integer>") are a 4xx with an error body.
        assert.ok(a.status !== undefined && a.status >= 400 && a.status < 500, `${a.path}: ${a.status}`);
        assert.equal(typeof (JSON.parse(a.body) as { code?: unknown }).code, "string", a.path);
        continue;
      }
      if (a.operation["x-streaming"] === "sse") {
        // The event stream never ends on its own; a Postman run waits for it until its timeout.
        assert.match(a.error ?? "", /ESOCKETTIMEDOUT|ETIMEDOUT/, `${a.path}: ${a.status}`);
        continue;
      }
      assert.equal(a.status, 200, `${a.path}: ${a.body.slice(0, 200)}`);
      assert.match(a.contentType, /^application\/connect\+json/, a.path);
      // The last frame is the end-of-stream frame (flag 0x02) holding connect.EndStream JSON.
      const bytes = Buffer.from(a.body, "latin1");
      let at = 0;
      let last: { flags: number; payload: string } | undefined;
      while (at + 5 <= bytes.length) {
        const length = bytes.readUInt32BE(at + 1);
        last = { flags: bytes[at] ?? 0, payload: bytes.subarray(at + 5, at + 5 + length).toString("utf8") };
        at += 5 + length;
      }
      assert.equal(last?.flags, 2, `${a.path} ends with an end-of-stream frame`);
      const end = JSON.parse(last?.payload ?? "") as { error?: { code?: unknown } };
      if (end.error !== undefined) assert.ok(statusOfCode.has(String(end.error.code)), `${a.path}: ${last?.payload}`);
    }
  });
});
