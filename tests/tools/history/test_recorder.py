"""The recorder writes each operation's invoke and the outcome the client can know: ok, fail or info.

Against the real API on loopback (tests/conftest.py: redis-server, worker processes, uvicorn), and, for
the two ways a request gets no answer, real sockets: a port nobody listens on (refused: it never reached
an API, `fail`), and one that accepts the connection and never answers (a timeout: unknown, `info`).
"""

import socket
from pathlib import Path

import httpx
import pytest

from services.tools.history import recorder
from services.tools.history.recorder import Recorder
from services.tools.history.stored import Mark
from tests.helpers import free_port, wait_for_job

pytestmark = pytest.mark.integration

BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}


def outcomes(path: Path) -> list[tuple[str, str, object]]:
    """(f, type, http status or id) of every completion, in order, each after its own invoke."""
    _, ops = recorder.load(path)
    invoked: set[int] = set()
    rows = []
    for op in ops:
        if op["type"] == "invoke":
            invoked.add(op["op"])
        else:
            assert op["op"] in invoked, "a completion before its invoke"
            rows.append((op["f"], op["type"], op["value"].get("http", op["value"].get("status"))))
    return rows


def test_answers_are_ok_or_fail_as_the_api_said(api: httpx.Client, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    with Recorder(path, Mark(0.0, 0)) as history:
        job_id = recorder.submit(api, history, BODY)
        assert job_id is not None
        assert recorder.submit(api, history, {**BODY, "kernel": "nope"}) is None  # 422: refused
        wait_for_job(api, job_id)
        assert recorder.read(api, history, job_id)["status"] == "finished"
        assert recorder.cancel(api, history, job_id) is None  # 409: it had ended
    assert outcomes(path) == [
        ("submit", "ok", None),
        ("submit", "fail", 422),
        ("read", "ok", "finished"),
        ("cancel", "fail", 409),
    ]


def test_no_answer_is_fail_if_nothing_was_sent_and_info_if_it_may_have_been(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    with socket.socket() as silent, Recorder(path, Mark(0.0, 0)) as history:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts connections; nobody reads or answers
        refused = httpx.Client(base_url=f"http://127.0.0.1:{free_port()}", timeout=1)
        unanswered = httpx.Client(base_url=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        with refused, unanswered:
            assert recorder.submit(refused, history, BODY) is None
            assert recorder.submit(unanswered, history, BODY) is None
    assert [(f, kind) for f, kind, _ in outcomes(path)] == [("submit", "fail"), ("submit", "info")]
