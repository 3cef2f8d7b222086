/**
 * Container logs: the kubelet's CRI log format reader and the gateway's
 * LogService over it. Served over gRPC/Connect (`crigateway.v1.LogService`)
 * and REST (`GET /v1/containers/{id}/logs`).
 */
export { type LogReader, type LogReaderOptions, createLogReader, toLogEntry } from "./log-service.js";
export { renderLogText } from "./render-text.js";
export { type LogReadOptions, toLogReadOptions } from "./log-options.js";
export { formatCriWriteTime, formatLogTime, parseLogTime } from "./log-time.js";
