"""A container's cgroup: its CPU quota, CPU use and throttling, read from inside it (the worker) or
from the host by its folder (the host tools)."""
