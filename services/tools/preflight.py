"""What the host-side tools need before they start (Docker, the API, a ready worker, the stack's
containers), each refusal in one line that names the command that fixes it.

`make load-test`, `make compare`, `make chaos`, `make stats` and `make idle` call these first; each
catches NotReady, prints its message with `refuse` and exits with NOT_READY.
"""

import argparse
import os
import sys
from collections.abc import Callable

import docker
import docker.errors
import httpx
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from services.tools import api_auth
from services.tools.stack import containers

# The exit status of a tool that refused to start (1 means it ran and found something wrong).
NOT_READY = 2
# How often a wait for a ready worker asks the API.
POLL_SECONDS = 1.0


class NotReady(Exception):
    """Something the tool needs is not running; the message says what and which command fixes it."""


def refuse(prog: str, exc: NotReady) -> int:
    """Print the refusal on one line of stderr (no wrapping, no traceback); NOT_READY."""
    print(f"{prog}: {exc}", file=sys.stderr, flush=True)
    return NOT_READY


def docker_client(**options: object) -> docker.DockerClient:
    """A client of a Docker engine that answers PING; NotReady if none does (DOCKER_HOST included)."""
    where = os.environ.get("DOCKER_HOST") or "the default socket"
    try:
        client = docker.from_env(**options)
        client.ping()
    except docker.errors.DockerException as exc:
        raise NotReady(
            f"Docker is not reachable at {where} ({_reason(exc)}): start Docker (or fix DOCKER_HOST), "
            "then `make up`"
        ) from None
    return client


def require_containers(client: docker.DockerClient, project: str) -> None:
    """NotReady unless the compose project has a running container."""
    if not containers(client, project):
        raise NotReady(
            f"no container of the compose project {project!r} is running: start the stack with `make up`"
        )


def require_api(url: str) -> None:
    """NotReady unless GET /health answers 200 (the API is up and Redis answers it)."""
    try:
        httpx.get(f"{url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise NotReady(
            f"the API at {url} is not answering ({_reason(exc)}): start the stack with `make up`"
        ) from None


def ready_workers(url: str) -> int:
    """Worker containers ready to take jobs (GET /workers `ready`: registered with RQ, pool whole).

    NotReady if the API wants a token it was not given (API_TOKEN, services/tools/api_auth.py).
    """
    response = httpx.get(f"{url}/workers", headers=api_auth.headers(), timeout=5)
    if response.status_code == 401:
        raise NotReady(
            f"the API at {url} wants its bearer token ({response.json().get('detail')}): set API_TOKEN "
            "to the stack's (`make` reads it from .env; `make env` writes one there)"
        )
    return sum(w["ready"] for w in response.raise_for_status().json())


def add_wait_workers_option(parser: argparse.ArgumentParser) -> None:
    """--wait-workers, as every tool that needs a consuming worker takes it."""
    parser.add_argument(
        "--wait-workers",
        type=float,
        default=60,
        help="seconds to wait, saying so, for a ready worker before giving up (default: %(default)s)",
    )


def wait_for_workers(url: str, seconds: float, say: Callable[[str], None]) -> int:
    """The ready worker containers, once there is one; says so before waiting up to `seconds` for one.

    NotReady if none is ready by then: jobs would only wait in the queue.
    """
    ready = ready_workers(url)
    if ready:
        return ready
    say(
        f"no worker is consuming the queue (the API at {url} lists no ready worker): waiting up to "
        f"{seconds:g} s for one; start them with `make up` (or `docker compose up -d worker`)"
    )
    retrying = Retrying(
        stop=stop_after_delay(seconds), wait=wait_fixed(POLL_SECONDS), retry=retry_if_result(lambda n: not n)
    )
    try:
        ready = retrying(ready_workers, url)
    except RetryError:  # none ready by the bound
        ready = 0
    if ready:
        say(f"{ready} worker container(s) ready: starting")
        return ready
    raise NotReady(
        f"no worker is consuming the queue after {seconds:g} s (GET {url}/workers lists none ready): "
        "start them with `make up` (or `docker compose up -d worker`)"
    )


def _reason(exc: Exception) -> str:
    """A short cause: the HTTP status, or the first line of the error."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
