/**
 * Exec, Attach and PortForward streams through the gateway: the URLs the
 * RPCs return, the upgrade routing, and the proxy to a runtime's own
 * streaming server.
 */
export { type StreamKind, type StreamRoute, isStreamPath, parseStreamRoute, streamKinds, toStreamUrl } from "./stream-route.js";
export { type TokenCache, TokenCacheFullError, createTokenCache } from "./token-cache.js";
export { type StreamingProxy, createStreamingProxy, defaultStreamTokenTtlMs } from "./streaming-proxy.js";
export { createUpgradeRouter } from "./upgrade-router.js";
export { refuseUpgrade, wantsStreamUpgrade } from "./raw-response.js";
