"""The bytes a run moved, as `make load-test` prints them (traffic.py counts them)."""

from typing import Any

from rich.table import Table


def human_bytes(count: float | None) -> str:
    """1536 -> "1.5 KiB"; None -> "-"."""
    if count is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def traffic_table(traffic: dict[str, Any], project: str = "") -> Table:
    """Network bytes in and out per container, Redis's own count, the jobs' bytes read and pickled."""
    table = Table(
        title="Bytes moved during the run (containers: their network counters; Redis: INFO stats)",
        caption="jobs: bytes the workers read out of Redis and pickled to pool processes (job records)",
    )
    for column in ("service", "container", "in", "out"):
        table.add_column(column, justify="left" if column in ("service", "container") else "right")
    for name, moved in traffic["containers"].items():
        table.add_row(
            moved["service"],
            name.removeprefix(project + "-"),
            human_bytes(moved["rx_bytes"]),
            human_bytes(moved["tx_bytes"]),
        )
    if table.rows:
        table.rows[-1].end_section = True
    redis = traffic["redis"]
    table.add_row(
        "Redis (INFO)",
        "",
        human_bytes(redis and redis["in_bytes"]),
        human_bytes(redis and redis["out_bytes"]),
    )
    jobs = traffic["jobs"]
    table.add_row(
        "jobs", "read / pickled", human_bytes(jobs["bytes_read"]), human_bytes(jobs["bytes_pickled"])
    )
    return table
