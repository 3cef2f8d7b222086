/**
 * Swagger UI at /docs in a real browser (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser is ever downloaded): the page loads every asset
 * from the gateway's own origin, renders the RuntimeService operations, and
 * "Try it out" → "Execute" on Version calls the gateway and shows its answer,
 * with no console errors on the way.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";

const chromiumPath = "/usr/bin/chromium";
const skip = existsSync(chromiumPath)
  ? false
  : `${chromiumPath} is missing (Debian's chromium package; .ci/run installs it)`;

describe("Swagger UI docs in Chromium", { skip, timeout: 60_000 }, () => {
  let gw: TestGateway | undefined;
  let browser: Browser | undefined;

  before(async () => {
    gw = await startTestGateway();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      timeout: 20_000,
      // playwright-core gives every launch a fresh temp --user-data-dir and removes it on close.
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  it("renders RuntimeService from local assets and executes Version against the gateway", async () => {
    assert.ok(gw !== undefined && browser !== undefined);
    const origin = new URL(gw.url).origin;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const requests: string[] = [];
      const failed: string[] = [];
      const consoleErrors: string[] = [];
      page.on("request", (req) => requests.push(req.url()));
      page.on("requestfailed", (req) => failed.push(`${req.url()}: ${req.failure()?.errorText ?? "?"}`));
      page.on("console", (msg) => {
        if (msg.type() === "error") consoleErrors.push(msg.text());
      });
      page.on("pageerror", (err) => consoleErrors.push(`pageerror: ${err.message}`));

      const res = await page.goto(`${gw.url}/docs`);
      assert.equal(res?.status(), 200);

      // docExpansion "none": the tag starts collapsed; open it, then the POST Version operation.
      await page.locator("h3.opblock-tag", { hasText: "RuntimeService" }).first().click();
      const op = page.locator("#operations-RuntimeService-RuntimeService_Version");
      await op.getByText("/runtime.v1.RuntimeService/Version", { exact: true }).waitFor();
      await op.locator(".opblock-summary-control").click();
      await op.getByRole("button", { name: "Try it out" }).click();
      await op.getByRole("button", { name: "Execute" }).click();

      const live = op.locator(".live-responses-table");
      await live.locator(".response-col_status", { hasText: "200" }).first().waitFor();
      await live.getByText("cri-gateway-memory").first().waitFor();

      const offOrigin = requests.filter((url) => !url.startsWith("data:") && new URL(url).origin !== origin);
      assert.deepEqual(offOrigin, [], `requests to other origins: ${offOrigin.join(", ")}`);
      assert.ok(requests.some((url) => url.endsWith("/openapi.json")), requests.join("\n"));
      assert.ok(requests.some((url) => url === `${origin}/runtime.v1.RuntimeService/Version`), requests.join("\n"));
      assert.deepEqual(failed, []);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });
});
