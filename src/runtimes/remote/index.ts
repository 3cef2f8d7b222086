/**
 * The remote runtime: cri-gateway in front of a real CRI runtime.
 *
 * @example
 * const core = createRemoteRuntime({
 *   gatewayUrl: () => "http://127.0.0.1:7070",
 *   maxMessageBytes: 16 << 20,
 *   settings: { upstream: "unix:///run/containerd/containerd.sock" },
 * });
 */
export {
  alwaysForwardedHeaders,
  createRemoteRuntime,
  defaultPullTimeoutMs,
  defaultTimeoutMs,
} from "./remote-runtime.js";
export { type Endpoint, parseEndpoint } from "./endpoint.js";
