/**
 * Start the real gateway for end-to-end tests: `startGateway()` (what the CLI
 * runs) on 127.0.0.1 port 0 and a unix socket in a fresh temp dir. `close()`
 * waits for connections to drain, then removes the temp dir, like connect-es
 * `use-node-server-helper.spec.ts`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Gateway, type GatewayOptions, startGateway } from "../../src/gateway.js";

/** A gateway started by {@link startTestGateway}. */
export interface TestGateway {
  readonly gateway: Gateway;
  /** Base URL of the TCP listener, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The unix socket path (inside {@link TestGateway.dir}). */
  readonly socketPath: string;
  /** The temp dir holding the socket; removed on close. */
  readonly dir: string;
  /** Close the gateway (waiting for drain) and remove the temp dir. Idempotent. */
  close(): Promise<void>;
}

/** Make a short temp dir (socket paths must stay under 108 bytes). */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "crigw-e2e-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Start a gateway on TCP and a unix socket. `options` overrides anything
 * (e.g. `maxMessageBytes`); the grace period defaults to 2 s so a failing test
 * cannot hold teardown for the 10 s production default.
 */
export async function startTestGateway(options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const temp = await makeTempDir();
  const socketPath = join(temp.dir, "gw.sock");
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      tcp: { host: "127.0.0.1", port: 0 },
      socket: socketPath,
      graceMs: 2000,
      ...options,
    });
  } catch (err) {
    await temp.remove();
    throw err;
  }
  const url = gateway.url;
  if (url === undefined) throw new Error("test gateway has no TCP listener");
  let closing: Promise<void> | undefined;
  return {
    gateway,
    url,
    socketPath,
    dir: temp.dir,
    close() {
      closing ??= (async () => {
        await gateway.close();
        await temp.remove();
      })();
      return closing;
    },
  };
}
