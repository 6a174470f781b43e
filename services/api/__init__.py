"""The HTTP API: validates job requests, enqueues them on RQ, reports their status and results."""
