"""What Redis kept of a run, read for the checker: the jobs' records and the workers' executions.

Two read-only Lua scripts, run either on a redis-py client (tests, host processes) or inside the stack's
Redis container with `redis-cli --json` (the checker after `make chaos`: Redis is not published, and its
password stays in the container). Both return plain nested lists, decoded the same way here.
"""

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import docker
import redis
from docker.models.containers import Container

from services.tools.monitor.docker_cpu import PROJECT_LABEL, SERVICE_LABEL
from shared.job_store import EXECUTIONS, HISTOGRAM, PREFIX

# Runs a script with no keys and these arguments; returns its reply as nested lists of str/int/None.
Evaluate = Callable[[str, Sequence[str]], Any]

_FIELDS = ("id", "created_at", "status", "spec", "mode", "count", "error", *HISTOGRAM)

# Every job record created at or after ARGV[1] (Unix seconds): the fields above, in that order. A record
# is the key PREFIX + id; its helper keys (PREFIX + id + ":merged", ...) are skipped.
_RECORDS_SINCE = f"""
local since = tonumber(ARGV[1])
local fields = {{{", ".join(f"'{name}'" for name in _FIELDS)}}}
local out = {{}}
local cursor = '0'
repeat
  local reply = redis.call('SCAN', cursor, 'MATCH', '{PREFIX}*', 'COUNT', 1000)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do
    if not string.find(key, ':', {len(PREFIX) + 1}, true) then
      local row = redis.call('HMGET', key, unpack(fields))
      if row[2] and tonumber(row[2]) >= since then table.insert(out, row) end
    end
  end
until cursor == '0'
return out
"""

# How many entries the executions stream was ever given (XINFO's entries-added; 0 if it does not exist):
# taken at a run's start and end, the difference is what the run added, whether trimmed since or not.
_ADDED = f"""
local added = 0
if redis.call('EXISTS', '{EXECUTIONS}') == 1 then
  local info = redis.call('XINFO', 'STREAM', '{EXECUTIONS}')
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then added = info[i + 1] end
  end
end
return added
"""

# The executions stream from ARGV[1] (a stream id, e.g. milliseconds) on.
_EXECUTIONS_SINCE = f"return redis.call('XRANGE', '{EXECUTIONS}', ARGV[1], '+')"


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
class Stored:
    jobs: list[StoredJob]
    executions: list[Execution]
    truncated: bool  # some of the run's executions were trimmed away (EXECUTIONS_KEPT)


def mark(evaluate: Evaluate) -> Mark:
    """Taken before a run starts: what `read` compares the end with."""
    return Mark(time.time(), int(evaluate(_ADDED, [])))


def read(evaluate: Evaluate, start: Mark) -> Stored:
    """Records created since the run's start and the executions appended since then."""
    rows = evaluate(_RECORDS_SINCE, [repr(start.since)])
    added = int(evaluate(_ADDED, []))
    entries = evaluate(_EXECUTIONS_SINCE, [str(int(start.since * 1000))])
    jobs = [_job(dict(zip(_FIELDS, row, strict=True))) for row in rows]
    executions = [
        _execution(entry_id, dict(zip(pairs[::2], pairs[1::2], strict=True))) for entry_id, pairs in entries
    ]
    truncated = added - start.executions_added > len(executions)
    return Stored(jobs, executions, truncated)


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


def on_client(client: redis.Redis) -> Evaluate:
    """Scripts run through a redis-py client."""
    return lambda script, args: _decoded(client.eval(script, 0, *args))


def in_container(container: Container) -> Evaluate:
    """Scripts run by redis-cli inside the stack's Redis container, with the password only it reads."""

    def evaluate(script: str, args: Sequence[str]) -> Any:
        command = 'REDISCLI_AUTH=$(</secrets/redis-password) exec redis-cli --json "$@"'
        code, (out, err) = container.exec_run(
            ["bash", "-c", command, "redis-cli", "EVAL", script, "0", *args], demux=True
        )
        text = (out or b"").decode()
        try:
            if code == 0 and "(error)" not in text[:20]:
                return json.loads(text)
        except json.JSONDecodeError:
            pass
        raise RuntimeError(f"redis-cli in {container.name}: {text[:300]} {(err or b'').decode()[:300]}")

    return evaluate


def redis_container(client: docker.DockerClient, project: str) -> Container:
    """The compose project's running Redis container."""
    filters = {"label": [f"{PROJECT_LABEL}={project}", f"{SERVICE_LABEL}=redis"], "status": "running"}
    found = client.containers.list(filters=filters)
    if not found:
        raise RuntimeError(f"no running Redis container in project {project!r}")
    return found[0]
