/**
 * protoc-gen-cri-openapi: a protoc plugin that writes `cri.openapi.yaml` and
 * `cri.openapi.json` (OpenAPI 3.1) for every service in the files it is asked
 * to generate. It uses protoplugin's low-level {@link Plugin} API because it
 * emits documents, not ECMAScript.
 */
import { type DescService, create, createFileRegistry } from "@bufbuild/protobuf";
import {
  CodeGeneratorResponse_Feature,
  type CodeGeneratorResponse,
  CodeGeneratorResponseSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import type { Plugin } from "@bufbuild/protoplugin";
import { describeFromSource } from "./comments.js";
import { createOpenApiDocument } from "./document.js";
import { renderJson, renderYaml } from "./render.js";
import { restRouteTable } from "../../src/http/rest/route-table.js";
import { toRestRoutes } from "./rest-routes.js";

/** Output file names, relative to the plugin's `out` directory. */
export const outputYaml = "cri.openapi.yaml";
export const outputJson = "cri.openapi.json";

/** The plugin; run it with protoplugin's `runNodeJs`. It takes no options. */
export const openApiPlugin: Plugin = {
  name: "protoc-gen-cri-openapi",
  version: "v0.1.0",
  run(request): CodeGeneratorResponse {
    if (request.parameter !== "") {
      throw new Error(`takes no options, got "${request.parameter}"`);
    }
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    const services = request.fileToGenerate.flatMap((name) => {
      const file = registry.getFile(name);
      if (file === undefined) throw new Error(`file to generate ${name} is not in the request`);
      return file.services;
    });
    const restRoutes = toRestRoutes(restRouteTable, services);
    // CRI first, whatever the file order: the gateway's own services
    // (crigateway.v1, e.g. LogService) follow it in tags and paths.
    const ordered = [...services].sort((a, b) => Number(isGatewayOwn(a)) - Number(isGatewayOwn(b)));
    const doc = createOpenApiDocument({ services: ordered, describe: describeFromSource, restRoutes });
    return create(CodeGeneratorResponseSchema, {
      supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
      file: [
        { name: outputYaml, content: renderYaml(doc) },
        { name: outputJson, content: renderJson(doc) },
      ],
    });
  },
};

/** True for a service of the gateway's own API rather than CRI. */
function isGatewayOwn(service: DescService): boolean {
  return service.typeName.startsWith("crigateway.");
}
