"""Small helpers shared by the test suites: free ports, polling, and the CI rule for missing services."""

import os
import shutil
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pytest

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip when a service is missing locally; in CI a missing service is a failure, never a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} is not available")


def require_tool(name: str) -> str:
    """The path of an executable, or skip/fail as `require` does."""
    path = shutil.which(name)
    require(path is not None, f"`{name}`")
    assert path is not None
    return path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """Call `probe` until it returns something other than None (exceptions count as not yet)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value is not None:
                return value
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:g}s (last error: {last_error!r})")


def wait_for_job(client: "httpx.Client", job_id: str, timeout: float = 120) -> dict:
    """Poll GET /jobs/{id} until the job has ended; return its last view."""

    def ended() -> dict | None:
        view = client.get(f"/jobs/{job_id}").raise_for_status().json()
        return view if view["status"] in ("finished", "failed", "stopped", "canceled") else None

    return wait_for(ended, timeout, f"job {job_id}", interval=0.05)


def submit(client: "httpx.Client", body: dict) -> str:
    """POST /jobs; assert 202 and the Location header; return the job id."""
    response = client.post("/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.headers["Location"] == f"/jobs/{job_id}"
    return job_id
