"""The peers, measured in the same `make bench` run as ours: Celery and Dramatiq on Redis.

Each runs the same tiny and ~20 ms CPU-bound primes jobs as ours, by the same method (method.py):
jobs enqueued with no worker running, the queue key hidden by RENAME while the workers start, shown
again once they are ready, and timed from the first job's start to the last job's end. Their workers
are real CLI processes (`celery worker`, `dramatiq`) on the bench's redis-server, on the same cores.
"""
