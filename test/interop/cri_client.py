"""One CRI v1 pod/container lifecycle driven by Python grpcio (Debian's
python3-grpcio), an independent gRPC implementation (grpc-core, C).

Usage (run with /usr/bin/python3, which has the Debian modules):
  cri_client.py --stubs DIR --target TARGET --suffix SUFFIX [--authority AUTH]

DIR is the output root of `grpc_tools.protoc ... runtime/v1/api.proto`, run
at test time, so it holds runtime/v1/api_pb2.py and api_pb2_grpc.py. TARGET
is "127.0.0.1:PORT" or "unix:/path/to.sock".
AUTH, when given, is sent as :authority (channel option
grpc.default_authority); over a unix socket the test passes the socket path,
which Node's HTTP/2 would reject as an authority without the gateway's fix.

Prints one JSON object on stdout: {"steps": {name: {...}}}. Each step records
either what it saw or {"error": {"code": NAME, "details": TEXT}}, so the
TypeScript test can assert step by step and quote the failure. Every RPC has
a deadline, so the script cannot hang.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time

import grpc

RPC_TIMEOUT = 10.0
IMAGE = "docker.io/library/busybox:1.36"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--suffix", required=True)
    parser.add_argument("--authority")
    args = parser.parse_args()

    sys.path.insert(0, args.stubs)
    from runtime.v1 import api_pb2 as pb  # generated at test time
    from runtime.v1 import api_pb2_grpc as pbg

    options = []
    if args.authority is not None:
        options.append(("grpc.default_authority", args.authority))
    channel = grpc.insecure_channel(args.target, options=options)
    grpc.channel_ready_future(channel).result(timeout=RPC_TIMEOUT)
    rt = pbg.RuntimeServiceStub(channel)
    img = pbg.ImageServiceStub(channel)

    steps = {}
    state = {}

    def step(name, fn):
        try:
            steps[name] = fn()
        except grpc.RpcError as err:
            steps[name] = {"error": {"code": err.code().name, "details": err.details()}}
        except Exception as err:  # a bug in this script, not a status: report it too
            steps[name] = {"error": {"code": "CLIENT_EXCEPTION", "details": repr(err)}}

    suffix = args.suffix
    run_label = {"interop.cri-gateway/run": suffix}
    pod_config = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name="py-pod-" + suffix, namespace="interop", uid="uid-py-" + suffix, attempt=0),
        hostname="py-pod-" + suffix,
        labels=run_label,
        linux=pb.LinuxPodSandboxConfig(),
    )

    # GetContainerEvents is endless: read it on a thread from the start, and
    # cancel it once the container's STOPPED event has been seen.
    events_call = rt.GetContainerEvents(pb.GetEventsRequest(), timeout=60)
    events = []
    events_end = {}

    def read_events():
        try:
            for ev in events_call:
                events.append((ev.container_id, pb.ContainerEventType.Name(ev.container_event_type)))
            events_end["code"] = "OK"
        except grpc.RpcError as err:
            events_end["code"] = err.code().name

    reader = threading.Thread(target=read_events, daemon=True)
    reader.start()

    def version():
        r = rt.Version(pb.VersionRequest(version="v1"), timeout=RPC_TIMEOUT)
        return {"runtime_api_version": r.runtime_api_version, "runtime_name": r.runtime_name}

    def status():
        r = rt.Status(pb.StatusRequest(), timeout=RPC_TIMEOUT)
        return {"conditions": {c.type: c.status for c in r.status.conditions}}

    def pull_image():
        r = img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=IMAGE)), timeout=RPC_TIMEOUT)
        state["image_ref"] = r.image_ref
        return {"image_ref": r.image_ref}

    def list_images():
        r = img.ListImages(pb.ListImagesRequest(), timeout=RPC_TIMEOUT)
        return {"ids": [i.id for i in r.images], "repo_tags": [t for i in r.images for t in i.repo_tags]}

    def run_pod():
        r = rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_config), timeout=RPC_TIMEOUT)
        state["pod"] = r.pod_sandbox_id
        return {"pod_sandbox_id": r.pod_sandbox_id}

    def container_config(labels):
        return pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name="py-ctr", attempt=0),
            image=pb.ImageSpec(image=IMAGE),
            command=["sleep", "3600"],
            # KeyValue.value is bytes since the CRI of mid-2026.
            envs=[pb.KeyValue(key="GREETING", value=b"hi from grpcio")],
            labels=labels,
            linux=pb.LinuxContainerConfig(),
        )

    def create_container():
        config = container_config(dict(run_label, role="interop"))
        r = rt.CreateContainer(
            pb.CreateContainerRequest(pod_sandbox_id=state["pod"], config=config, sandbox_config=pod_config),
            timeout=RPC_TIMEOUT,
        )
        state["ctr"] = r.container_id
        return {"container_id": r.container_id}

    def start_container():
        rt.StartContainer(pb.StartContainerRequest(container_id=state["ctr"]), timeout=RPC_TIMEOUT)
        r = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=state["ctr"]), timeout=RPC_TIMEOUT)
        return {"state": pb.ContainerState.Name(r.status.state)}

    def exec_sync():
        r = rt.ExecSync(
            pb.ExecSyncRequest(container_id=state["ctr"], cmd=["echo", "hello", "from", "grpcio"], timeout=5),
            timeout=RPC_TIMEOUT,
        )
        return {"stdout": r.stdout.decode(), "stderr": r.stderr.decode(), "exit_code": r.exit_code}

    def exec_env():
        r = rt.ExecSync(pb.ExecSyncRequest(container_id=state["ctr"], cmd=["printenv", "GREETING"], timeout=5), timeout=RPC_TIMEOUT)
        return {"stdout": r.stdout.decode(), "exit_code": r.exit_code}

    def checkpoint_pod():
        state["checkpoint"] = tempfile.mkdtemp(prefix="cri-interop-py-checkpoint-")
        rt.CheckpointPod(
            pb.CheckpointPodRequest(pod_sandbox_id=state["pod"], output_path=state["checkpoint"], container_ids=[state["ctr"]]),
            timeout=RPC_TIMEOUT,
        )
        r = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=state["ctr"]), timeout=RPC_TIMEOUT)
        return {"files": len(os.listdir(state["checkpoint"])), "state": pb.ContainerState.Name(r.status.state)}

    def restore_pod():
        try:
            config = pb.PodSandboxConfig()
            config.CopyFrom(pod_config)
            config.metadata.name = "py-restored-" + suffix
            config.metadata.uid = "uid-py-restored-" + suffix
            r = rt.RestorePod(
                pb.RestorePodRequest(
                    checkpoint_path=state["checkpoint"],
                    config=config,
                    container_configs=[container_config(dict(run_label, role="restored"))],
                ),
                timeout=RPC_TIMEOUT,
            )
            restored = {c.name: c.container_id for c in r.restored_containers}
            pod = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=r.pod_sandbox_id), timeout=RPC_TIMEOUT)
            ctr = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=restored.get("py-ctr", "")), timeout=RPC_TIMEOUT)
            rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=r.pod_sandbox_id), timeout=RPC_TIMEOUT)
            return {
                "new_pod": r.pod_sandbox_id not in ("", state["pod"]),
                "names": sorted(restored),
                "pod_state": pb.PodSandboxState.Name(pod.status.state),
                "container_state": pb.ContainerState.Name(ctr.status.state),
                "role": ctr.status.labels.get("role"),
            }
        finally:
            shutil.rmtree(state["checkpoint"], ignore_errors=True)

    def list_containers():
        f = pb.ContainerFilter(label_selector=run_label)
        r = rt.ListContainers(pb.ListContainersRequest(filter=f), timeout=RPC_TIMEOUT)
        return {"ids": [c.id for c in r.containers], "states": [pb.ContainerState.Name(c.state) for c in r.containers]}

    def stream_containers():
        f = pb.ContainerFilter(label_selector=run_label)
        chunks = list(rt.StreamContainers(pb.StreamContainersRequest(filter=f), timeout=RPC_TIMEOUT))
        return {"chunks": len(chunks), "ids": [c.id for chunk in chunks for c in chunk.containers]}

    def events_deadline():
        # A second, short-lived subscription: the deadline must end it with
        # DEADLINE_EXCEEDED (grpc-timeout honoured or the client's own timer).
        started = time.monotonic()
        try:
            for _ in rt.GetContainerEvents(pb.GetEventsRequest(), timeout=0.5):
                pass
            return {"code": "OK"}
        except grpc.RpcError as err:
            return {"code": err.code().name, "seconds": round(time.monotonic() - started, 2)}

    def status_unknown():
        rt.ContainerStatus(pb.ContainerStatusRequest(container_id="does-not-exist-" + suffix), timeout=RPC_TIMEOUT)
        return {"code": "OK"}

    def stop_container():
        rt.StopContainer(pb.StopContainerRequest(container_id=state["ctr"], timeout=0), timeout=RPC_TIMEOUT)
        r = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=state["ctr"]), timeout=RPC_TIMEOUT)
        return {"state": pb.ContainerState.Name(r.status.state)}

    def events_stream():
        deadline = time.monotonic() + 5
        want = (state.get("ctr"), "CONTAINER_STOPPED_EVENT")
        while want not in events and time.monotonic() < deadline and reader.is_alive():
            time.sleep(0.05)
        events_call.cancel()
        reader.join(timeout=5)
        return {
            "container_events": [t for (cid, t) in events if cid == state.get("ctr")],
            "pod_events": [t for (cid, t) in events if cid == state.get("pod")],
            "end": events_end.get("code", "STILL_RUNNING"),
        }

    def remove_container():
        rt.RemoveContainer(pb.RemoveContainerRequest(container_id=state["ctr"]), timeout=RPC_TIMEOUT)
        f = pb.ContainerFilter(id=state["ctr"])
        r = rt.ListContainers(pb.ListContainersRequest(filter=f), timeout=RPC_TIMEOUT)
        return {"remaining": len(r.containers)}

    def stop_pod():
        rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=state["pod"]), timeout=RPC_TIMEOUT)
        r = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=state["pod"]), timeout=RPC_TIMEOUT)
        return {"state": pb.PodSandboxState.Name(r.status.state)}

    def remove_pod():
        rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=state["pod"]), timeout=RPC_TIMEOUT)
        f = pb.PodSandboxFilter(id=state["pod"])
        r = rt.ListPodSandbox(pb.ListPodSandboxRequest(filter=f), timeout=RPC_TIMEOUT)
        return {"remaining": len(r.items)}

    for name, fn in [
        ("version", version),
        ("status", status),
        ("pull_image", pull_image),
        ("list_images", list_images),
        ("run_pod", run_pod),
        ("create_container", create_container),
        ("start_container", start_container),
        ("exec_sync", exec_sync),
        ("exec_env", exec_env),
        ("list_containers", list_containers),
        ("stream_containers", stream_containers),
        ("checkpoint_pod", checkpoint_pod),
        ("restore_pod", restore_pod),
        ("events_deadline", events_deadline),
        ("status_unknown", status_unknown),
        ("stop_container", stop_container),
        ("events_stream", events_stream),
        ("remove_container", remove_container),
        ("stop_pod", stop_pod),
        ("remove_pod", remove_pod),
    ]:
        step(name, fn)

    if reader.is_alive():
        events_call.cancel()
    channel.close()
    json.dump({"steps": steps}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
