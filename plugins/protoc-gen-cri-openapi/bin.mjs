// Launcher that buf.gen.yaml runs (`node plugins/protoc-gen-cri-openapi/bin.mjs`):
// loads the TypeScript plugin through tsx, so nothing needs building first.
//
// NOTE: test/generated copies the repository (without node_modules) to a temp
// directory and runs `buf generate` there with NODE_PATH pointing at the real
// node_modules. ESM resolution ignores NODE_PATH, so this registers a resolve
// hook that retries bare specifiers from each NODE_PATH entry before tsx and the
// plugin's own imports load.
import { register } from "node:module";

register("./resolve-node-path.mjs", import.meta.url);
const { register: registerTsx } = await import("tsx/esm/api");
registerTsx();
await import("./main.ts");
