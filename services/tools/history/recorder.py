"""A client's operations as a history, one JSON line each: what the checker (checker.py) judges.

Every operation is a line `invoke`, then one completion with the same `op` number: `ok` (the API said
yes), `fail` (it definitely did not happen: a 4xx, or the connection never opened) or `info` (unknown: a
timeout, a reset connection, a 5xx, the client interrupted). Lines carry the Unix time and the thread
(`process`), as Jepsen's histories do. The first line marks the run's start (stored.Mark): the checker
reads Redis from there.

    with Recorder(path, start) as history:
        job_id = submit(api, history, body)   # also cancel(...) and read(...)
"""

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from services.tools.history.stored import Mark


class Recorder:
    """Appends operations to a JSONL file from any thread, each line written whole."""

    def __init__(self, path: Path, start: Mark) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("w", buffering=1)
        self._lock = threading.Lock()
        self._next = 0
        self._write({"type": "start", "since": start.since, "executions_added": start.executions_added})

    def _write(self, line: dict[str, Any]) -> None:
        text = json.dumps({**line, "time": time.time()}) + "\n"
        with self._lock:
            self._file.write(text)

    def invoke(self, f: str, value: dict[str, Any]) -> int:
        """Record that an operation begins; returns its number for `complete`."""
        with self._lock:
            op, self._next = self._next, self._next + 1
        self._write(
            {"op": op, "process": threading.current_thread().name, "type": "invoke", "f": f, "value": value}
        )
        return op

    def complete(self, op: int, kind: str, f: str, value: dict[str, Any]) -> None:
        """Record how operation `op` ended: kind "ok", "fail" or "info"."""
        line = {"op": op, "process": threading.current_thread().name, "type": kind, "f": f, "value": value}
        self._write(line)

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def call(
    history: Recorder,
    f: str,
    value: dict[str, Any],
    request: Callable[[], httpx.Response],
    on_ok: Callable[[httpx.Response], dict[str, Any]],
) -> httpx.Response | None:
    """Make one recorded request: the response if it came (any status), None if none came."""
    op = history.invoke(f, value)
    try:
        response = request()
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        history.complete(op, "fail", f, {"error": f"{type(exc).__name__}: {exc}"})  # never reached the API
        return None
    except httpx.HTTPError as exc:
        history.complete(op, "info", f, {"error": f"{type(exc).__name__}: {exc}"})
        return None
    except BaseException as exc:
        history.complete(op, "info", f, {"error": f"interrupted: {type(exc).__name__}"})
        raise
    if response.is_success:
        history.complete(op, "ok", f, on_ok(response))
    else:
        kind = "info" if response.status_code >= 500 else "fail"
        history.complete(op, kind, f, {"http": response.status_code, "body": response.text[:200]})
    return response


def submit(api: httpx.Client, history: Recorder, body: dict[str, Any]) -> str | None:
    """POST /jobs, recorded: the job's id if accepted (202)."""
    response = call(
        history, "submit", body, lambda: api.post("/jobs", json=body), lambda r: {"id": r.json()["id"]}
    )
    return response.json()["id"] if response is not None and response.status_code == 202 else None


def _about_job(history: Recorder, f: str, job_id: str, request: Callable[[], httpx.Response]) -> Any:
    """A recorded request about one job, whose answer carries the job's status."""
    response = call(
        history, f, {"id": job_id}, request, lambda r: {"id": job_id, "status": r.json()["status"]}
    )
    return response.json() if response is not None and response.is_success else None


def cancel(api: httpx.Client, history: Recorder, job_id: str) -> str | None:
    """POST /jobs/<id>/cancel, recorded: the job's status if the API answered it (200)."""
    answer = _about_job(history, "cancel", job_id, lambda: api.post(f"/jobs/{job_id}/cancel"))
    return answer["status"] if answer is not None else None


def read(api: httpx.Client, history: Recorder, job_id: str) -> dict[str, Any] | None:
    """GET /jobs/<id>, recorded: the job as the API shows it, if it answered 200."""
    return _about_job(history, "read", job_id, lambda: api.get(f"/jobs/{job_id}"))


def load(path: Path) -> tuple[Mark, list[dict[str, Any]]]:
    """A recorded history: its start mark and its operations' lines, in order."""
    lines = [json.loads(text) for text in path.read_text().splitlines() if text.strip()]
    start, ops = lines[0], lines[1:]
    if start.get("type") != "start":
        raise ValueError(f"{path}: the first line is not the run's start mark")
    return Mark(start["since"], start["executions_added"]), ops
