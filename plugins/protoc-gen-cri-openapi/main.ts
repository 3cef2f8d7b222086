/**
 * Entry point of protoc-gen-cri-openapi: reads a CodeGeneratorRequest on
 * stdin, writes the response on stdout. buf runs it through `bin.mjs`.
 */
import { runNodeJs } from "@bufbuild/protoplugin";
import { openApiPlugin } from "./plugin.js";

runNodeJs(openApiPlugin);
