import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { serve } from "./serve.js";
import { echoHandler, h1Request, makeTempDir, tryConnect } from "./test-helpers.test.js";
import { listenOnSocket, maxSocketPathBytes, removeSocketFile, temporarySocketPath } from "./unix-socket.js";

const quiet = { debug() {}, warn() {} };

/** Leave a socket file nobody listens on, the way a crashed gateway does. */
function leaveStaleSocket(path: string): void {
  const script = `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`;
  spawnSync(process.execPath, ["-e", script], { timeout: 10_000 });
  assert.ok(lstatSync(path).isSocket(), "the killed process left its socket behind");
}

describe("unix socket listener", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let path: string;
  beforeEach(async () => {
    temp = await makeTempDir();
    path = join(temp.dir, "gw.sock");
  });
  afterEach(() => temp.remove());

  it("creates the socket with mode 0600 by default", async () => {
    const serving = await serve({ handler: echoHandler, socket: { path }, logger: quiet });
    try {
      assert.equal(lstatSync(path).mode & 0o777, 0o600);
      assert.equal((await h1Request({ socketPath: path })).status, 200);
    } finally {
      await serving.close();
    }
  });

  it("applies a mode given by the caller", async () => {
    const serving = await serve({ handler: echoHandler, socket: { path, mode: 0o660 }, logger: quiet });
    try {
      assert.equal(lstatSync(path).mode & 0o777, 0o660);
    } finally {
      await serving.close();
    }
  });

  it("binds under a restrictive umask and restores the caller's umask", async () => {
    const previous = process.umask(0o002);
    try {
      const server = net.createServer();
      let umaskDuringBind = -1;
      const listen = server.listen.bind(server);
      // Observe the umask at the moment Node binds the socket.
      server.listen = ((...args: Parameters<typeof listen>) => {
        umaskDuringBind = process.umask(0o177);
        process.umask(umaskDuringBind);
        return listen(...args);
      }) as typeof server.listen;
      await listenOnSocket(server, path);
      assert.equal(umaskDuringBind, 0o177);
      assert.equal(process.umask(0o002), 0o002, "umask restored");
      await new Promise((resolve) => server.close(resolve));
    } finally {
      process.umask(previous);
    }
  });

  it("replaces a stale socket file nobody answers on", async () => {
    leaveStaleSocket(path);
    assert.equal(await tryConnect({ path }), "ECONNREFUSED");
    const serving = await serve({ handler: echoHandler, socket: { path }, logger: quiet });
    try {
      assert.equal((await h1Request({ socketPath: path })).status, 200);
    } finally {
      await serving.close();
    }
  });

  it("refuses a socket another process still answers on, and leaves it alone", async () => {
    const other = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.end("other\n");
    });
    await new Promise<void>((resolve) => other.listen(path, resolve));
    try {
      await assert.rejects(
        serve({ handler: echoHandler, socket: { path }, logger: quiet }),
        new RegExp(`socket ${path} is in use by another process`),
      );
      assert.equal(await tryConnect({ path }), "connected");
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("refuses a path that is a regular file and never deletes it", async () => {
    writeFileSync(path, "precious");
    await assert.rejects(serve({ handler: echoHandler, socket: { path }, logger: quiet }), /exists and is not a socket/);
    assert.equal(readFileSync(path, "utf8"), "precious");
  });

  it("removes the socket file on close", async () => {
    const serving = await serve({ handler: echoHandler, socket: { path }, logger: quiet });
    assert.ok(existsSync(path));
    await serving.close();
    assert.equal(existsSync(path), false);
  });

  it("closes the TCP listener again when the socket cannot be used", async () => {
    const port = await freePort();
    writeFileSync(path, "precious");
    await assert.rejects(
      serve({ handler: echoHandler, tcp: { host: "127.0.0.1", port }, socket: { path }, logger: quiet }),
      /not a socket/,
    );
    assert.equal(await tryConnect({ port }), "ECONNREFUSED");
  });

  it("does not remove a socket that a successor bound at the same path", async () => {
    const first = net.createServer();
    const identity = await listenOnSocket(first, path);
    // The first file moves away (its inode stays in use), and a successor binds the path.
    renameSync(path, join(temp.dir, "moved.sock"));
    const second = net.createServer();
    const secondIdentity = await listenOnSocket(second, path);
    assert.notDeepEqual(secondIdentity, identity);
    await removeSocketFile(path, identity);
    assert.ok(existsSync(path), "the successor's socket is still there");
    await removeSocketFile(path, secondIdentity);
    assert.equal(existsSync(path), false, "its own socket is removed");
    await new Promise((resolve) => second.close(resolve));
    await new Promise((resolve) => first.close(resolve));
  });

  it("keeps a successor's socket when the predecessor closes", { timeout: 10_000 }, async () => {
    const first = await serve({ handler: echoHandler, socket: { path }, logger: quiet });
    // The first gateway's file goes away while it runs (moved aside here), and a successor binds the path.
    renameSync(path, join(temp.dir, "moved.sock"));
    const second = await serve({ handler: echoHandler, socket: { path }, logger: quiet });
    try {
      await first.close();
      assert.ok(lstatSync(path).isSocket(), "the successor's socket file is still there");
      assert.equal((await h1Request({ socketPath: path })).status, 200);
    } finally {
      await second.close();
    }
    assert.equal(existsSync(path), false, "the successor removes its own socket");
  });

  it("never changes the mode of a file a symlink swapped in at the path points to", { timeout: 10_000 }, async () => {
    const target = join(temp.dir, "target");
    writeFileSync(target, "precious");
    chmodSync(target, 0o644);
    const server = net.createServer();
    // Right after bind, something replaces the socket path with a symlink to another file.
    afterBind(server, () => {
      rmSync(path, { force: true });
      symlinkSync(target, path);
    });
    try {
      await listenOnSocket(server, path).catch(() => {});
      assert.equal(lstatSync(target).mode & 0o777, 0o644, "the symlink's target kept its mode");
      assert.equal(readFileSync(target, "utf8"), "precious");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses a non-socket that appears at the path while binding", { timeout: 10_000 }, async () => {
    const server = net.createServer();
    afterBind(server, () => writeFileSync(path, "appeared"));
    try {
      await assert.rejects(listenOnSocket(server, path), /exists and is not a socket/);
      assert.equal(readFileSync(path, "utf8"), "appeared");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("replaces a stale socket that appears at the path while binding", { timeout: 10_000 }, async () => {
    const server = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.end("ours\n");
    });
    afterBind(server, () => leaveStaleSocket(path));
    try {
      await listenOnSocket(server, path);
      assert.equal(await tryConnect({ path }), "connected");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("leaves no temporary names behind", { timeout: 10_000 }, async () => {
    const serving = await serve({ handler: echoHandler, socket: { path }, logger: quiet });
    try {
      assert.deepEqual(readdirSync(temp.dir), ["gw.sock"]);
    } finally {
      await serving.close();
    }
    assert.deepEqual(readdirSync(temp.dir), []);
  });

  it("binds directly, with the mode from the umask, when the temporary name would be too long", { timeout: 10_000 }, async () => {
    // A path that fits in sun_path while its temporary sibling does not.
    const long = join(temp.dir, "s".repeat(maxSocketPathBytes - Buffer.byteLength(temp.dir) - 1));
    assert.equal(Buffer.byteLength(long), maxSocketPathBytes);
    assert.equal(temporarySocketPath(long), undefined);
    assert.ok(temporarySocketPath(path)?.startsWith(join(temp.dir, `.gw.sock.${process.pid}.`)));
    const serving = await serve({ handler: echoHandler, socket: { path: long, mode: 0o640 }, logger: quiet });
    try {
      assert.equal(lstatSync(long).mode & 0o777, 0o640);
      assert.equal((await h1Request({ socketPath: long })).status, 200);
    } finally {
      await serving.close();
    }
    assert.equal(existsSync(long), false);
  });

  it("rejects a mode outside the permission bits", async () => {
    await assert.rejects(listenOnSocket(net.createServer(), path, 0o4755), TypeError);
  });
});

/** Run `hook` synchronously right after `server` binds, before listenOnSocket continues. */
function afterBind(server: net.Server, hook: () => void): void {
  const listen = server.listen.bind(server) as (path: string, callback: () => void) => net.Server;
  server.listen = ((bindPath: string, callback: () => void) =>
    listen(bindPath, () => {
      try {
        hook();
      } finally {
        callback();
      }
    })) as typeof server.listen;
}

/** A TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}
