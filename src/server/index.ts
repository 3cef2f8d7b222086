/**
 * The gateway's listeners: one TCP port for HTTP/1.1 and h2c (or TLS with
 * ALPN), a unix socket with the `:authority` fix for gRPC clients, and
 * graceful close.
 */
export { serve } from "./serve.js";
export type { RequestHandler, ServeOptions, Serving, ServerLogger, TlsOptions, UpgradeHandler } from "./serve-options.js";

// For other listeners and tests; not needed to run the gateway.
export { createAuthorityFixStream, createAuthorityRewriter, isValidAuthority } from "./authority-fix.js";
export type { AuthorityFixOptions, AuthorityRewriter } from "./authority-fix.js";
export { defaultServerGraceMs } from "./connection-tracker.js";
export { createHostGuard, exposureWarning, isLoopbackHost, parseHostname } from "./host-check.js";
export type { HostGuard } from "./host-check.js";
export { defaultMaxConnections, http2MaxConcurrentStreams } from "./limits.js";
export { classifyPreface, http2Preface, sniffProtocol } from "./sniff.js";
export type { SniffedProtocol } from "./sniff.js";
