/**
 * The proto3 JSON mapping of field types, checked on the CRI descriptors
 * embedded in gen/, and against what protobuf-es toJson actually writes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DescMessage,
  ScalarType,
  create,
  createFileRegistry,
  fromJson,
  toJson,
  type JsonValue as ProtoJson,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  ContainerConfigSchema,
  ContainerStateSchema,
  ContainerStatsSchema,
  ContainerStatusResponseSchema,
  ExecSyncRequestSchema,
  ExecSyncResponseSchema,
  ListContainersResponseSchema,
  MountSchema,
  PodSandboxConfigSchema,
  PodSandboxMetadataSchema,
  PsiDataSchema,
  StopContainerRequestSchema,
  UInt64ValueSchema,
  file_runtime_v1_api,
} from "../../gen/runtime/v1/api_pb.js";
import {
  enumSchema,
  fieldSchema,
  messageSchema,
  reachableTypes,
  scalarSchema,
  schemaRefPrefix,
  typeSchema,
} from "./json-mapping.js";
import type { Schema } from "./openapi-types.js";

function field(message: DescMessage, localName: string) {
  const f = message.fields.find((x) => x.localName === localName);
  assert.ok(f, `${message.typeName} has no field ${localName}`);
  return f;
}

describe("fieldSchema", () => {
  const cases: { desc: string; message: DescMessage; field: string; want: Schema }[] = [
    {
      desc: "writes int64 as a signed decimal string",
      message: StopContainerRequestSchema,
      field: "timeout",
      want: { type: "string", format: "int64", pattern: "^-?[0-9]+$" },
    },
    {
      desc: "writes uint64 as an unsigned decimal string",
      message: UInt64ValueSchema,
      field: "value",
      want: { type: "string", pattern: "^[0-9]+$" },
    },
    {
      desc: "writes int32 as an int32 integer",
      message: ExecSyncResponseSchema,
      field: "exitCode",
      want: { type: "integer", format: "int32" },
    },
    {
      desc: "bounds uint32 to 0..2^32-1",
      message: PodSandboxMetadataSchema,
      field: "attempt",
      want: { type: "integer", minimum: 0, maximum: 4294967295 },
    },
    {
      desc: "writes bytes as base64 text",
      message: ExecSyncResponseSchema,
      field: "stdout",
      want: { type: "string", contentEncoding: "base64" },
    },
    {
      desc: "allows the non-finite spellings for double",
      message: PsiDataSchema,
      field: "Avg10",
      want: { oneOf: [{ type: "number", format: "double" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] },
    },
    { desc: "writes bool as boolean", message: ContainerConfigSchema, field: "tty", want: { type: "boolean" } },
    {
      desc: "refers to an enum field's component",
      message: ContainerConfigSchema,
      field: "stopSignal",
      want: { $ref: `${schemaRefPrefix}runtime.v1.Signal` },
    },
    {
      desc: "refers to a message field's component",
      message: ContainerConfigSchema,
      field: "image",
      want: { $ref: `${schemaRefPrefix}runtime.v1.ImageSpec` },
    },
    {
      desc: "writes map<string, string> as an object of strings",
      message: PodSandboxConfigSchema,
      field: "labels",
      want: { type: "object", additionalProperties: { type: "string" } },
    },
    {
      desc: "writes a repeated message as an array of $ref",
      message: ListContainersResponseSchema,
      field: "containers",
      want: { type: "array", items: { $ref: `${schemaRefPrefix}runtime.v1.Container` } },
    },
    {
      desc: "writes a repeated scalar as an array of that scalar",
      message: ExecSyncRequestSchema,
      field: "cmd",
      want: { type: "array", items: { type: "string" } },
    },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.deepEqual(fieldSchema(field(c.message, c.field)), c.want));
  }

  it("adds the description it is given", () => {
    assert.deepEqual(
      fieldSchema(field(StopContainerRequestSchema, "timeout"), () => "Grace period."),
      { description: "Grace period.", type: "string", format: "int64", pattern: "^-?[0-9]+$" },
    );
  });
});

describe("scalarSchema", () => {
  const cases: { desc: string; type: ScalarType; want: Schema }[] = [
    { desc: "treats sint64 like int64", type: ScalarType.SINT64, want: scalarSchema(ScalarType.INT64) },
    { desc: "treats sfixed64 like int64", type: ScalarType.SFIXED64, want: scalarSchema(ScalarType.INT64) },
    { desc: "treats fixed64 like uint64", type: ScalarType.FIXED64, want: scalarSchema(ScalarType.UINT64) },
    { desc: "treats fixed32 like uint32", type: ScalarType.FIXED32, want: scalarSchema(ScalarType.UINT32) },
    { desc: "treats sint32 like int32", type: ScalarType.SINT32, want: scalarSchema(ScalarType.INT32) },
    { desc: "writes string as string", type: ScalarType.STRING, want: { type: "string" } },
    {
      desc: "writes float as a float number or a non-finite name",
      type: ScalarType.FLOAT,
      want: { oneOf: [{ type: "number", format: "float" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] },
    },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.deepEqual(scalarSchema(c.type), c.want));
  }
});

describe("messageSchema", () => {
  it("keys properties by json name in declaration order, marks nothing required and rejects unknown fields", () => {
    const schema = messageSchema(MountSchema);
    assert.deepEqual(Object.keys(schema.properties ?? {}), [
      "containerPath",
      "hostPath",
      "readonly",
      "selinuxRelabel",
      "propagation",
      "uidMappings",
      "gidMappings",
      "recursiveReadOnly",
      "image",
      "imageSubPath",
      "mountOptions",
    ]);
    assert.equal(schema.required, undefined);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.type, "object");
  });

  it("uses protobuf's json name for upstream's odd field names", () => {
    assert.ok(messageSchema(ContainerConfigSchema).properties?.CDIDevices, "CDI_devices -> CDIDevices");
    assert.ok(messageSchema(PsiDataSchema).properties?.Total, "Total stays Total");
  });
});

describe("enumSchema", () => {
  it("lists the value names, which is what toJson writes", () => {
    assert.deepEqual(enumSchema(ContainerStateSchema), {
      type: "string",
      enum: ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN"],
    });
  });

  it("lists value comments in the description", () => {
    const schema = enumSchema(ContainerStateSchema, (d) => (d.kind === "enum_value" ? `is ${d.name}` : "States."));
    assert.match(schema.description ?? "", /^States\.\n\n- `CONTAINER_CREATED`: is CONTAINER_CREATED\n/);
  });
});

/** A small file with what CRI lacks: a oneof, non-string map keys, a well-known type. */
function oddFile() {
  const proto = create(FileDescriptorProtoSchema, {
    name: "odd.proto",
    package: "odd",
    syntax: "proto3",
    messageType: [
      {
        name: "Choice",
        field: [
          { name: "a", number: 1, type: 9, label: 1, oneofIndex: 0, jsonName: "a" },
          { name: "b_c", number: 2, type: 5, label: 1, oneofIndex: 0, jsonName: "bC" },
          { name: "plain", number: 3, type: 8, label: 1, jsonName: "plain" },
          { name: "by_id", number: 4, type: 11, label: 3, typeName: ".odd.Choice.ByIdEntry", jsonName: "byId" },
          { name: "by_flag", number: 5, type: 11, label: 3, typeName: ".odd.Choice.ByFlagEntry", jsonName: "byFlag" },
        ],
        oneofDecl: [{ name: "pick" }],
        nestedType: [
          {
            name: "ByIdEntry",
            options: { mapEntry: true },
            field: [
              { name: "key", number: 1, type: 3, label: 1, jsonName: "key" },
              { name: "value", number: 2, type: 12, label: 1, jsonName: "value" },
            ],
          },
          {
            name: "ByFlagEntry",
            options: { mapEntry: true },
            field: [
              { name: "key", number: 1, type: 8, label: 1, jsonName: "key" },
              { name: "value", number: 2, type: 9, label: 1, jsonName: "value" },
            ],
          },
        ],
      },
      {
        name: "Stamped",
        field: [{ name: "at", number: 1, type: 11, label: 1, typeName: ".google.protobuf.Timestamp", jsonName: "at" }],
      },
    ],
    dependency: ["google/protobuf/timestamp.proto"],
  });
  const timestamp = create(FileDescriptorProtoSchema, {
    name: "google/protobuf/timestamp.proto",
    package: "google.protobuf",
    syntax: "proto3",
    messageType: [
      {
        name: "Timestamp",
        field: [
          { name: "seconds", number: 1, type: 3, label: 1, jsonName: "seconds" },
          { name: "nanos", number: 2, type: 5, label: 1, jsonName: "nanos" },
        ],
      },
    ],
  });
  const registry = createFileRegistry(proto, (name) => (name === timestamp.name ? createFileRegistry(timestamp, () => undefined).getFile(name) : undefined));
  const choice = registry.getMessage("odd.Choice");
  const stamped = registry.getMessage("odd.Stamped");
  assert.ok(choice && stamped);
  return { choice, stamped };
}

