/**
 * The REST-style read API (`/v1/...`): routes over the read-only CRI methods
 * and exec-sync, answering with the same JSON and errors as the Connect API.
 */
export { type RestRouterOptions, createRestRouter } from "./routes.js";
export { defaultMaxBodyBytes } from "./json-body.js";
