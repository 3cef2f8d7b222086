/**
 * JSON Schemas for protobuf messages and enums, following the proto3 canonical
 * JSON mapping exactly as protobuf-es `toJson` writes it (the form the gateway
 * sends): lowerCamelCase json names, 64-bit integers as decimal strings, bytes
 * as base64, enums by value name, maps as objects, default values omitted.
 * Spec: https://protobuf.dev/programming-guides/json/
 */
import {
  type DescEnum,
  type DescEnumValue,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescOneof,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";
import type { Schema } from "./openapi-types.js";

/** Any descriptor that can carry a comment in the proto source. */
export type DescribedDesc = DescMessage | DescField | DescOneof | DescEnum | DescEnumValue | DescService | DescMethod;

/**
 * Returns the documentation text for a descriptor, or undefined when it has
 * none. The plugin reads proto comments; tests pass nothing (the descriptors
 * embedded in gen/ carry no source info).
 */
export type Describe = (desc: DescribedDesc) => string | undefined;

const describeNothing: Describe = () => undefined;

/** Where message and enum schemas live in the document. */
export const schemaRefPrefix = "#/components/schemas/";

/** The component name of a message or enum: its fully-qualified proto name, e.g. `runtime.v1.Container`. */
export function schemaName(desc: DescMessage | DescEnum): string {
  return desc.typeName;
}

/** A `$ref` to the component schema of a message or enum. */
export function schemaRef(desc: DescMessage | DescEnum): Schema {
  return { $ref: schemaRefPrefix + schemaName(desc) };
}

// Non-finite floats are written as these strings (protobuf-es to-json.ts).
const nonFiniteFloats = ["NaN", "Infinity", "-Infinity"];
const signedDecimal = "^-?[0-9]+$";
const unsignedDecimal = "^[0-9]+$";

/**
 * The schema of one scalar value. 64-bit integers are strings because JSON
 * numbers lose precision past 2^53; toJson always writes them quoted.
 */
export function scalarSchema(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      // NOTE: no "uint32" format: it is not in the OpenAPI format registry, and
      // the bounds say the same thing to every validator.
      return { type: "integer", minimum: 0, maximum: 4294967295 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64", pattern: signedDecimal };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", pattern: unsignedDecimal };
    case ScalarType.FLOAT:
      return { oneOf: [{ type: "number", format: "float" }, { type: "string", enum: nonFiniteFloats }] };
    case ScalarType.DOUBLE:
      return { oneOf: [{ type: "number", format: "double" }, { type: "string", enum: nonFiniteFloats }] };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      // Standard base64 with padding on output; protobuf-es also reads URL-safe and unpadded input.
      return { type: "string", contentEncoding: "base64" };
  }
}

/** Map keys are always JSON strings; non-string key types constrain their spelling. */
function mapKeySchema(type: ScalarType): Schema | undefined {
  switch (type) {
    case ScalarType.STRING:
      return undefined;
    case ScalarType.BOOL:
      return { type: "string", enum: ["true", "false"] };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", pattern: unsignedDecimal };
    default:
      return { type: "string", pattern: signedDecimal };
  }
}

/** The schema of a message-typed value: a `$ref`, after refusing types whose JSON form is special. */
function messageValueSchema(desc: DescMessage): Schema {
  // Well-known types (Timestamp, Duration, Struct, wrappers, Any, ...) have
  // their own JSON forms. CRI imports none of them; fail loudly rather than
  // document them as plain objects if that ever changes.
  if (desc.typeName.startsWith("google.protobuf.")) {
    throw new Error(`no JSON mapping for well-known type ${desc.typeName} yet`);
  }
  return schemaRef(desc);
}

/** The schema of a field's value, without its description. */
function fieldValueSchema(field: DescField): Schema {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSchema(field.scalar);
    case "enum":
      return schemaRef(field.enum);
    case "message":
      return messageValueSchema(field.message);
    case "list": {
      const items =
        field.listKind === "scalar"
          ? scalarSchema(field.scalar)
          : field.listKind === "enum"
            ? schemaRef(field.enum)
            : messageValueSchema(field.message);
      return { type: "array", items };
    }
    case "map": {
      const values =
        field.mapKind === "scalar"
          ? scalarSchema(field.scalar)
          : field.mapKind === "enum"
            ? schemaRef(field.enum)
            : messageValueSchema(field.message);
      const keys = mapKeySchema(field.mapKey);
      return { type: "object", ...(keys && { propertyNames: keys }), additionalProperties: values };
    }
  }
}

