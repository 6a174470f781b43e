"""Host-side load test: submit many jobs to a running stack over HTTP, wait for all, report."""
