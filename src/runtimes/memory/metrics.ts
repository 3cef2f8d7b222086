/**
 * ListMetricDescriptors / ListPodSandboxMetrics / StreamPodSandboxMetrics: a
 * few cAdvisor-named metrics per ready sandbox and running container, from
 * the same usage model as the stats verbs.
 */
import { create } from "@bufbuild/protobuf";
import {
  ListMetricDescriptorsResponseSchema,
  ListPodSandboxMetricsResponseSchema,
  type Metric,
  MetricSchema,
  MetricType,
  PodSandboxState,
  type PodSandboxMetrics,
  PodSandboxMetricsSchema,
  StreamPodSandboxMetricsResponseSchema,
  ContainerState,
} from "../../../gen/runtime/v1/api_pb.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import { chunked } from "./chunk.js";
import { fieldOverhead, sizeOfString, varintFieldSize } from "./message-size.js";
import type { MemoryState } from "./state.js";
import { containerState } from "./store/container-store.js";
import type { SandboxRecord } from "./store/sandbox-store.js";
import { containerUsage, sandboxNetworkUsage } from "./usage-model.js";

const containerLabelKeys = ["container", "pod", "namespace"];
const networkLabelKeys = ["pod", "namespace", "interface"];

/** The metrics this runtime reports; fixed for its lifetime, as CRI expects. */
const descriptors = [
  { name: "container_cpu_usage_seconds_total", help: "Cumulative cpu time consumed in seconds.", labelKeys: containerLabelKeys },
  { name: "container_memory_working_set_bytes", help: "Current working set in bytes.", labelKeys: containerLabelKeys },
  { name: "container_memory_usage_bytes", help: "Current memory usage in bytes, including all memory regardless of when it was accessed.", labelKeys: containerLabelKeys },
  { name: "container_fs_usage_bytes", help: "Number of bytes that are consumed by the container on this filesystem.", labelKeys: containerLabelKeys },
  { name: "container_network_receive_bytes_total", help: "Cumulative count of bytes received.", labelKeys: networkLabelKeys },
  { name: "container_network_transmit_bytes_total", help: "Cumulative count of bytes transmitted.", labelKeys: networkLabelKeys },
] as const;

/** Bound on one metric's encoded size besides its label values. */
const metricBound = 96;

type MetricVerbs = Pick<RuntimeMethods, "listMetricDescriptors" | "listPodSandboxMetrics" | "streamPodSandboxMetrics">;

/** Build the metric verbs over `state`. */
export function createMetricVerbs(state: MemoryState): MetricVerbs {
  const { sandboxes, containers } = state;

  const ready = () => sandboxes.select({ state: PodSandboxState.SANDBOX_READY });

  const metricsOf = (sandbox: SandboxRecord, now: bigint): PodSandboxMetrics => {
    const pod = sandbox.config.metadata?.name ?? "";
    const namespace = sandbox.config.metadata?.namespace ?? "";
    const sample = (name: string, type: MetricType, labelValues: string[], value: bigint): Metric =>
      create(MetricSchema, { name, timestamp: now, metricType: type, labelValues, value: { value } });
    const running = containers
      .inSandbox(sandbox.id)
      .filter((c) => containerState(c) === ContainerState.CONTAINER_RUNNING);
    const net = sandboxNetworkUsage(sandbox, running.length, now);
    const netLabels = [pod, namespace, "eth0"];
    return create(PodSandboxMetricsSchema, {
      podSandboxId: sandbox.id,
      metrics: [
        sample("container_network_receive_bytes_total", MetricType.COUNTER, netLabels, net.rxBytes),
        sample("container_network_transmit_bytes_total", MetricType.COUNTER, netLabels, net.txBytes),
      ],
      containerMetrics: running.map((record) => {
        const usage = containerUsage(record, now);
        const labels = [record.metadata?.name ?? "", pod, namespace];
        return {
          containerId: record.id,
          metrics: [
            sample("container_cpu_usage_seconds_total", MetricType.COUNTER, labels, usage.cpuCoreNanos / 1_000_000_000n),
            sample("container_memory_working_set_bytes", MetricType.GAUGE, labels, usage.workingSetBytes),
            sample("container_memory_usage_bytes", MetricType.GAUGE, labels, usage.usageBytes),
            sample("container_fs_usage_bytes", MetricType.GAUGE, labels, usage.writableBytes),
          ],
        };
      }),
    });
  };

  const sizeOf = (sandbox: SandboxRecord): number => {
    const meta = sandbox.config.metadata;
    const podLabels = sizeOfString(meta?.name ?? "") + sizeOfString(meta?.namespace ?? "") + fieldOverhead + 4;
    let size = 2 * fieldOverhead + sizeOfString(sandbox.id) + 2 * (metricBound + podLabels);
    for (const record of containers.inSandbox(sandbox.id)) {
      const labels = podLabels + sizeOfString(record.metadata?.name ?? "");
      size += 2 * fieldOverhead + sizeOfString(record.id) + 4 * (metricBound + labels + varintFieldSize);
    }
    return size;
  };

  return {
    async listMetricDescriptors() {
      return create(ListMetricDescriptorsResponseSchema, {
        descriptors: descriptors.map((d) => ({ name: d.name, help: d.help, labelKeys: [...d.labelKeys] })),
      });
    },

    async listPodSandboxMetrics() {
      const now = state.clock();
      return create(ListPodSandboxMetricsResponseSchema, { podMetrics: ready().map((s) => metricsOf(s, now)) });
    },

    async *streamPodSandboxMetrics(_request, ctx) {
      const now = state.clock();
      const chunks = chunked<SandboxRecord, PodSandboxMetrics>({
        items: ready(),
        sizeOf,
        build: (sandbox) => metricsOf(sandbox, now),
        maxBytes: state.options.maxMessageBytes,
        signal: ctx.signal,
      });
      for await (const chunk of chunks) {
        yield create(StreamPodSandboxMetricsResponseSchema, { podSandboxMetrics: chunk });
      }
    },
  };
}
