/**
 * Fallbacks that make an old upstream runtime look new. containerd 1.6, for
 * one, answers `unimplemented` for the Stream* lists and GetContainerEvents:
 * - a Stream* call is served from its List* twin (same filter), cut into
 *   responses that stay under the gateway's message limit;
 * - GetContainerEvents is synthesized by polling (see synthesized-events.ts).
 *
 * The first `unimplemented` for an endpoint and method is remembered, so
 * later calls go straight to the fallback, and logged once. An
 * `unimplemented` that arrives after items were streamed is passed on, never
 * answered by a fallback (that would duplicate items).
 */
import { type DescMessage, type MessageShape, create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ContainerSchema,
  ContainerStatsSchema,
  ImageSchema,
  ListContainerStatsRequestSchema,
  ListContainersRequestSchema,
  ListImagesRequestSchema,
  ListPodSandboxMetricsRequestSchema,
  ListPodSandboxRequestSchema,
  ListPodSandboxStatsRequestSchema,
  PodSandboxMetricsSchema,
  PodSandboxSchema,
  PodSandboxStatsSchema,
  StreamContainerStatsResponseSchema,
  StreamContainersResponseSchema,
  StreamImagesResponseSchema,
  StreamPodSandboxMetricsResponseSchema,
  StreamPodSandboxStatsResponseSchema,
  StreamPodSandboxesResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import type { CallContext } from "../../core/call-context.js";
import { isCoreError } from "../../core/core-error.js";
import type { RuntimeCore } from "../../core/runtime-core.js";
import { log } from "../../observability/logger.js";
import { synthesizeContainerEvents } from "./synthesized-events.js";

/** Default interval of the synthesized GetContainerEvents poll (setting `events-poll-ms`). */
export const defaultEventsPollMs = 1000;

/** What {@link withFallbacks} needs to know. */
export interface FallbackOptions {
  /** The RuntimeService upstream, as configured (`unix:///x.sock`). */
  readonly runtimeEndpoint: string;
  /** The ImageService upstream (the runtime endpoint unless set apart). */
  readonly imageEndpoint: string;
  /** Largest response the gateway sends; fallback chunks stay under it. */
  readonly maxMessageBytes: number;
  /** Interval of the synthesized event poll, in ms. */
  readonly eventsPollMs: number;
}

/** True when `err` is an upstream (or core) answer of `unimplemented`. */
export function isUnimplemented(err: unknown): boolean {
  return (err instanceof ConnectError && err.code === Code.Unimplemented) || isCoreError(err, "unimplemented");
}

/**
 * Remembers which endpoint lacks which method; `markLacking` logs the first
 * time only. One memory per remote core, so a restarted gateway asks again.
 */
export interface LackingMethods {
  has(endpoint: string, method: string): boolean;
  markLacking(endpoint: string, method: string, message: string): void;
}

/** An empty {@link LackingMethods}. */
export function createLackingMethods(): LackingMethods {
  const lacking = new Set<string>();
  return {
    has: (endpoint, method) => lacking.has(`${endpoint} ${method}`),
    markLacking(endpoint, method, message) {
      const key = `${endpoint} ${method}`;
      if (lacking.has(key)) return;
      lacking.add(key);
      log.info(message, { endpoint, method });
    },
  };
}

/**
 * Split `items` into runs whose encoded size stays under `maxBytes`. Each
 * item costs its binary size plus its field tag and length prefix; an item
 * bigger than the limit on its own goes out alone.
 */
export function chunkBySize<Desc extends DescMessage>(
  schema: Desc,
  items: readonly MessageShape<Desc>[],
  maxBytes: number,
): MessageShape<Desc>[][] {
  // NOTE: room for the response's own framing; the gRPC envelope is not counted by the limit.
  const budget = Math.max(1, maxBytes - 64);
  const chunks: MessageShape<Desc>[][] = [];
  let current: MessageShape<Desc>[] = [];
  let size = 0;
  for (const item of items) {
    const cost = toBinary(schema, item).byteLength + 6; // 1-byte tag + up to 5-byte length
    if (current.length > 0 && size + cost > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** One Stream* method and how its List* twin serves it. */
interface StreamTwin<Req, Item extends DescMessage, Res> {
  readonly method: string;
  readonly endpoint: string;
  readonly forward: (request: Req, ctx: CallContext) => AsyncIterable<Res>;
  readonly list: (request: Req, ctx: CallContext) => Promise<MessageShape<Item>[]>;
  readonly item: Item;
  readonly respond: (items: MessageShape<Item>[]) => Res;
}

/** A Stream* method that falls back to its List* twin on `unimplemented`. */
function streamWithFallback<Req, Item extends DescMessage, Res>(
  twin: StreamTwin<Req, Item, Res>,
  lacking: LackingMethods,
  maxMessageBytes: number,
): (request: Req, ctx: CallContext) => AsyncIterable<Res> {
  return async function* (request, ctx) {
    if (!lacking.has(twin.endpoint, twin.method)) {
      let yielded = false;
      try {
        for await (const response of twin.forward(request, ctx)) {
          yielded = true;
          yield response;
        }
        return;
      } catch (err) {
        if (yielded || !isUnimplemented(err)) throw err;
        lacking.markLacking(
          twin.endpoint,
          twin.method,
          `${twin.method} is unimplemented upstream; served from its List twin by the fallback`,
        );
      }
    }
    let items: MessageShape<Item>[];
    try {
      items = await twin.list(request, ctx);
    } catch (err) {
      // The contract: a stream ends (not fails) when ctx.signal aborts.
      if (ctx.signal.aborted) return;
      throw err;
    }
    for (const chunk of chunkBySize(twin.item, items, maxMessageBytes)) {
      if (ctx.signal.aborted) return;
      yield twin.respond(chunk);
    }
  };
}

/**
 * Wrap the remote core's six Stream* methods and GetContainerEvents with
 * their fallbacks. Everything else is returned untouched.
 */
export function withFallbacks(core: RuntimeCore, options: FallbackOptions): RuntimeCore {
  const { runtimeEndpoint: runtime, imageEndpoint: image, maxMessageBytes } = options;
  const lacking = createLackingMethods();
  const wrap = <Req, Item extends DescMessage, Res>(twin: StreamTwin<Req, Item, Res>) =>
    streamWithFallback(twin, lacking, maxMessageBytes);
  return {
    ...core,
    streamPodSandboxes: wrap({
      method: "StreamPodSandboxes",
      endpoint: runtime,
      forward: core.streamPodSandboxes,
      list: async (req, ctx) =>
        (await core.listPodSandbox(create(ListPodSandboxRequestSchema, { filter: req.filter }), ctx)).items,
      item: PodSandboxSchema,
      respond: (podSandboxes) => create(StreamPodSandboxesResponseSchema, { podSandboxes }),
    }),
    streamContainers: wrap({
      method: "StreamContainers",
      endpoint: runtime,
      forward: core.streamContainers,
      list: async (req, ctx) =>
        (await core.listContainers(create(ListContainersRequestSchema, { filter: req.filter }), ctx)).containers,
      item: ContainerSchema,
      respond: (containers) => create(StreamContainersResponseSchema, { containers }),
    }),
    streamContainerStats: wrap({
      method: "StreamContainerStats",
      endpoint: runtime,
      forward: core.streamContainerStats,
      list: async (req, ctx) =>
        (await core.listContainerStats(create(ListContainerStatsRequestSchema, { filter: req.filter }), ctx)).stats,
      item: ContainerStatsSchema,
      respond: (containerStats) => create(StreamContainerStatsResponseSchema, { containerStats }),
    }),
    streamPodSandboxStats: wrap({
      method: "StreamPodSandboxStats",
      endpoint: runtime,
      forward: core.streamPodSandboxStats,
      list: async (req, ctx) =>
        (await core.listPodSandboxStats(create(ListPodSandboxStatsRequestSchema, { filter: req.filter }), ctx)).stats,
      item: PodSandboxStatsSchema,
      respond: (podSandboxStats) => create(StreamPodSandboxStatsResponseSchema, { podSandboxStats }),
    }),
    streamPodSandboxMetrics: wrap({
      method: "StreamPodSandboxMetrics",
      endpoint: runtime,
      forward: core.streamPodSandboxMetrics,
      list: async (_req, ctx) =>
        (await core.listPodSandboxMetrics(create(ListPodSandboxMetricsRequestSchema, {}), ctx)).podMetrics,
      item: PodSandboxMetricsSchema,
      respond: (podSandboxMetrics) => create(StreamPodSandboxMetricsResponseSchema, { podSandboxMetrics }),
    }),
    streamImages: wrap({
      method: "StreamImages",
      endpoint: image,
      forward: core.streamImages,
      list: async (req, ctx) => (await core.listImages(create(ListImagesRequestSchema, { filter: req.filter }), ctx)).images,
      item: ImageSchema,
      respond: (images) => create(StreamImagesResponseSchema, { images }),
    }),
    getContainerEvents: async function* (request, ctx) {
      if (!lacking.has(runtime, "GetContainerEvents")) {
        let yielded = false;
        try {
          for await (const event of core.getContainerEvents(request, ctx)) {
            yielded = true;
            yield event;
          }
          return;
        } catch (err) {
          if (yielded || !isUnimplemented(err)) throw err;
          lacking.markLacking(runtime, "GetContainerEvents", "GetContainerEvents synthesized by polling");
        }
      }
      yield* synthesizeContainerEvents(core, ctx, options.eventsPollMs);
    },
  };
}
