/**
 * The REST-style read API: `GET /v1/...` routes over the read-only CRI
 * methods plus `POST /v1/containers/{id}/exec-sync`. Each answers with the
 * same JSON message the Connect API returns for that method, and fails with
 * the same error body and status. Ids may be unique prefixes (the core
 * resolves them).
 */
import { type Request, Router } from "express";
import { ImageService, RuntimeService } from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RuntimeCore } from "../../core/runtime-core.js";
import { parseExecSyncBody } from "./exec-sync-body.js";
import {
  containerFilterParams,
  imageFilterParams,
  podFilterParams,
  toContainerFilter,
  toImageFilter,
  toPodSandboxFilter,
} from "./filters.js";
import { defaultMaxBodyBytes, readJsonBody } from "./json-body.js";
import { type ReadLogs, createLogsRoute } from "./logs-route.js";
import { createUnaryRoute } from "./unary-route.js";

/** Options for {@link createRestRouter}. */
export interface RestRouterOptions {
  /** The intercepted core (never the raw one: REST calls must pass the interceptors). */
  readonly core: RuntimeCore;
  /** Largest accepted request body (exec-sync). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** LogService's ReadLogs (through the interceptors), for `/v1/containers/{id}/logs`; no route without it. */
  readonly readLogs?: ReadLogs;
}

const rt = RuntimeService.method;
const img = ImageService.method;

/**
 * Build the router serving every `/v1` REST route except `/v1/events` (see
 * `sse-events.ts`). Unknown query parameters and bad filter values are
 * invalid_argument (HTTP 400).
 */
export function createRestRouter({ core, maxBodyBytes = defaultMaxBodyBytes, readLogs }: RestRouterOptions): Router {
  const router = Router();
  const verbose = ["verbose"] as const;

  router.get("/v1/version", createUnaryRoute(core, { method: rt.version, request: () => ({}) }));
  router.get(
    "/v1/status",
    createUnaryRoute(core, { method: rt.status, query: verbose, request: (_, q) => ({ verbose: q.flag("verbose") }) }),
  );
  router.get("/v1/runtime-config", createUnaryRoute(core, { method: rt.runtimeConfig, request: () => ({}) }));

  router.get(
    "/v1/pods",
    createUnaryRoute(core, {
      method: rt.listPodSandbox,
      query: podFilterParams,
      request: (_, q) => ({ filter: toPodSandboxFilter(q) }),
    }),
  );
  router.get(
    "/v1/pods/:id",
    createUnaryRoute(core, {
      method: rt.podSandboxStatus,
      query: verbose,
      request: (req, q) => ({ podSandboxId: idOf(req), verbose: q.flag("verbose") }),
    }),
  );
  router.get(
    "/v1/pods/:id/stats",
    createUnaryRoute(core, { method: rt.podSandboxStats, request: (req) => ({ podSandboxId: idOf(req) }) }),
  );

  router.get(
    "/v1/containers",
    createUnaryRoute(core, {
      method: rt.listContainers,
      query: containerFilterParams,
      request: (_, q) => ({ filter: toContainerFilter(q) }),
    }),
  );
  router.get(
    "/v1/containers/:id",
    createUnaryRoute(core, {
      method: rt.containerStatus,
      query: verbose,
      request: (req, q) => ({ containerId: idOf(req), verbose: q.flag("verbose") }),
    }),
  );
  router.get(
    "/v1/containers/:id/stats",
    createUnaryRoute(core, { method: rt.containerStats, request: (req) => ({ containerId: idOf(req) }) }),
  );
  if (readLogs !== undefined) router.get("/v1/containers/:id/logs", createLogsRoute({ readLogs }));
  router.post(
    "/v1/containers/:id/exec-sync",
    createUnaryRoute(core, {
      method: rt.execSync,
      request: async (req) => ({ containerId: idOf(req), ...parseExecSyncBody(await readJsonBody(req, maxBodyBytes)) }),
    }),
  );

  router.get(
    "/v1/images",
    createUnaryRoute(core, {
      method: img.listImages,
      query: imageFilterParams,
      request: (_, q) => ({ filter: toImageFilter(q) }),
    }),
  );
  // A reference holds slashes and colons (docker.io/library/busybox:1.36,
  // sha256:…), so the rest of the path is the reference.
  router.get(
    "/v1/images/*ref",
    createUnaryRoute(core, {
      method: img.imageStatus,
      query: verbose,
      request: (req, q) => ({ image: { image: refOf(req) }, verbose: q.flag("verbose") }),
      // NOTE: CRI's ImageStatus answers an unknown image with an empty
      // message (the kubelet then pulls). A REST resource that does not
      // exist is a 404, so this route turns that answer into not_found.
      verify: (reply, request) => {
        if (reply.image === undefined) {
          throw new CoreError("not_found", `image "${request.image?.image ?? ""}" not found`);
        }
      },
    }),
  );
  router.get("/v1/imagefs", createUnaryRoute(core, { method: img.imageFsInfo, request: () => ({}) }));

  return router;
}

function idOf(req: Request): string {
  return String(req.params.id ?? "");
}

/** The wildcard's segments (already percent-decoded by the router) joined back into a reference. */
function refOf(req: Request): string {
  const raw: unknown = (req.params as Record<string, unknown>).ref;
  return Array.isArray(raw) ? raw.join("/") : String(raw ?? "");
}