describe("oneofs, map keys and well-known types", () => {
  const { choice, stamped } = oddFile();

  it("says a oneof's members exclude each other", () => {
    assert.deepEqual(messageSchema(choice).dependentSchemas, {
      a: { not: { anyOf: [{ required: ["bC"] }] } },
      bC: { not: { anyOf: [{ required: ["a"] }] } },
    });
    assert.match(messageSchema(choice).description ?? "", /Oneof `pick`: at most one of `a`, `bC` is set\./);
  });

  it("constrains integer and bool map keys to their JSON spelling", () => {
    assert.deepEqual(fieldSchema(field(choice, "byId")), {
      type: "object",
      propertyNames: { type: "string", pattern: "^-?[0-9]+$" },
      additionalProperties: { type: "string", contentEncoding: "base64" },
    });
    assert.deepEqual(fieldSchema(field(choice, "byFlag")).propertyNames, { type: "string", enum: ["true", "false"] });
  });

  it("refuses well-known types rather than document them as plain objects", () => {
    assert.throws(() => messageSchema(stamped), /no JSON mapping for well-known type google\.protobuf\.Timestamp/);
  });
});

describe("reachableTypes", () => {
  it("collects nested messages and enums, sorted, without duplicates", () => {
    const names = reachableTypes([ListContainersResponseSchema, ListContainersResponseSchema]).map((d) => d.typeName);
    assert.deepEqual(names, [
      "runtime.v1.Container",
      "runtime.v1.ContainerMetadata",
      "runtime.v1.ContainerState",
      "runtime.v1.ImageSpec",
      "runtime.v1.ListContainersResponse",
    ]);
  });
});

