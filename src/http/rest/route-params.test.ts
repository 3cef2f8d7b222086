/**
 * Parameter parsing by declared type, and laying values into request JSON,
 * on request stand-ins (only `originalUrl` and `params` are read).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Request } from "express";
import { parseRouteParams, toRequestJson } from "./route-params.js";
import type { RestRouteSpec } from "./route-spec.js";

const route: RestRouteSpec = {
  operationId: "rest_sample",
  method: "get",
  path: "/v1/things/{id}",
  summary: "s",
  description: "d",
  target: { kind: "handler", name: "sample" },
  params: [
    { name: "id", in: "path", type: "string", field: "thingId", description: "" },
    { name: "follow", in: "query", type: "boolean", field: "follow", description: "" },
    { name: "tailLines", in: "query", type: "integer", minimum: 0, field: "tail.lines", description: "" },
    { name: "sinceTime", in: "query", type: "date-time", description: "" },
    { name: "stream", in: "query", type: "enum", values: { stdout: "STDOUT", all: "ALL" }, description: "" },
    { name: "label", in: "query", type: "labels", field: "filter.labelSelector", description: "" },
  ],
  responses: { description: "", content: [{ type: "text/plain", schema: { type: "string" } }], errors: [400] },
  readOnly: true,
  standalone: false,
};

function request(query: string): Request {
  return { originalUrl: `/v1/things/abc${query}`, params: { id: "abc" } } as unknown as Request;
}

describe("parseRouteParams", () => {
  it("parses each declared type", () => {
    const params = parseRouteParams(route, request("?follow&tailLines=10&sinceTime=2024-05-01T10:00:00Z&stream=All&label=a=b=c"));
    assert.deepEqual(params, {
      id: "abc",
      follow: true,
      tailLines: 10,
      sinceTime: "2024-05-01T10:00:00Z",
      stream: "ALL",
      label: { a: "b=c" },
    });
  });

  const bad: { desc: string; query: string; message: RegExp }[] = [
    { desc: "refuses an unknown parameter", query: "?tail=1", message: /unknown query parameter "tail"; expected follow, tailLines/ },
    { desc: "refuses a negative integer", query: "?tailLines=-1", message: /"tailLines" must be a whole number of at least 0, got "-1"/ },
    { desc: "refuses a fractional integer", query: "?tailLines=1.5", message: /"tailLines" must be a whole number/ },
    { desc: "refuses a time that is not RFC 3339", query: "?sinceTime=yesterday", message: /"sinceTime" must be an RFC 3339 time/ },
    { desc: "refuses an enum value it does not know", query: "?stream=stdin", message: /"stream" must be one of stdout, all, got "stdin"/ },
    { desc: "refuses a flag that is not true or false", query: "?follow=maybe", message: /"follow" must be true or false/ },
  ];
  for (const c of bad) {
    it(c.desc, () => assert.throws(() => parseRouteParams(route, request(c.query)), { kind: "invalid_argument", message: c.message }));
  }
});

describe("toRequestJson", () => {
  it("sets fields by dotted path, leaves absent and false ones out, and merges the body", () => {
    const params = parseRouteParams(route, request("?tailLines=3&label=app=web"));
    assert.deepEqual(toRequestJson(route, params, { cmd: ["x"] }), {
      thingId: "abc",
      tail: { lines: 3 },
      filter: { labelSelector: { app: "web" } },
      cmd: ["x"],
    });
  });
});
