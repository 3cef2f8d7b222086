/**
 * Builds a Postman collection from the OpenAPI document with Postman's own
 * converter (openapi-to-postmanv2, `convertV2`, request bodies from the
 * document's examples). The collection is a build artifact: never commit or
 * hand-edit it, regenerate it (`npm run postman -- out.json`).
 *
 * After conversion, two mechanical steps (documented here, never per request):
 * 1. every request gets a test script asserting a 2xx status and a JSON body
 *    (the converter adds none);
 * 2. with `only: "standalone"`, requests whose operation is not marked
 *    `x-example-standalone: true` are dropped (their examples name ids such
 *    as `<container-id>` that only earlier calls hand out), and so are
 *    folders left empty. The converter keeps no operationId, so requests are
 *    matched to operations by method and path.
 */
import { convertV2 } from "openapi-to-postmanv2";
import { type OpenApiDoc, listOperations } from "./schema-validator.js";

/** The parts of a Postman collection (v2.1) this module reads or writes. */
export interface PostmanCollection {
  info: { name: string; schema: string; [key: string]: unknown };
  item: PostmanItem[];
  variable?: { key: string; value: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

/** A request or a folder (which has `item`). */
export interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: {
    method: string;
    url: { path?: string[]; query?: { key: string; value: string; disabled?: boolean }[]; [key: string]: unknown };
    [key: string]: unknown;
  };
  event?: { listen: "test" | "prerequest"; script: { type: string; exec: string[] } }[];
  [key: string]: unknown;
}

/** Options for {@link buildPostmanCollection}. */
export interface PostmanBuildOptions {
  /** Value of the collection's `baseUrl` variable. Default: the document's first server URL. */
  baseUrl?: string;
  /** "standalone": only requests that are valid calls on their own. Default "all". */
  only?: "all" | "standalone";
}

/** An operation a request of the collection calls. */
export interface CollectionOperation {
  method: string;
  /** The document's path template, e.g. `/runtime.v1.RuntimeService/Version`. */
  path: string;
  operationId: string;
}

/** The test script added to every request. */
export const statusTestScript = [
  'pm.test("status is 2xx", function () {',
  "  pm.expect(pm.response.code).to.be.within(200, 299);",
  "});",
  'pm.test("body is JSON", function () {',
  "  pm.response.to.be.json;",
  "});",
];

/** `{id}` → `:id`: how the converter writes path parameters. */
function postmanPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}

function requestKey(method: string, path: string): string {
  return `${method.toLowerCase()} ${path}`;
}

function convert(doc: OpenApiDoc): Promise<PostmanCollection> {
  return new Promise((resolve, reject) => {
    convertV2(
      { type: "json", data: doc },
      { folderStrategy: "Tags", parametersResolution: "Example", enableOptionalParameters: false },
      (err, result) => {
        if (err) reject(new Error(`openapi-to-postmanv2 failed: ${err.message}`));
        else if (!result?.result || !result.output?.[0]) reject(new Error(`openapi-to-postmanv2 failed: ${result?.reason ?? "no output"}`));
        else resolve(result.output[0].data as PostmanCollection);
      },
    );
  });
}

/**
 * Convert `doc` and apply the steps above. Resolves with the collection and
 * the operations its requests call, in collection order. Rejects when the
 * converter fails or makes a request for a path the document does not have.
 */
export async function buildPostmanCollection(
  doc: OpenApiDoc,
  { baseUrl, only = "all" }: PostmanBuildOptions = {},
): Promise<{ collection: PostmanCollection; operations: CollectionOperation[] }> {
  const collection = await convert(doc);
  const byKey = new Map(listOperations(doc).map((o) => [requestKey(o.method, postmanPath(o.path)), o]));
  const operations: CollectionOperation[] = [];

  const visit = (items: PostmanItem[]): PostmanItem[] =>
    items.flatMap((item): PostmanItem[] => {
      if (item.item !== undefined) {
        const children = visit(item.item);
        return children.length > 0 || only === "all" ? [{ ...item, item: children }] : [];
      }
      if (item.request === undefined) return [item];
      const key = requestKey(item.request.method, `/${(item.request.url.path ?? []).join("/")}`);
      const found = byKey.get(key);
      if (found === undefined) throw new Error(`the collection calls ${key}, which the document does not have`);
      if (only === "standalone" && found.operation["x-example-standalone"] !== true) return [];

      operations.push({ method: found.method, path: found.path, operationId: found.operation.operationId });
      const event = [...(item.event ?? []), { listen: "test" as const, script: { type: "text/javascript", exec: statusTestScript } }];
      return [{ ...item, event }];
    });

  collection.item = visit(collection.item);
  const url = baseUrl ?? doc.servers?.[0]?.url;
  if (url !== undefined) {
    collection.variable = [...(collection.variable ?? []).filter((v) => v.key !== "baseUrl"), { key: "baseUrl", value: url }];
  }
  return { collection, operations };
}
