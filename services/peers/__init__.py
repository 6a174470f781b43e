"""Queue peers in containers, for make compare's peer rows: other projects' queues on the same CPU budget.

One folder per peer, each an image of its own (compose profile `celery`, ...): its app, configured as its
project's docs recommend for CPU-bound work, and the same image's driver. The shared parts:
`ready` (each worker process says it consumes, in the peers' Redis database), `chunks` (the jobs as our
distributed mode cuts them, and their answers merged), `drive` (the timed run the host tool starts in
the stack's network, whose stdout marks the clock for the host's cgroup readings).
"""
