/**
 * Version, Status, RuntimeConfig and UpdateRuntimeConfig: who the runtime is,
 * that it (and its simulated network) is ready, and the pod CIDR the kubelet
 * pushes, which new sandboxes take their IPs from.
 */
import { create } from "@bufbuild/protobuf";
import {
  CgroupDriver,
  RuntimeConfigResponseSchema,
  StatusResponseSchema,
  UpdateRuntimeConfigResponseSchema,
  VersionResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import { gatewayVersion } from "../../version.js";
import { requireSet } from "../../core/request-checks.js";
import type { MemoryState } from "./state.js";

/** Reported as runtime_name. */
export const memoryRuntimeName = "cri-gateway-memory";
/** The CRI API version spoken. */
export const runtimeApiVersion = "v1";
/** The kubelet-facing version string containerd also reports. */
const kubeApiVersion = "0.1.0";

type StatusVerbs = Pick<RuntimeMethods, "version" | "status" | "runtimeConfig" | "updateRuntimeConfig">;

/** Build the status verbs over `state`. */
export function createStatusVerbs(state: MemoryState): StatusVerbs {
  return {
    async version() {
      return create(VersionResponseSchema, {
        version: kubeApiVersion,
        runtimeName: memoryRuntimeName,
        runtimeVersion: gatewayVersion,
        runtimeApiVersion,
      });
    },

    async status(request) {
      const info: Record<string, string> = {};
      if (request.verbose) {
        // containerd's keys; values are JSON documents.
        info.config = JSON.stringify({
          podCIDR: state.ips.cidr,
          cgroupDriver: "systemd",
          sandboxImage: state.options.pauseImage,
          runtimeHandlers: state.options.runtimeHandlers,
          snapshotter: "overlayfs",
        });
        info.podCIDR = JSON.stringify(state.ips.cidr);
        info.lastCNILoadStatus = JSON.stringify("OK");
        info.counts = JSON.stringify({
          sandboxes: state.sandboxes.size,
          containers: state.containers.size,
          images: state.images.size,
          eventSubscribers: state.events.subscribers,
        });
      }
      const features = { recursiveReadOnlyMounts: true, userNamespaces: true };
      return create(StatusResponseSchema, {
        status: {
          conditions: [
            { type: "RuntimeReady", status: true },
            { type: "NetworkReady", status: true },
          ],
        },
        info,
        runtimeHandlers: ["", ...state.options.runtimeHandlers].map((name) => ({ name, features })),
        // Mount options are kept and reported back in ContainerStatus.mounts.
        features: { supplementalGroupsPolicy: true, userNamespacesHostNetwork: false, mountOptions: true },
      });
    },

    async runtimeConfig() {
      return create(RuntimeConfigResponseSchema, { linux: { cgroupDriver: CgroupDriver.SYSTEMD } });
    },

    async updateRuntimeConfig(request) {
      const config = requireSet(request.runtimeConfig, "runtime_config");
      const cidr = config.networkConfig?.podCidr ?? "";
      // An empty CIDR means "leave it as it is", as in containerd.
      if (cidr !== "") state.ips.setCidr(cidr);
      return create(UpdateRuntimeConfigResponseSchema);
    },
  };
}
