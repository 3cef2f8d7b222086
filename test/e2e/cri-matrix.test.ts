/**
 * Every CRI method over every protocol and transport: the shared CRI story
 * (`test/helpers/cri-story.ts`) runs once per client combination, each
 * against its own real gateway, and proves all 43 RPCs were called.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, it } from "node:test";
import { type CriClients, comboName, createCriClients, storyCombos } from "../helpers/cri-clients.js";
import { runCriStory } from "../helpers/cri-story.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";

describe("every CRI method over every protocol and transport", () => {
  let gateway: TestGateway | undefined;
  let clients: CriClients | undefined;
  afterEach(async () => {
    clients?.close();
    await gateway?.close();
    clients = undefined;
    gateway = undefined;
  });

  for (const combo of storyCombos) {
    it(`serves all 43 RuntimeService and ImageService methods over ${comboName(combo)}`, async () => {
      gateway = await startTestGateway();
      clients = createCriClients(gateway, combo);
      const suffix = `${combo.protocol}-${combo.via}-h${combo.httpVersion.replace(".", "")}-${randomBytes(3).toString("hex")}`;
      await runCriStory(clients, { gatewayUrl: gateway.url, suffix });
    });
  }
});
