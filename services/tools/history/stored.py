"""What Redis kept of a run, read for the checker: the jobs' records and the workers' executions.

Read in short steps, so that Redis keeps serving the stack meanwhile: the keys by SCAN from the client
side, then the records' fields 200 keys per short read-only script, the stream by pages. Either on a
redis-py client (tests, host processes) or inside the stack's Redis container with `redis-cli --json`
(the checker after `make chaos`: Redis is not published, and its password stays in the container). Both
give plain nested lists, decoded the same way here.
"""

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import docker
import redis
from docker.models.containers import Container

from services.tools import stack
from shared.job_store import ADMITTED_ENTRIES, EXECUTIONS, HISTOGRAM, PREFIX
from shared.redis_script import LuaScript, lua_file

BATCH = 200  # record keys per script
PAGE = 5000  # stream entries per read


class Source(Protocol):
    """Where the reads go: a script with keys and arguments, and a client-side SCAN."""

    def eval(self, script: str, keys: Sequence[str], args: Sequence[str]) -> Any: ...

    def scan(self, pattern: str) -> list[str]: ...


_FIELDS = ("id", "created_at", "status", "spec", "mode", "count", "error", *HISTOGRAM)

# The fields above of each record given, if created since a moment (stored_records.lua).
_RECORDS = LuaScript(
    lua_file(__file__, "stored_records.lua", FIELDS=_FIELDS), (), ("since",), group=("records", ("record",))
)
# How many entries the executions stream was ever given (stored_added.lua).
_ADDED = LuaScript(lua_file(__file__, "stored_added.lua", EXECUTIONS=EXECUTIONS), (), ())
# A page of the executions stream (stored_page.lua).
_EXECUTIONS_PAGE = LuaScript(
    lua_file(__file__, "stored_page.lua", EXECUTIONS=EXECUTIONS), (), ("start", "count")
)
# The queue entries accepted and not yet ended (stored_admitted.lua).
_ADMITTED = LuaScript(lua_file(__file__, "stored_admitted.lua", ADMITTED_ENTRIES=ADMITTED_ENTRIES), (), ())


def _run(source: Source, script: LuaScript, args: Mapping[str, str] | None = None, **lists: Any) -> Any:
    """The script's reply from `source`, with these arguments by name (`lists`: LuaScript.positions's)."""
    keys, argv = script.positions({}, args or {}, **lists)
    return source.eval(script.source, keys, argv)


@dataclass(frozen=True)
class Mark:
    """A run's start: its time, and the executions the stream had been given by then."""

    since: float
    executions_added: int


@dataclass(frozen=True)
class StoredJob:
    """A job's record as the run left it."""

    id: str
    created_at: float
    status: str
    spec: dict[str, Any]
    mode: str
    answer: dict[str, Any]  # count and histogram merged so far (the answer once finished)
    error: str | None


@dataclass(frozen=True)
class Execution:
    """One run of a chunk (or a whole local job, chunk "all") that reached its end-of-job step."""

    stream_id: str
    job: str
    chunk: str
    host: str
    attempt: int
    effect: bool  # merged or ended; False: refused (already merged, the job ended, no record)


@dataclass(frozen=True)
class Ended:
    """A job's end as the stream noted it: what is left once its record was trimmed or evicted."""

    status: str
    count: int


@dataclass(frozen=True)
class Stored:
    jobs: list[StoredJob]
    executions: list[Execution]
    truncated: bool  # some of the run's executions or ends were trimmed away (EXECUTIONS_KEPT)
    ends: dict[str, Ended] = field(default_factory=dict)  # job id -> its end, noted on the stream


def mark(source: Source) -> Mark:
    """Taken before a run starts: what `read` compares the end with."""
    return Mark(time.time(), int(_run(source, _ADDED)))


def admitted(source: Source) -> int:
    """Queue entries accepted and not yet ended (services/api/admission.py): 0 once drained."""
    return int(_run(source, _ADMITTED))


