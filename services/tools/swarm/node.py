"""This engine's swarm: started by swarm-up when there is none, marked so on the node, and left by
swarm-down only then (a swarm that was there before, or that runs other stacks, is not ours to leave)."""

import docker
import docker.errors

# The node label swarm-up puts on a swarm it started: it lives and dies with that swarm.
STARTED_HERE = "cpu-contrast.swarm-up.started"
# The bridge `docker swarm init` creates for the node's overlay traffic; leaving does not remove it.
GATEWAY_BRIDGE = "docker_gwbridge"


def active(client: docker.DockerClient) -> bool:
    return client.info()["Swarm"]["LocalNodeState"] == "active"


def _node(client: docker.DockerClient):  # type: ignore[no-untyped-def]
    return client.nodes.get(client.info()["Swarm"]["NodeID"])


def start(client: docker.DockerClient, advertise_addr: str | None) -> bool:
    """Start a single-node swarm unless the engine is in one; True if this call started it."""
    if active(client):
        return False
    bridge_before = bool(client.networks.list(names=[GATEWAY_BRIDGE]))
    client.swarm.init(advertise_addr=advertise_addr or None)
    node = _node(client)
    spec = node.attrs["Spec"]
    labels = {**spec.get("Labels", {}), STARTED_HERE: "true"}
    if not bridge_before:
        labels[f"{STARTED_HERE}.{GATEWAY_BRIDGE}"] = "true"
    node.update({**spec, "Labels": labels})
    return True


def leave_if_started_here(client: docker.DockerClient) -> str | None:
    """Leave the swarm if swarm-up started it and no service is left on it; why not, else None."""
    if not active(client):
        return "no swarm is active"
    labels = _node(client).attrs["Spec"].get("Labels", {})
    if STARTED_HERE not in labels:
        return "the swarm was there before swarm-up: left as it was"
    others = [s.name for s in client.services.list()]
    if others:
        return f"services still run on the swarm ({', '.join(sorted(others))}): not leaving it"
    client.swarm.leave(force=True)
    if f"{STARTED_HERE}.{GATEWAY_BRIDGE}" in labels:
        for bridge in client.networks.list(names=[GATEWAY_BRIDGE]):
            bridge.reload()
            if not bridge.attrs.get("Containers"):
                bridge.remove()
    return None
