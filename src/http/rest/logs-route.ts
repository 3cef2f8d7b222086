/**
 * `GET /v1/containers/{id}/logs`: the gateway's LogService over plain HTTP,
 * with the query parameters the kubelet's own log endpoint takes (`follow`,
 * `tailLines`, `sinceTime`, `sinceSeconds`, `timestamps`, `limitBytes`,
 * `stream=stdout|stderr|all`). Three renderings:
 * - `text/plain` (default): the lines as `kubectl logs` prints them;
 * - JSON lines (`Accept: application/x-ndjson` or `?format=json`): one
 *   LogEntry in proto JSON per line;
 * - Server-Sent Events (`Accept: text/event-stream` or `?format=sse`):
 *   `event: log` with a LogEntry per message.
 * Failures before the first byte are the usual error body and status; a
 * failure later ends the stream (JSON lines and SSE say why first).
 */
import { create, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorToJson } from "@connectrpc/connect/protocol-connect";
import type { Request, RequestHandler, Response } from "express";
import {
  LogEntrySchema,
  LogStream,
  type ReadLogsRequest,
  ReadLogsRequestSchema,
  type ReadLogsResponse,
} from "../../../gen/crigateway/v1/logs_pb.js";
import type { CallContext } from "../../core/call-context.js";
import { CoreError } from "../../core/core-error.js";
import { renderLogText } from "../../logs/render-text.js";
import { toConnectError } from "../../services/errors.js";
import { createSseWriter } from "../sse-writer.js";
import { createRestCallContext } from "./call-context.js";
import { sendRestError } from "./error-reply.js";
import { type RestQuery, parseRestQuery } from "./query.js";

/** Reads logs; the gateway passes LogService's ReadLogs, already through the interceptors. */
export type ReadLogs = (request: ReadLogsRequest, ctx: CallContext) => AsyncIterable<ReadLogsResponse>;

/** The query parameters of the route. */
export const logsQueryParams = [
  "follow",
  "tailLines",
  "sinceTime",
  "sinceSeconds",
  "timestamps",
  "limitBytes",
  "stream",
  "format",
] as const;

type Format = "text" | "json" | "sse";

const where = "crigateway.v1.LogService/ReadLogs (REST)";
/** How long the head waits for the first lines (errors come sooner: they are found before reading). */
const headWaitMs = 200;

/** Create the handler over `readLogs`. */
export function createLogsRoute({ readLogs, heartbeatMs = 15_000 }: { readLogs: ReadLogs; heartbeatMs?: number }): RequestHandler {
  return async function containerLogs(req: Request, res: Response): Promise<void> {
    const controller = new AbortController();
    let iterator: AsyncIterator<ReadLogsResponse> | undefined;
    let started = false;
    try {
      const query = parseRestQuery(req.originalUrl, logsQueryParams);
      const format = formatOf(query, req.get("accept") ?? "");
      const request = toReadLogsRequest(String(req.params.id ?? ""), query);
      iterator = readLogs(request, createRestCallContext(req, res, controller))[Symbol.asyncIterator]();
      let next = iterator.next();
      const early = await Promise.race([next, delay(headWaitMs)]);
      const out = createOutput(res, format, request.timestamps, heartbeatMs);
      out.open();
      started = true;
      if (early !== undefined) next = Promise.resolve(early);
      for (;;) {
        let step: IteratorResult<ReadLogsResponse>;
        try {
          step = await next;
        } catch (err) {
          if (!controller.signal.aborted) await out.fail(toConnectError(err, where));
          break;
        }
        if (step.done === true || out.closed) break;
        await out.batch(step.value);
        next = iterator.next();
      }
      out.end();
    } catch (err) {
      if (!started) sendRestError(req, res, err, where);
      else res.end();
    } finally {
      controller.abort(new ConnectError("log stream closed", Code.Canceled));
      void iterator?.return?.().catch(() => undefined);
    }
  };
}

/** Build the ReadLogs request from the path id and the query. Throws invalid_argument. */
export function toReadLogsRequest(containerId: string, query: RestQuery): ReadLogsRequest {
  const stream = query.text("stream");
  const streams: Record<string, LogStream> = { all: LogStream.ALL, stdout: LogStream.STDOUT, stderr: LogStream.STDERR };
  if (stream !== undefined && streams[stream] === undefined) {
    throw new CoreError("invalid_argument", `query parameter "stream" must be stdout, stderr or all, got "${stream}"`);
  }
  return create(ReadLogsRequestSchema, {
    containerId,
    follow: query.flag("follow"),
    timestamps: query.flag("timestamps"),
    tailLines: integer(query, "tailLines"),
    sinceSeconds: integer(query, "sinceSeconds"),
    limitBytes: integer(query, "limitBytes"),
    sinceTime: query.text("sinceTime") ?? "",
    stream: stream === undefined ? LogStream.UNSPECIFIED : streams[stream],
  });
}

function integer(query: RestQuery, name: string): bigint | undefined {
  const text = query.text(name);
  if (text === undefined) return undefined;
  if (!/^\d{1,18}$/.test(text)) {
    throw new CoreError("invalid_argument", `query parameter "${name}" must be a non-negative integer, got "${text}"`);
  }
  return BigInt(text);
}

function formatOf(query: RestQuery, accept: string): Format {
  const format = query.text("format");
  if (format !== undefined) {
    if (format === "text" || format === "json" || format === "sse") return format;
    throw new CoreError("invalid_argument", `query parameter "format" must be text, json or sse, got "${format}"`);
  }
  if (/\btext\/event-stream\b/.test(accept)) return "sse";
  if (/\bapplication\/(x-ndjson|jsonl|json-seq)\b/.test(accept)) return "json";
  return "text";
}

interface Output {
  readonly closed: boolean;
  open(): void;
  batch(batch: ReadLogsResponse): Promise<void>;
  fail(error: ConnectError): Promise<void>;
  end(): void;
}

function createOutput(res: Response, format: Format, timestamps: boolean, heartbeatMs: number): Output {
  if (format === "sse") {
    const sse = createSseWriter(res, { heartbeatMs });
    return {
      get closed() {
        return sse.closed;
      },
      open: () => sse.open(),
      async batch(batch) {
        for (const entry of batch.entries) await sse.event("log", toJsonString(LogEntrySchema, entry));
      },
      fail: (error) => sse.event("error", JSON.stringify(errorToJson(error, undefined))),
      end: () => sse.end(),
    };
  }
  let gone = false;
  res.once("close", () => {
    gone = true;
  });
  const write = async (chunk: Buffer | string): Promise<void> => {
    if (gone || res.writableEnded) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  };
  return {
    get closed() {
      return gone || res.writableEnded;
    },
    open() {
      res.writeHead(200, {
        "content-type": format === "json" ? "application/x-ndjson" : "text/plain; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
        "x-content-type-options": "nosniff",
      });
      // Send the head now: a follow may wait long for its first line.
      res.flushHeaders();
    },
    async batch(batch) {
      if (format === "json") {
        await write(batch.entries.map((e) => `${toJsonString(LogEntrySchema, e)}\n`).join(""));
      } else {
        await write(Buffer.concat(batch.entries.map((e) => renderLogText(e, timestamps))));
      }
    },
    // Plain text has no place for an error after the head; JSON lines say it on a last line.
    fail: (error) => (format === "json" ? write(`${JSON.stringify({ error: errorToJson(error, undefined) })}\n`) : Promise.resolve()),
    end() {
      if (!res.writableEnded) res.end();
    },
  };
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
}
