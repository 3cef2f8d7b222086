/**
 * `GET /v1/events`: CRI GetContainerEvents as Server-Sent Events, for
 * clients that cannot read Connect streaming (browsers' EventSource, curl,
 * plain HTTP libraries). Each CRI event is one SSE message:
 *
 *     id: 7
 *     event: container
 *     data: {"containerId":"…","containerEventType":"CONTAINER_STARTED_EVENT",…}
 *
 * `data` is the ContainerEventResponse in proto JSON, exactly as Connect JSON
 * sends it. When the event stream fails (or the gateway shuts down) a last
 * `event: error` carries the Connect error JSON; then the response ends.
 *
 * NOTE: ids count messages of one response, from 1. CRI keeps no event
 * history, so a reconnect's `Last-Event-ID` cannot be honoured: a client that
 * reconnects should relist (`/v1/containers`), as a kubelet does.
 */
import { create, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorToJson } from "@connectrpc/connect/protocol-connect";
import type { Request, Response } from "express";
import {
  type ContainerEventResponse,
  ContainerEventResponseSchema,
  GetEventsRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../core/core-error.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import { toConnectError } from "../services/errors.js";
import { createRestCallContext } from "./rest/call-context.js";
import { sendRestError } from "./rest/error-reply.js";
import type { RestHandler } from "./rest/routes.js";
import { createSseWriter } from "./sse-writer.js";

/** How often an idle event stream sends a `: keep-alive` comment (15 s). */
export const defaultSseHeartbeatMs = 15_000;

/** Options for {@link createSseEventsHandler}. */
export interface SseEventsOptions {
  /** The intercepted core (events must pass the same interceptors as RPCs). */
  readonly core: RuntimeCore;
  /** Heartbeat interval in ms. Default {@link defaultSseHeartbeatMs}. */
  readonly heartbeatMs?: number;
  /** Aborting it ends every open event stream with an `unavailable` error event. */
  readonly shutdownSignal?: AbortSignal;
}

const where = "runtime.v1.RuntimeService/GetContainerEvents (SSE)";

type Step = { result: IteratorResult<ContainerEventResponse> } | { error: unknown };

/**
 * Create the `GET /v1/events` handler, the route table's `containerEvents`
 * (the router has checked the query already). Each request subscribes to the core's
 * event stream; the subscription is released when the client disconnects,
 * when the stream fails, or at shutdown. Throws at creation when
 * `heartbeatMs` is not a positive integer.
 */
export function createSseEventsHandler({
  core,
  heartbeatMs = defaultSseHeartbeatMs,
  shutdownSignal,
}: SseEventsOptions): RestHandler {
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs <= 0) {
    throw new Error(`SSE heartbeat must be a positive number of milliseconds, got ${heartbeatMs}`);
  }
  return async function sseEvents(req: Request, res: Response): Promise<void> {
    const controller = new AbortController();
    const shuttingDownNow = () => shutdownSignal?.aborted === true;
    const onShutdown = () => controller.abort(shuttingDown());
    let iterator: AsyncIterator<ContainerEventResponse> | undefined;
    let finished = false;
    try {
      if (shuttingDownNow()) throw new CoreError("unavailable", "gateway is shutting down");
      shutdownSignal?.addEventListener("abort", onShutdown, { once: true });
      const ctx = createRestCallContext(req, res, controller);
      const stream = core.getContainerEvents(create(GetEventsRequestSchema), ctx);
      iterator = stream[Symbol.asyncIterator]();
      // Asking for the first event before the head is sent subscribes now,
      // so nothing that happens after the client sees the head is missed.
      let next = settle(iterator.next());
      // One turn of the event loop lets an interceptor refuse the call (say,
      // authentication) while a proper HTTP status can still be sent.
      const early = await Promise.race([next, nextTurn()]);
      if (early !== undefined && "error" in early) throw early.error;

      if (req.method === "HEAD") {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" }).end();
        return;
      }
      const writer = createSseWriter(res, { heartbeatMs });
      writer.open();
      let id = 0;
      try {
        for (;;) {
          const step = await next;
          if ("error" in step) {
            finished = true;
            const error = shuttingDownNow() ? shuttingDown() : toConnectError(step.error, where);
            if (!writer.closed) await writer.event("error", JSON.stringify(errorToJson(error, undefined)));
            return;
          }
          if (step.result.done === true) {
            finished = true;
            // Cores end their streams quietly on abort; say why, as the
            // Connect stream does, so a client knows to reconnect.
            if (shuttingDownNow() && !writer.closed) {
              await writer.event("error", JSON.stringify(errorToJson(shuttingDown(), undefined)));
            }
            return;
          }
          if (writer.closed) return;
          id += 1;
          await writer.event("container", toJsonString(ContainerEventResponseSchema, step.result.value), String(id));
          if (writer.closed) return;
          next = settle(iterator.next());
        }
      } finally {
        writer.end();
      }
    } catch (err) {
      finished = true;
      sendRestError(req, res, err, where);
    } finally {
      shutdownSignal?.removeEventListener("abort", onShutdown);
      // Release the subscription on every way out (the client may be gone).
      controller.abort(new ConnectError("event stream closed", Code.Canceled));
      if (!finished) void iterator?.return?.().catch(() => undefined);
    }
  };
}

function settle(promise: Promise<IteratorResult<ContainerEventResponse>>): Promise<Step> {
  return promise.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
}

function nextTurn(): Promise<undefined> {
  return new Promise((resolve) => setImmediate(() => resolve(undefined)));
}

function shuttingDown(): ConnectError {
  return new ConnectError("gateway is shutting down", Code.Unavailable);
}
