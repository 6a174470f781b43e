"""docker-compose.yml as a swarm stack file: `docker compose config`'s output (every variable already
substituted, .env read) turned into what `docker stack deploy` on Docker 20.10 takes.

Pure: the config in, the stack file out. What swarm does differently, each handled here:
- `build`, `depends_on`, `restart` are not swarm's: dropped (images are built by compose first; the
  services wait for Redis themselves; swarm restarts any task that exits);
- the one-shot `redis-secret` service and its volume become swarm secrets (services/tools/swarm/secrets.py)
  mounted at the same paths, so Redis, the API and the workers read the password where they do under compose;
- `tmpfs:` and `shm_size:` are ignored by swarm: tmpfs mounts instead (/tmp, and /dev/shm for the workers);
- no `cpuset` and no `cpu_shares` on swarm: a pinned stack is refused, the weight dropped (every container
  weighs the default); the CPU quota is `deploy.resources.limits.cpus`, as in the compose file;
- no `security_opt` on Docker 20.10's swarm (no-new-privileges is not applied there);
- a published port binds every address of the node (swarm has no host IP): API_BIND says so, and the API
  then requires its token.
"""

from collections.abc import Callable, Mapping
from typing import Any

# The stack file format `docker stack deploy` reads (Docker 20.10 knows up to 3.9).
VERSION = "3.9"
# The compose service that makes the secret, and the volume it makes it in.
SECRET_SERVICE = "redis-secret"
SECRET_VOLUME = "redis-secret"
# Files of the secret volume, each a swarm secret mounted at the same path (`<stack>_<name>`).
SECRET_FILES = {"redis-password": "redis-password", "redis.conf": "redis-conf"}
# Where a published port is bound: swarm binds every address of the node (no host IP).
EVERY_ADDRESS = "0.0.0.0"
# Keys of a compose service that carry over to swarm as they are.
KEPT = (
    "image",
    "command",
    "entrypoint",
    "environment",
    "healthcheck",
    "init",
    "read_only",
    "cap_add",
    "cap_drop",
    "stop_grace_period",
    "user",
    "working_dir",
    "labels",
)
# Keys swarm has no use for or does not support; anything else is refused (the list below is the contract).
DROPPED = (
    "build",
    "depends_on",
    "restart",
    "security_opt",
    "cpu_shares",
    "networks",
    "pull_policy",
    "container_name",
    "profiles",
)
# Units `tmpfs` sizes come in (compose's short syntax: 64m).
UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class Unsupported(ValueError):
    """The compose config asks for something swarm cannot do; the message says what to change."""


def size_bytes(size: str | int) -> int:
    """`64m`, `1g`, `268435456` in bytes."""
    text = str(size).strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in UNITS and not text[-1:].isdigit() else (text, "")
    return int(number) * UNITS[unit]


def tmpfs_mount(target: str, size: int) -> dict[str, Any]:
    return {"type": "tmpfs", "target": target, "tmpfs": {"size": size}}


def _tmpfs(entry: str) -> dict[str, Any]:
    """compose's `/tmp:size=64m` as a tmpfs mount (size only: swarm takes no other option)."""
    target, _, options = entry.partition(":")
    sizes = [o.partition("=")[2] for o in options.split(",") if o.startswith("size=")]
    mount: dict[str, Any] = {"type": "tmpfs", "target": target}
    if sizes:
        mount["tmpfs"] = {"size": size_bytes(sizes[0])}
    return mount


def _volume(volume: Mapping[str, Any]) -> dict[str, Any]:
    kept = {k: volume[k] for k in ("type", "source", "target", "read_only") if k in volume}
    return kept


def _port(port: Mapping[str, Any], mode: str) -> dict[str, Any]:
    return {
        "target": int(port["target"]),
        "published": int(port["published"]),
        "protocol": port.get("protocol", "tcp"),
        "mode": mode,
    }


