/**
 * Runs the runtime-core contract suite against the memory runtime. A small
 * message limit makes every Stream* answer come in several chunks.
 */
import { createMemoryRuntime } from "../../src/runtimes/memory/index.js";
import { runCoreContract } from "./runtime-core.contract.js";

runCoreContract({
  name: "memory",
  newCore: () => createMemoryRuntime({ gatewayUrl: () => "http://127.0.0.1:7070", maxMessageBytes: 8192, settings: {} }),
});
