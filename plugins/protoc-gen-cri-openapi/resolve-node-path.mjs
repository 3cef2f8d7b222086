// ESM resolve hook: when a bare specifier (`yaml`, `@bufbuild/protoplugin`)
// cannot be found from the importing file, try again as if imported from each
// NODE_PATH directory, which is what CommonJS `require` would do.
// See https://nodejs.org/api/module.html#resolvespecifier-context-nextresolve
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

const roots = (process.env.NODE_PATH ?? "").split(delimiter).filter((dir) => dir !== "");

function isBare(specifier) {
  return !/^(\.{0,2}\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || !isBare(specifier)) throw err;
    for (const root of roots) {
      try {
        // A parent inside the NODE_PATH directory makes the resolver look in it.
        return await nextResolve(specifier, { ...context, parentURL: pathToFileURL(join(root, "noop.js")).href });
      } catch {
        // try the next entry
      }
    }
    throw err;
  }
}
