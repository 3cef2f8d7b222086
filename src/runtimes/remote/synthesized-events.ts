/**
 * GetContainerEvents for an upstream that lacks it, synthesized by diffing
 * ListContainers and ListPodSandbox on an interval. The first poll is the
 * baseline: nothing that already exists is reported.
 *
 * Each state an entity has moved through since the last poll gives one event,
 * in lifecycle order, so a container created and started between two polls
 * yields CREATED then STARTED:
 *
 *   appears            -> CONTAINER_CREATED_EVENT
 *   RUNNING / READY    -> CONTAINER_STARTED_EVENT
 *   EXITED / NOTREADY  -> CONTAINER_STOPPED_EVENT
 *   disappears         -> CONTAINER_DELETED_EVENT (STOPPED first if it was running)
 *
 * Sandboxes get the same event types on the sandbox id, as containerd emits
 * them. Container events carry the container's ContainerStatus in
 * `containers_statuses`; sandbox events carry `pod_sandbox_status` from
 * PodSandboxStatus. Both are fetched per event and left out when the entity
 * is already gone (always so for DELETED). Sandbox appearances are reported
 * before container events of the same poll, sandbox stops and deletions after.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import {
  type ContainerEventResponse,
  ContainerEventResponseSchema,
  ContainerEventType,
  ContainerState,
  ContainerStatusRequestSchema,
  ListContainersRequestSchema,
  ListPodSandboxRequestSchema,
  PodSandboxState,
  PodSandboxStatusRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import type { CallContext } from "../../core/call-context.js";
import type { RuntimeCore } from "../../core/runtime-core.js";

/** Lifecycle rank: 0 created, 1 started, 2 stopped; undefined when unknown. */
type Rank = 0 | 1 | 2 | undefined;

interface Snapshot {
  readonly sandboxes: Map<string, Rank>;
  readonly containers: Map<string, Rank>;
}

const containerRank = (state: ContainerState): Rank =>
  state === ContainerState.CONTAINER_CREATED
    ? 0
    : state === ContainerState.CONTAINER_RUNNING
      ? 1
      : state === ContainerState.CONTAINER_EXITED
        ? 2
        : undefined;

const sandboxRank = (state: PodSandboxState): Rank =>
  state === PodSandboxState.SANDBOX_READY ? 1 : state === PodSandboxState.SANDBOX_NOTREADY ? 2 : undefined;

const rankEvent = [
  ContainerEventType.CONTAINER_CREATED_EVENT,
  ContainerEventType.CONTAINER_STARTED_EVENT,
  ContainerEventType.CONTAINER_STOPPED_EVENT,
] as const;

/** The event types for moving from `before` (undefined: did not exist) to `after`. */
function transitions(before: Rank | "absent", after: Rank | "absent"): ContainerEventType[] {
  const out: ContainerEventType[] = [];
  if (after === "absent") {
    if (before === "absent") return out;
    if (before === 1) out.push(ContainerEventType.CONTAINER_STOPPED_EVENT);
    out.push(ContainerEventType.CONTAINER_DELETED_EVENT);
    return out;
  }
  if (before === "absent") out.push(ContainerEventType.CONTAINER_CREATED_EVENT);
  // An unknown state reports nothing beyond the appearance.
  if (after === undefined) return out;
  const from = before === "absent" || before === undefined ? 0 : before;
  for (let r = from + 1; r <= after; r++) out.push(rankEvent[r] as ContainerEventType);
  return out;
}

/** Events of one poll, in the order the documentation above gives. */
function diff(prev: Snapshot, next: Snapshot): { id: string; sandbox: boolean; type: ContainerEventType }[] {
  const early: { id: string; sandbox: boolean; type: ContainerEventType }[] = [];
  const late: typeof early = [];
  const middle: typeof early = [];
  const walk = (a: Map<string, Rank>, b: Map<string, Rank>, sandbox: boolean) => {
    const ids = new Set([...a.keys(), ...b.keys()]);
    for (const id of ids) {
      const before = a.has(id) ? a.get(id) : "absent";
      const after = b.has(id) ? b.get(id) : "absent";
      if (before === after) continue;
      for (const type of transitions(before, after)) {
        const into =
          !sandbox ? middle : type === ContainerEventType.CONTAINER_CREATED_EVENT || type === ContainerEventType.CONTAINER_STARTED_EVENT ? early : late;
        into.push({ id, sandbox, type });
      }
    }
  };
  walk(prev.sandboxes, next.sandboxes, true);
  walk(prev.containers, next.containers, false);
  return [...early, ...middle, ...late];
}

async function snapshot(core: RuntimeCore, ctx: CallContext): Promise<Snapshot> {
  const [pods, containers] = await Promise.all([
    core.listPodSandbox(create(ListPodSandboxRequestSchema, {}), ctx),
    core.listContainers(create(ListContainersRequestSchema, {}), ctx),
  ]);
  return {
    sandboxes: new Map(pods.items.map((p) => [p.id, sandboxRank(p.state)])),
    containers: new Map(containers.containers.map((c) => [c.id, containerRank(c.state)])),
  };
}

/** The event for `id`, with its status when the upstream still has it. */
async function eventOf(
  core: RuntimeCore,
  ctx: CallContext,
  { id, sandbox, type }: { id: string; sandbox: boolean; type: ContainerEventType },
): Promise<ContainerEventResponse> {
  const event = create(ContainerEventResponseSchema, {
    containerId: id,
    containerEventType: type,
    createdAt: BigInt(Date.now()) * 1_000_000n,
  });
  if (type === ContainerEventType.CONTAINER_DELETED_EVENT) return event;
  try {
    if (sandbox) {
      event.podSandboxStatus = (await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: id }), ctx)).status;
    } else {
      const { status } = await core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx);
      if (status !== undefined) event.containersStatuses = [status];
    }
  } catch {
    // NOTE: removed since the poll, or the upstream stumbled; the event still
    // stands, and an unreachable upstream ends the stream at the next poll.
  }
  return event;
}

/**
 * Poll `core` every `intervalMs` and yield the synthesized events until
 * `ctx.signal` aborts. A failed poll (the upstream unreachable: `unavailable`)
 * ends the stream with that error, so clients resubscribe.
 */
export async function* synthesizeContainerEvents(
  core: RuntimeCore,
  ctx: CallContext,
  intervalMs: number,
): AsyncGenerator<ContainerEventResponse> {
  try {
    let prev = await snapshot(core, ctx);
    for (;;) {
      await sleep(intervalMs, undefined, { signal: ctx.signal });
      const next = await snapshot(core, ctx);
      for (const change of diff(prev, next)) {
        const event = await eventOf(core, ctx, change);
        if (ctx.signal.aborted) return;
        yield event;
      }
      prev = next;
    }
  } catch (err) {
    // The contract: a stream ends (not fails) when ctx.signal aborts.
    if (ctx.signal.aborted) return;
    throw err;
  }
}
