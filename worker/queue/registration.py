"""RQ's record of this worker, written again when Redis has lost it.

Under volatile-lru (docker-compose.yml) memory pressure evicts keys that carry an expiry, and RQ's worker
hash (`rq:worker:<name>`, expired worker_ttl + 60 s after its last heartbeat) is one of them; a Redis
restarted from its append-only file may lack its last second of writes too. RQ's later heartbeats then
write `last_heartbeat` into a new hash without `birth`: `rq info` and GET /workers miss the worker, and
the heartbeat (worker/queue/heartbeat.py), which reads `birth` to say ready, kept it unready for good while
it went on taking jobs. Instead the heartbeat calls `restore()`: RQ's own `register_birth` writes the
record again, the leftover hash removed first, with the state the worker is in.
"""

import logging

from rq import SimpleWorker

log = logging.getLogger(__name__)

_current: SimpleWorker | None = None


def track(worker: SimpleWorker | None) -> None:
    """The worker whose loop runs in this process now (None once it has ended)."""
    global _current
    _current = worker


def restore() -> bool:
    """Register the running worker again if it had registered itself; whether it did now."""
    worker = _current
    # Not before RQ's bootstrap registered it (its own register_birth would then find ours and refuse).
    if worker is None or worker.birth_date is None:
        return False
    state = worker.get_state()
    worker.connection.delete(worker.key)
    try:
        worker.register_birth()
    except ValueError:
        # The worker's loop wrote into the hash between the two: the next beat tries again.
        return False
    worker.connection.hset(worker.key, "state", state)
    log.warning("RQ's record of worker %s was gone from Redis (evicted, lost): registered again", worker.name)
    return True
