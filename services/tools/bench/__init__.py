"""`make bench`: our per-job overhead, parallel efficiency, aggregation and enqueue costs, beside the peers'.

Host-side only (a redis-server on a free loopback port, real `python -m worker` and `rq worker`
processes, `celery worker` and `dramatiq` processes for the peers, a real uvicorn), so it runs without
Docker. Every figure is measured in the run that prints it; the peers are never quoted. Queue figures:
enqueue with no worker, hide the queue key (RENAME), start the workers, wait until they are ready,
RENAME it back, and time from the first job's start to the last job's end.
"""
