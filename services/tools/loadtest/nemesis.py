"""The faults of `make chaos SCHEDULE=random` (schedule.py picks them), each an inject and a heal.

The same shape as faults.py's (a `Fault` acting on a victim container and Redis; `faults.injected`
heals it in a `finally`), and its kill-worker and kill-pool-process are reused as they are. Every heal
is safe to run on a healthy stack, and `heal_all` runs every one of them at the end of a run, whatever
happened: nothing this module does outlives the run.
"""

import dataclasses
import os

import docker
from docker.models.containers import Container
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from services.tools import stack
from services.tools.loadtest.faults import FAULTS, Fault
from services.tools.stack import PROJECT_LABEL, SERVICE_LABEL

HOG_LABEL = "cpu-contrast.chaos-hog"  # value: the compose project it starves
FILLER = "cpuc:chaos:fill:"  # keys of the filler that takes Redis to its maxmemory
FILLER_BYTES = 16 * 1024 * 1024
# Runs a redis-cli session inside the Redis container, with the password only it reads.
_CLI = "REDISCLI_AUTH=$(</secrets/redis-password); export REDISCLI_AUTH; "


def _bash(container: Container, script: str) -> str:
    code, output = container.exec_run(["bash", "-c", _CLI + script])
    text = output.decode(errors="replace")
    if code != 0:
        raise RuntimeError(f"in {container.name}: {text[-300:]}")
    return text


def _kill_redis(victim: Container, redis: Container) -> None:
    redis.kill()  # SIGKILL: no shutdown; what the AOF holds survives


def _stop_redis(victim: Container, redis: Container) -> None:
    redis.stop(timeout=10)  # SIGTERM: Redis flushes its AOF and exits


def _start(container: Container) -> None:
    container.reload()
    if container.status == "paused":
        container.unpause()
    elif container.status != "running":
        container.start()


def _start_redis(victim: Container, redis: Container) -> None:
    _start(redis)


def _pause(victim: Container, redis: Container) -> None:
    victim.pause()  # every process frozen: no heartbeat, no reply; its jobs look abandoned


def _unpause(victim: Container, redis: Container) -> None:
    _start(victim)


def _project_network(container: Container) -> str:
    return f"{container.labels[PROJECT_LABEL]}_default"


def _cut(victim: Container, redis: Container) -> None:
    victim.client.networks.get(_project_network(victim)).disconnect(victim)


def _reconnect(victim: Container, redis: Container) -> None:
    network = victim.client.networks.get(_project_network(victim))
    victim.reload()
    if _project_network(victim) not in victim.attrs["NetworkSettings"]["Networks"]:
        network.connect(victim, aliases=[victim.labels[SERVICE_LABEL]])


def _starve(victim: Container, redis: Container) -> None:
    """A hog on the workers' cores: one busy loop per host core, in a container of the worker image."""
    cores = os.cpu_count() or 1
    victim.client.containers.run(
        victim.attrs["Image"],
        [f"for i in $(seq {cores}); do (while :; do :; done) & done; wait"],
        entrypoint=["bash", "-c"],
        name=f"{victim.labels[PROJECT_LABEL]}-chaos-hog",
        labels={HOG_LABEL: victim.labels[PROJECT_LABEL]},
        cpuset_cpus=victim.attrs["HostConfig"].get("CpusetCpus") or f"0-{cores - 1}",
        network_disabled=True,
        read_only=True,
        user="10001:10001",
        detach=True,
    )


def _unstarve(victim: Container, redis: Container) -> None:
    hogs = victim.client.containers.list(
        all=True, filters={"label": f"{HOG_LABEL}={victim.labels[PROJECT_LABEL]}"}
    )
    for hog in hogs:
        hog.remove(force=True)


def _fill(victim: Container, redis: Container) -> None:
    """Strings of 16 MB until Redis's maxmemory refuses the next write (noeviction)."""
    _bash(
        redis,
        "max=$(redis-cli --raw CONFIG GET maxmemory | tail -n 1); "
        '[[ $max =~ ^[0-9]+$ ]] || { echo "no maxmemory from Redis: $max"; exit 1; }; '
        "(( max > 0 )) || { echo 'Redis has no maxmemory: nothing to fill'; exit 1; }; "
        f"for ((i = 0; i < max / {FILLER_BYTES} + 4; i++)); do "
        f'echo "SETRANGE {FILLER}$i {FILLER_BYTES - 1} x"; done | redis-cli >/dev/null',
    )


def _unfill(victim: Container, redis: Container) -> None:
    redis.reload()
    if redis.status == "running":
        _bash(redis, f"redis-cli --scan --pattern '{FILLER}*' | xargs -r redis-cli UNLINK >/dev/null")


def _retried(fault: Fault) -> Fault:
    """The same fault, its inject tried again for a while if it fails: a pool being replaced, or a
    worker just started, has no pool process to kill yet; a cgroup busy freezing refuses a pause."""

    def inject(victim: Container, redis: Container) -> None:
        retrying = Retrying(
            stop=stop_after_delay(15),
            wait=wait_fixed(1),
            retry=retry_if_exception_type((RuntimeError, docker.errors.APIError)),
            reraise=True,
        )
        retrying(fault.inject, victim, redis)

    return dataclasses.replace(fault, inject=inject)


NEMESIS = {
    fault.name: _retried(fault)
    for fault in (
        FAULTS["kill-worker"],
        FAULTS["kill-pool-process"],
        Fault("kill-redis", "docker kill (SIGKILL) Redis, then start it", _kill_redis, _start_redis),
        Fault("stop-redis", "docker stop (SIGTERM) Redis, then start it", _stop_redis, _start_redis),
        Fault("pause-worker", "docker pause a worker past the heartbeat timeout", _pause, _unpause),
        Fault("cut-worker", "a worker off the network, then reconnected", _cut, _reconnect),
        Fault("cut-api", "the API off the network, then reconnected", _cut, _reconnect),
        Fault("starve-cpu", "a hog container busy on the workers' cores", _starve, _unstarve),
        Fault("fill-redis", "Redis filled to its maxmemory, then emptied", _fill, _unfill),
    )
}


def heal_all(client: docker.DockerClient, project: str) -> list[str]:
    """Every heal on every container of the project (and the hog removed); what failed, if anything."""
    containers = stack.containers(client, project, running=False)
    by_service = {stack.service_of(c): c for c in containers}
    redis = by_service.get("redis")
    errors = []
    steps = [(_start_redis, None)] if redis else []
    for container in containers:
        if stack.service_of(container) in ("api", "worker"):
            steps += [(_unpause, container), (_reconnect, container)]
    if containers:
        steps.append((_unstarve, containers[0]))
    if redis:
        steps.append((_unfill, None))
    for heal, victim in steps:
        try:
            heal(victim or redis, redis)  # type: ignore[arg-type]
        except (docker.errors.DockerException, RuntimeError) as exc:
            errors.append(f"{heal.__name__[1:]}: {exc}")
    return errors