/**
 * A validator for exactly the schema subset the generator writes; enough to
 * show that what toJson emits is what the schemas say.
 */
function validate(value: ProtoJson, schema: Schema, components: Record<string, Schema>, path = "$"): string[] {
  if (schema.$ref !== undefined) {
    const target = components[schema.$ref.slice(schemaRefPrefix.length)];
    return target ? validate(value, target, components, path) : [`${path}: unresolved ${schema.$ref}`];
  }
  if (schema.oneOf) {
    const passing = schema.oneOf.filter((s) => validate(value, s, components, path).length === 0).length;
    return passing === 1 ? [] : [`${path}: matches ${passing} oneOf branches`];
  }
  const errors: string[] = [];
  const jsonType =
    value === null ? "null" : Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
  const typeOk = schema.type === undefined || schema.type === jsonType || (schema.type === "number" && jsonType === "integer");
  if (!typeOk) return [`${path}: ${jsonType} is not ${schema.type}`];
  if (schema.enum && !schema.enum.includes(value as string)) errors.push(`${path}: ${String(value)} not in enum`);
  if (schema.pattern && !new RegExp(schema.pattern).test(value as string)) errors.push(`${path}: does not match pattern`);
  if (schema.contentEncoding === "base64" && !/^[A-Za-z0-9+/]*={0,2}$/.test(value as string)) errors.push(`${path}: not base64`);
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => errors.push(...validate(v, schema.items as Schema, components, `${path}[${i}]`)));
  }
  if (jsonType === "object" && value !== null && !Array.isArray(value) && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const prop = schema.properties?.[k];
      if (prop) errors.push(...validate(v, prop, components, `${path}.${k}`));
      else if (typeof schema.additionalProperties === "object") {
        errors.push(...validate(v, schema.additionalProperties, components, `${path}.${k}`));
      } else if (schema.additionalProperties === false) errors.push(`${path}: unknown property ${k}`);
    }
  }
  return errors;
}

describe("schemas accept what toJson writes", () => {
  const components = Object.fromEntries(
    reachableTypes(file_runtime_v1_api.messages).map((d) => [d.typeName, typeSchema(d)]),
  );
  const cases: { desc: string; schema: DescMessage; json: ProtoJson }[] = [
    {
      desc: "ExecSyncResponse with bytes and a negative exit code",
      schema: ExecSyncResponseSchema,
      json: { stdout: "aGVsbG8K", stderr: "/+8=", exitCode: -1 },
    },
    {
      desc: "ContainerStatusResponse with timestamps, enums, maps and repeated messages",
      schema: ContainerStatusResponseSchema,
      json: {
        status: {
          id: "3f2a9c",
          metadata: { name: "web", attempt: 2 },
          state: "CONTAINER_EXITED",
          createdAt: "1700000000000000000",
          startedAt: "1700000000500000000",
          finishedAt: "1700000060000000000",
          exitCode: 137,
          image: { image: "busybox", annotations: { k: "v" } },
          labels: { app: "web" },
          mounts: [{ containerPath: "/data", propagation: "PROPAGATION_BIDIRECTIONAL", uidMappings: [{ hostId: 1000, length: 1 }] }],
        },
        info: { pid: "42" },
      },
    },
    {
      desc: "ContainerStats with wrapped uint64 counters and non-finite PSI averages",
      schema: ContainerStatsSchema,
      json: {
        attributes: { id: "3f2a9c", metadata: { name: "web" } },
        cpu: {
          timestamp: "1700000000000000000",
          usageCoreNanoSeconds: { value: "18446744073709551615" },
          psi: { Full: { Total: "5", Avg10: 0.5, Avg60: "NaN", Avg300: "Infinity" } },
        },
      },
    },
  ];
  for (const c of cases) {
    it(`accepts ${c.desc}`, () => {
      // Round-trip through protobuf-es first, so the JSON is exactly toJson's output.
      const json = toJson(c.schema, fromJson(c.schema, c.json));
      assert.deepEqual(json, c.json, "the case must already be canonical JSON");
      assert.deepEqual(validate(json, { $ref: schemaRefPrefix + c.schema.typeName }, components), []);
    });
  }

  it("rejects a 64-bit integer written as a number", () => {
    const errors = validate({ containerId: "x", timeout: 10 }, { $ref: `${schemaRefPrefix}${StopContainerRequestSchema.typeName}` }, components);
    assert.deepEqual(errors, ["$.timeout: integer is not string"]);
  });
});
