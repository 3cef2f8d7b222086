/**
 * The OpenAPI document and interactive API docs, for people and tools that
 * speak plain HTTP/JSON:
 *
 * - `GET /openapi.json`, `GET /openapi.yaml`: the committed generated
 *   document, with `servers` naming the address the request came in on;
 * - `GET /docs` (and `/docs/`): Swagger UI, served from the `swagger-ui-dist`
 *   package's own files. Nothing is fetched from another host: the page's
 *   Content-Security-Policy allows this origin only, and the validator badge
 *   (which would call validator.swagger.io) is off.
 *
 * GET only (HEAD comes with it); works over HTTP/1.1 and HTTP/2 alike.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { log } from "../observability/logger.js";
import {
  type OpenApiDocumentSourceOptions,
  type OpenApiFormat,
  createOpenApiDocumentSource,
  requestServerUrl,
} from "./openapi-document.js";

/** Options for {@link createOpenApiRouter}; the defaults suit the gateway. */
export type OpenApiRouterOptions = OpenApiDocumentSourceOptions;

const contentTypes: Record<OpenApiFormat, string> = {
  json: "application/json; charset=utf-8",
  // RFC 9512; YAML is always UTF-8.
  yaml: "application/yaml",
};

/** The files of swagger-ui-dist the page uses (source maps for people debugging it); nothing else is served. */
const swaggerUiFiles = new Set([
  "swagger-ui.css",
  "swagger-ui.css.map",
  "swagger-ui-bundle.js",
  "swagger-ui-bundle.js.map",
  "favicon-16x16.png",
  "favicon-32x32.png",
]);

// Swagger UI styles with inline style attributes and data: images
// (swagger-api/swagger-ui#7540); everything else must come from this origin.
const docsContentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

// Runs in the browser. A file rather than an inline script, so the CSP needs no 'unsafe-inline' for scripts.
const initializerJs = `// cri-gateway: start Swagger UI on the document named by #swagger-ui's data-openapi-url.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    displayOperationId: true,
    docExpansion: "none",
    defaultModelsExpandDepth: 0,
    filter: true,
    // The default would load a badge from validator.swagger.io.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
`;

function docsHtml(base: string): string {
  const asset = (file: string) => `${base}/docs/${file}`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>cri-gateway API docs</title>
  <link rel="stylesheet" href="${asset("swagger-ui.css")}">
  <link rel="icon" type="image/png" href="${asset("favicon-32x32.png")}" sizes="32x32">
  <link rel="icon" type="image/png" href="${asset("favicon-16x16.png")}" sizes="16x16">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="${base}/openapi.json"></div>
  <script src="${asset("swagger-ui-bundle.js")}"></script>
  <script src="${asset("swagger-initializer.js")}"></script>
</body>
</html>
`;
}

/**
 * The router for `/openapi.json`, `/openapi.yaml` and `/docs`. Mount it at the
 * root of the gateway's express router, before the not-found handler:
 *
 * @example
 * ```ts
 * router.use(createOpenApiRouter());
 * ```
 *
 * The document is read from `openapi/` on its first request and kept in
 * memory; serialized copies are cached per server URL (`maxServers`, default
 * 16). A missing document answers 500 (and logs why) without failing start-up.
 */
export function createOpenApiRouter(options: OpenApiRouterOptions = {}): Router {
  const source = createOpenApiDocumentSource(options);
  const swaggerUiDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/absolute-path.js"));
  const router = express.Router();

  const serveDocument = (format: OpenApiFormat) =>
    function openApiDocument(req: Request, res: Response, next: NextFunction): void {
      let body: Buffer;
      try {
        body = source.render(requestServerUrl(req), format);
      } catch (err: unknown) {
        log.error("cannot serve the OpenAPI document", { error: err instanceof Error ? err.message : String(err) });
        next(err);
        return;
      }
      res.statusCode = 200;
      res.setHeader("Content-Type", contentTypes[format]);
      res.setHeader("Content-Length", body.length);
      res.setHeader("Cache-Control", "no-cache");
      res.setHeader("Vary", "Host");
      res.end(body);
    };
  router.get("/openapi.json", serveDocument("json"));
  router.get("/openapi.yaml", serveDocument("yaml"));

  const page = (req: Request, res: Response): void => {
    const body = Buffer.from(docsHtml(req.baseUrl));
    res.statusCode = 200;
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.setHeader("Content-Length", body.length);
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Content-Security-Policy", docsContentSecurityPolicy);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.end(body);
  };
  // Non-strict routing: "/docs" also matches "/docs/".
  router.get("/docs", page);
  router.get("/docs/index.html", page);

  const initializer = Buffer.from(initializerJs);
  router.get("/docs/swagger-initializer.js", (_req, res) => {
    res.statusCode = 200;
    res.setHeader("Content-Type", "text/javascript; charset=utf-8");
    res.setHeader("Content-Length", initializer.length);
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.end(initializer);
  });

  router.get("/docs/:file", (req, res, next) => {
    const file = req.params.file;
    if (file === undefined || !swaggerUiFiles.has(file)) {
      next();
      return;
    }
    res.setHeader("X-Content-Type-Options", "nosniff");
    // Only names from the allow-list reach sendFile, so no path can escape the package.
    res.sendFile(file, { root: swaggerUiDir, dotfiles: "deny" }, (err?: Error) => {
      if (err && !res.headersSent) next(err);
    });
  });

  return router;
}
