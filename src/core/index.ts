/**
 * The runtime-core contract: what a core implements, how it reports errors,
 * how it is chosen, and the interception point every call passes through.
 */
export type {
  BinaryForwarder,
  CoreHealth,
  CoreMethod,
  ContainerManager,
  ImageManager,
  ImageMethods,
  PodSandboxManager,
  RuntimeConfigManager,
  RuntimeCore,
  RuntimeMethods,
  StatsManager,
  StreamingServer,
  Versioner,
} from "./runtime-core.js";
export { type CallContext, createCallContext, remainingMs } from "./call-context.js";
export { CoreError, type CoreErrorKind, isCoreError } from "./core-error.js";
export { type CoreFactory, type CoreOptions, builtinCoreNames, loadCore, registerCore } from "./registry.js";
export {
  type CoreCall,
  type CoreInterceptor,
  interceptCore,
  type StreamNext,
  type UnaryNext,
} from "./intercept.js";