def read(source: Source, start: Mark, batch: int = BATCH, page_size: int = PAGE) -> Stored:
    """Records created since the run's start and the executions appended since then."""
    keys = [key for key in source.scan(PREFIX + "*") if ":" not in key[len(PREFIX) :]]
    rows = [
        row
        for i in range(0, len(keys), batch)
        for row in _run(
            source,
            _RECORDS,
            {"since": repr(start.since)},
            groups=[{"record": key} for key in keys[i : i + batch]],
        )
    ]
    added = int(_run(source, _ADDED))
    entries: list[Any] = []
    cursor = str(int(start.since * 1000))
    while page := _run(source, _EXECUTIONS_PAGE, {"start": cursor, "count": str(page_size)}):
        entries += page
        cursor = "(" + page[-1][0]
        if len(page) < page_size:
            break
    jobs = [_job(dict(zip(_FIELDS, row, strict=True))) for row in rows]
    executions, ends = [], {}
    for entry_id, pairs in entries:
        fields = dict(zip(pairs[::2], pairs[1::2], strict=True))
        # An entry notes a job's end, a worker's step, or both (the step that ended the job).
        if "ended" in fields:
            ends[fields["job"]] = Ended(fields["ended"], int(fields["count"]))
        if "chunk" in fields:
            executions.append(_execution(entry_id, fields))
    return Stored(jobs, executions, truncated=added - start.executions_added > len(entries), ends=ends)


def _job(row: dict[str, Any]) -> StoredJob:
    return StoredJob(
        id=row["id"],
        created_at=float(row["created_at"]),
        status=row["status"],
        spec=json.loads(row["spec"]),
        mode=row["mode"],
        answer={"count": int(row["count"]), "histogram": [int(row[name]) for name in HISTOGRAM]},
        error=row["error"] or None,
    )


def _execution(entry_id: str, fields: dict[str, str]) -> Execution:
    return Execution(
        stream_id=entry_id,
        job=fields["job"],
        chunk=fields["chunk"],
        host=fields["host"],
        attempt=int(fields["attempt"]),
        effect=fields["effect"] == "1",
    )


def _decoded(reply: Any) -> Any:
    if isinstance(reply, bytes):
        return reply.decode()
    if isinstance(reply, list):
        return [_decoded(item) for item in reply]
    return reply


class OnClient:
    """Reads through a redis-py client."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def eval(self, script: str, keys: Sequence[str], args: Sequence[str]) -> Any:
        return _decoded(self.client.eval(script, len(keys), *keys, *args))

    def scan(self, pattern: str) -> list[str]:
        return [key.decode() for key in self.client.scan_iter(match=pattern, count=1000)]


class InContainer:
    """Reads by redis-cli inside the stack's Redis container, with the password only it reads."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def _cli(self, *args: str) -> str:
        command = 'REDISCLI_AUTH=$(</secrets/redis-password) exec redis-cli "$@"'
        code, (out, err) = self.container.exec_run(["bash", "-c", command, "redis-cli", *args], demux=True)
        text = (out or b"").decode()
        if code != 0 or text.startswith(("Error", "(error)", "ERR", "BUSY", "LOADING")):
            raise RuntimeError(
                f"redis-cli in {self.container.name}: {text[:300]} {(err or b'').decode()[:300]}"
            )
        return text

    def eval(self, script: str, keys: Sequence[str], args: Sequence[str]) -> Any:
        text = self._cli("--json", "EVAL", script, str(len(keys)), *keys, *args)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise RuntimeError(f"redis-cli in {self.container.name}: {text[:300]}") from exc

    def scan(self, pattern: str) -> list[str]:
        return self._cli("--scan", "--pattern", pattern, "--count", "1000").split()


def redis_container(client: docker.DockerClient, project: str) -> Container:
    """The compose project's running Redis container."""
    found = stack.containers(client, project, "redis")
    if not found:
        raise RuntimeError(f"no running Redis container in project {project!r}")
    return found[0]
