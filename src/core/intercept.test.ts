import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCallContext } from "./call-context.js";
import { CoreError } from "./core-error.js";
import { type CoreInterceptor, interceptCore } from "./intercept.js";
import { loadCore } from "./registry.js";

const options = { gatewayUrl: () => "http://127.0.0.1:1", maxMessageBytes: 1 << 20, settings: {} };

describe("interceptCore", () => {
  it("returns the core itself when there is nothing to apply", async () => {
    const core = await loadCore("memory", options);
    assert.equal(interceptCore(core, []), core);
  });

  it("runs unary calls through every interceptor, outermost first", async () => {
    const seen: string[] = [];
    const tag = (name: string): CoreInterceptor => ({
      async unary(call, next) {
        seen.push(`${name}>${call.method.name}`);
        const res = await next(call);
        seen.push(`${name}<`);
        return res;
      },
    });
    const core = interceptCore(await loadCore("memory", options), [tag("a"), tag("b")]);
    const v = await core.version({ $typeName: "runtime.v1.VersionRequest", version: "" }, createCallContext());
    assert.equal(v.runtimeApiVersion, "v1");
    assert.deepEqual(seen, ["a>Version", "b>Version", "b<", "a<"]);
  });

  it("lets an interceptor refuse a call before it reaches the core", async () => {
    const deny: CoreInterceptor = {
      unary(call) {
        throw new CoreError("failed_precondition", `${call.method.name} refused`);
      },
    };
    const core = interceptCore(await loadCore("memory", options), [deny]);
    await assert.rejects(
      core.removeImage({ $typeName: "runtime.v1.RemoveImageRequest" }, createCallContext()),
      /RemoveImage refused/,
    );
  });

  it("wraps server streams and sees the headers of the call", async () => {
    let header: string | null = null;
    const spy: CoreInterceptor = {
      async *stream(call, next) {
        header = call.ctx.headers.get("x-request-id");
        yield* next(call);
      },
    };
    const core = interceptCore(await loadCore("memory", options), [spy]);
    const ctx = createCallContext({ headers: new Headers({ "x-request-id": "r-1" }) });
    const chunks = [];
    for await (const chunk of core.streamImages({ $typeName: "runtime.v1.StreamImagesRequest" }, ctx)) {
      chunks.push(chunk);
    }
    assert.equal(header, "r-1");
    assert.ok(chunks.length >= 1);
  });
});
