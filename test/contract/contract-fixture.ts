/**
 * Shared pieces of the contract suite: the error-kind helper that accepts a
 * CoreError or a ConnectError, and the fixture each case works through. The
 * fixture tags everything it creates with a per-case label and unique names,
 * so the suite can share a real runtime with other workloads, and removes
 * its pod sandboxes afterwards.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CreateContainerRequestSchema,
  PullImageRequestSchema,
  RemovePodSandboxRequestSchema,
  RunPodSandboxRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { type CoreErrorKind, CoreError } from "../../src/core/core-error.js";
import type { RuntimeCore } from "../../src/core/runtime-core.js";


/**
 * The error kind of anything a core throws: a CoreError's kind, or the code
 * of a ConnectError (a remote core rethrows upstream errors unchanged) in the
 * same snake_case spelling. Undefined for anything else.
 */
export function errorKindOf(err: unknown): CoreErrorKind | string | undefined {
  if (err instanceof CoreError) return err.kind;
  if (err instanceof ConnectError) {
    return (Code[err.code] ?? String(err.code)).replace(/[A-Z]/g, (c, at: number) => (at === 0 ? "" : "_") + c.toLowerCase());
  }
  return undefined;
}

/** Assert that `promise` rejects with an error of `kind` (see {@link errorKindOf}). */
export async function rejectsWithKind(promise: Promise<unknown>, kind: CoreErrorKind): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal(errorKindOf(err), kind, `expected a ${kind} error, got ${String(err)}`);
    return true;
  });
}

/** The runner's hooks for case files. */
export interface CaseKit {
  /** Register a case under its contract name; skipped cases are registered as skipped. */
  test(caseName: string, title: string, body: () => Promise<void>): void;
  /** A fresh core wrapped in a fixture; cleaned up after the case. */
  open(): Promise<Fixture>;
  /** The image containers run (see CoreContractOptions.image). */
  readonly image: string;
}

/** One case's view of a core: helpers that tag what they create, and cleanup. */
export interface Fixture {
  readonly core: RuntimeCore;
  /** Unique per fixture; keeps names and uids apart from other runs on a shared runtime. */
  readonly suffix: string;
  /** A label on every sandbox and container this fixture creates. */
  readonly runLabel: Record<string, string>;
  podConfig(name: string, labels?: Record<string, string>): ReturnType<typeof podConfigOf>;
  runPod(name: string, labels?: Record<string, string>): Promise<string>;
  /** The config createContainer uses (a `sleep 3600` of the suite's image, tagged with the run label). */
  containerConfig(name: string, labels?: Record<string, string>, attempt?: number, image?: string): ReturnType<typeof containerConfigOf>;
  createContainer(podId: string, name: string, labels?: Record<string, string>, attempt?: number, image?: string): Promise<string>;
  track(podId: string): void;
  cleanup(): Promise<void>;
}

function podConfigOf(name: string, suffix: string, labels: Record<string, string>) {
  return {
    metadata: { name: `${name}-${suffix}`, namespace: "contract", uid: `uid-${name}-${suffix}`, attempt: 0 },
    hostname: `${name}-${suffix}`.slice(0, 63),
    labels,
    linux: {},
  };
}

function containerConfigOf(name: string, image: string, labels: Record<string, string>, attempt: number) {
  return {
    metadata: { name, attempt },
    image: { image },
    command: ["sleep", "3600"],
    labels,
    linux: {},
  };
}

/** Wrap `core` in a fixture that pulls `image` on first use. */
export function createFixture(core: RuntimeCore, image: string): Fixture {
  const ctx = createCallContext();
  const suffix = randomBytes(4).toString("hex");
  const runLabel = { "contract.cri-gateway/run": suffix };
  const pods: string[] = [];
  const configs = new Map<string, ReturnType<typeof podConfigOf>>();
  let pulled = false;

  const fixture: Fixture = {
    core,
    suffix,
    runLabel,
    podConfig: (name, labels = {}) => podConfigOf(name, suffix, { ...labels, ...runLabel }),
    containerConfig: (name, labels = {}, attempt = 0, containerImage = image) =>
      containerConfigOf(name, containerImage, { ...labels, ...runLabel }, attempt),
    async runPod(name, labels = {}) {
      const config = fixture.podConfig(name, labels);
      const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config }), ctx);
      configs.set(podSandboxId, config);
      pods.push(podSandboxId);
      return podSandboxId;
    },
    async createContainer(podId, name, labels = {}, attempt = 0, containerImage = image) {
      if (!pulled && containerImage === image) {
        await core.pullImage(create(PullImageRequestSchema, { image: { image } }), ctx);
        pulled = true;
      }
      const { containerId } = await core.createContainer(
        create(CreateContainerRequestSchema, {
          podSandboxId: podId,
          config: fixture.containerConfig(name, labels, attempt, containerImage),
          sandboxConfig: configs.get(podId),
        }),
        ctx,
      );
      return containerId;
    },
    track: (podId) => void pods.push(podId),
    async cleanup() {
      for (const podSandboxId of pods.splice(0)) {
        await core.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId }), ctx).catch(() => {});
      }
      await core.close();
    },
  };
  return fixture;
}