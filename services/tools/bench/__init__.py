"""`make bench`: our per-job overhead, parallel efficiency, aggregation and enqueue costs, beside the peers'.

Host-side only (a redis-server on a free loopback port, real `python -m worker` and `rq worker`
processes, a real uvicorn), so it runs without Docker. Queue figures follow ANCHORS.md's method:
enqueue with no worker, hide the queue key (RENAME), start the workers, wait until they are ready,
RENAME it back, and time from the first job's start to the last job's end (RQ's own timestamps).
"""
