/**
 * The REST API (`/v1/...`): the route table both the server and the OpenAPI
 * document are built from, and the router serving it.
 */
export { type RestHandler, type RestRouterOptions, createRestRouter } from "./routes.js";
export { defaultMaxBodyBytes } from "./json-body.js";
export { restRouteTable } from "./route-table.js";
export type { RestParams, RestParamValue } from "./route-params.js";
export type { RestRouteSpec } from "./route-spec.js";
