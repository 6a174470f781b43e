"""RQ integration: the lean worker, heartbeat, reaper of dead workers' jobs, retry policy, healthcheck."""
