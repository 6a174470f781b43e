"""This container's cgroup, read from inside it: its CPU quota and its CPU use."""
