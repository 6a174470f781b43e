"""The warm Pool: where a job is split into pool tasks and merged under the Lock (aggregation.py)."""
