/**
 * The gateway's streaming URLs: Exec, Attach and PortForward answer with
 * `<gateway>/stream/<kind>/<token>`, and the gateway serves the HTTP upgrade
 * made to that URL (WebSocket or SPDY/3.1), like the kubelet's streaming server.
 */

/** The three streaming verbs, also the path segment after `/stream/`. */
export const streamKinds = ["exec", "attach", "portforward"] as const;
/** One of {@link streamKinds}. */
export type StreamKind = (typeof streamKinds)[number];

/** What a streaming URL names. */
export interface StreamRoute {
  readonly kind: StreamKind;
  readonly token: string;
}

/** The path prefix every streaming URL starts with. */
export const streamPathPrefix = "/stream/";

const routePattern = /^\/stream\/(exec|attach|portforward)\/([A-Za-z0-9_-]{1,128})\/?(?:\?.*)?$/;

/** True when a request path (with or without query) is under {@link streamPathPrefix}. */
export function isStreamPath(url: string): boolean {
  return url.startsWith(streamPathPrefix);
}

/** Parse a request path like `/stream/exec/AbC?x=1`; undefined when it is not a well-formed streaming URL. */
export function parseStreamRoute(url: string): StreamRoute | undefined {
  const match = routePattern.exec(url);
  if (match === null) return undefined;
  return { kind: match[1] as StreamKind, token: match[2] as string };
}

/** The URL a client connects to for `route`, on the gateway at `baseUrl`. */
export function toStreamUrl(baseUrl: string, { kind, token }: StreamRoute): string {
  return `${baseUrl.replace(/\/+$/, "")}${streamPathPrefix}${kind}/${token}`;
}