def _deploy(name: str, deploy: Mapping[str, Any], publish_mode: str) -> dict[str, Any]:
    # A service's name resolves to its tasks' own addresses (DNS round robin), not to a virtual IP that
    # the kernel's IPVS balances: IPVS is not everywhere (not on this project's CI hosts), and only the
    # routing mesh (`ingress`) needs it.
    converted: dict[str, Any] = {} if publish_mode == "ingress" else {"endpoint_mode": "dnsrr"}
    if "replicas" in deploy:
        converted["replicas"] = int(deploy["replicas"])
    limits = dict((deploy.get("resources") or {}).get("limits") or {})
    if "cpus" in limits:
        cpus = float(limits.pop("cpus"))
        # 0 is compose's "no quota" here (WORKER_CPUS=0); swarm's is no limit at all.
        if cpus:
            limits["cpus"] = f"{cpus:g}"
    if limits:
        converted["resources"] = {"limits": limits}
    placement = {k: v for k, v in (deploy.get("placement") or {}).items() if v}
    if placement:
        converted["placement"] = placement
    unknown = set(deploy) - {"replicas", "resources", "placement"}
    if unknown:
        raise Unsupported(f"service {name}: deploy keys {sorted(unknown)} are not converted for swarm")
    return converted


def _service(
    name: str, service: Mapping[str, Any], secrets: Callable[[str], str], publish_mode: str
) -> dict[str, Any]:
    if service.get("cpuset"):
        raise Unsupported(
            f"service {name}: pinned to cores {service['cpuset']} (WORKER_CPUSET), which swarm cannot do: "
            "unset it (pinned cells are compose's: make compare PIN=1)"
        )
    unknown = (
        set(service)
        - set(KEPT)
        - set(DROPPED)
        - {
            "cpuset",
            "deploy",
            "tmpfs",
            "shm_size",
            "volumes",
            "ports",
        }
    )
    if unknown:
        raise Unsupported(f"service {name}: keys {sorted(unknown)} are not converted for swarm")
    converted = {k: service[k] for k in KEPT if service.get(k) is not None}
    environment = dict(converted.get("environment") or {})
    if "API_BIND" in environment and service.get("ports"):
        environment["API_BIND"] = EVERY_ADDRESS
    if environment:
        converted["environment"] = environment
    converted["deploy"] = _deploy(name, service.get("deploy") or {}, publish_mode)
    mounts: list[dict[str, Any]] = [_tmpfs(entry) for entry in service.get("tmpfs") or []]
    if service.get("shm_size"):
        mounts.append(tmpfs_mount("/dev/shm", size_bytes(service["shm_size"])))
    mounted_secrets = []
    for volume in service.get("volumes") or []:
        if volume.get("source") == SECRET_VOLUME:
            mounted_secrets += [
                {"source": secrets(secret), "target": f"{volume['target']}/{file}"}
                for file, secret in SECRET_FILES.items()
            ]
        else:
            mounts.append(_volume(volume))
    if mounts:
        converted["volumes"] = mounts
    if mounted_secrets:
        converted["secrets"] = mounted_secrets
    if service.get("ports"):
        converted["ports"] = [_port(p, publish_mode) for p in service["ports"]]
    return converted


def secret_name(stack: str, secret: str) -> str:
    """A secret's name on the swarm: `<stack>_<secret>`, as `docker stack deploy` names what it creates."""
    return f"{stack}_{secret}"


def stack_file(config: Mapping[str, Any], stack: str, *, publish_mode: str = "host") -> dict[str, Any]:
    """The stack file for `docker stack deploy STACK`, from `docker compose config --format json`."""
    services = {
        name: _service(name, service, lambda secret: secret_name(stack, secret), publish_mode)
        for name, service in config["services"].items()
        if name != SECRET_SERVICE
    }
    used_volumes = {
        v["source"] for s in services.values() for v in s.get("volumes", []) if v["type"] == "volume"
    }
    used_secrets = {s["source"] for service in services.values() for s in service.get("secrets", [])}
    stack_file: dict[str, Any] = {"version": VERSION, "services": services}
    if used_volumes:
        stack_file["volumes"] = {name: {} for name in sorted(used_volumes)}
    if used_secrets:
        # Created by swarm-up before the deploy, removed by swarm-down: the deploy never sees the password.
        stack_file["secrets"] = {name: {"external": True} for name in sorted(used_secrets)}
    return stack_file


def removal_waves(config: Mapping[str, Any]) -> list[list[str]]:
    """The compose services in the order to stop them, dependants first (as `docker compose down` does).

    Swarm removes a stack's services all at once: a worker told to stop as Redis goes would spend its
    stop grace period (minutes) trying to reach it to finish cleanly.
    """
    remaining = {name: set(service.get("depends_on") or {}) for name, service in config["services"].items()}
    waves = []
    while remaining:
        needed = set().union(*remaining.values())
        wave = sorted(name for name in remaining if name not in needed) or sorted(remaining)
        waves.append(wave)
        for name in wave:
            del remaining[name]
    return waves