/**
 * The schema of one field as it appears under its json name, with the field's
 * comment as description. Nothing is `required`: proto3 JSON omits defaults.
 */
export function fieldSchema(field: DescField, describe: Describe = describeNothing): Schema {
  const description = describe(field);
  return { ...(description !== undefined && { description }), ...fieldValueSchema(field) };
}

/** "At most one of these is set", for each oneof with two or more members. */
function oneofConstraints(desc: DescMessage): Record<string, Schema> | undefined {
  const constraints: Record<string, Schema> = {};
  for (const oneof of desc.oneofs) {
    if (oneof.fields.length < 2) continue;
    for (const member of oneof.fields) {
      const others = oneof.fields.filter((f) => f !== member).map((f) => ({ required: [f.jsonName] }));
      constraints[member.jsonName] = { not: { anyOf: others } };
    }
  }
  return Object.keys(constraints).length > 0 ? constraints : undefined;
}

function oneofNote(desc: DescMessage, describe: Describe): string[] {
  return desc.oneofs.map((oneof) => {
    const names = oneof.fields.map((f) => `\`${f.jsonName}\``).join(", ");
    const comment = describe(oneof);
    return `Oneof \`${oneof.name}\`: at most one of ${names} is set.${comment === undefined ? "" : ` ${comment}`}`;
  });
}

/**
 * The component schema of a message: an object with one property per field,
 * keyed by json name, in declaration order. Unknown properties are rejected
 * (`additionalProperties: false`): the gateway parses JSON with
 * `ignoreUnknownFields: false`, and toJson never writes any. A oneof becomes
 * `dependentSchemas` saying its members exclude each other.
 */
export function messageSchema(desc: DescMessage, describe: Describe = describeNothing): Schema {
  const notes = [describe(desc), ...oneofNote(desc, describe)].filter((s) => s !== undefined);
  const properties: Record<string, Schema> = {};
  for (const field of desc.fields) {
    properties[field.jsonName] = fieldSchema(field, describe);
  }
  const exclusive = oneofConstraints(desc);
  return {
    ...(notes.length > 0 && { description: notes.join("\n\n") }),
    type: "object",
    properties,
    additionalProperties: false,
    ...(exclusive && { dependentSchemas: exclusive }),
  };
}

/**
 * The component schema of an enum: its value names, which is what toJson
 * writes. Value comments are listed in the description (JSON Schema has no
 * per-value description).
 */
export function enumSchema(desc: DescEnum, describe: Describe = describeNothing): Schema {
  const lines = desc.values.flatMap((v) => {
    const comment = describe(v);
    return comment === undefined ? [] : [`- \`${v.name}\`: ${comment.replace(/\n/g, " ")}`];
  });
  const head = describe(desc);
  const description = [head, lines.length > 0 ? lines.join("\n") : undefined].filter((s) => s !== undefined);
  return {
    ...(description.length > 0 && { description: description.join("\n\n") }),
    type: "string",
    enum: desc.values.map((v) => v.name),
  };
}

/**
 * Every message and enum reachable from `roots` through fields, roots
 * included, sorted by name: the types a document needs as components.
 */
export function reachableTypes(roots: Iterable<DescMessage | DescEnum>): (DescMessage | DescEnum)[] {
  const seen = new Map<string, DescMessage | DescEnum>();
  const visit = (desc: DescMessage | DescEnum): void => {
    if (seen.has(desc.typeName)) return;
    seen.set(desc.typeName, desc);
    if (desc.kind === "enum") return;
    for (const field of desc.fields) {
      if (field.enum) visit(field.enum);
      if (field.message) visit(field.message);
    }
  };
  for (const root of roots) visit(root);
  return [...seen.values()].sort((a, b) => (a.typeName < b.typeName ? -1 : a.typeName > b.typeName ? 1 : 0));
}

/** The component schema of a message or enum. */
export function typeSchema(desc: DescMessage | DescEnum, describe: Describe = describeNothing): Schema {
  return desc.kind === "enum" ? enumSchema(desc, describe) : messageSchema(desc, describe);
}
