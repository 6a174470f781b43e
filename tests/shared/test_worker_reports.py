"""Self-reports of several worker processes merge into one entry per container (hostname)."""

from shared.worker_reports import merge_by_host, total_quota


def report(host: str, worker: str, updated_at: float, cpu: float, pool: int, jobs: int, chunks: int) -> dict:
    return {
        "host": host,
        "worker": f"{host}.{worker}",
        "worker_class": "worker.queue.lean.LeanWorker",
        "pool_processes": pool,
        "cpu_quota": 2.0,
        "cpu_percent": cpu,
        "cpu_seconds": cpu * 10,
        "cpu_periods": int(cpu * 100),
        "cpu_throttled_periods": int(cpu),
        "cpu_throttled_seconds": cpu / 100,
        "jobs_done": jobs,
        "chunks_done": chunks,
        "updated_at": updated_at,
    }


def test_one_entry_per_host_with_sums_and_the_newest_cpu() -> None:
    merged = merge_by_host(
        [
            report("b", "1.x", 100.0, 50.0, 2, 3, 10),
            report("a", "7.y", 100.0, 20.0, 1, 0, 0),
            report("b", "2.z", 100.5, 180.0, 2, 1, 6),
        ]
    )
    assert [m["host"] for m in merged] == ["a", "b"]
    b = merged[1]
    assert b["consumers"] == 2
    assert (b["pool_processes"], b["jobs_done"], b["chunks_done"]) == (4, 4, 16)
    # Container-wide figures (its cgroup): the newest report's, not a sum.
    container = (b["cpu_percent"], b["cpu_seconds"], b["cpu_quota"], b["updated_at"])
    assert container == (180.0, 1800.0, 2.0, 100.5)
    throttling = (b["cpu_periods"], b["cpu_throttled_periods"], b["cpu_throttled_seconds"])
    assert throttling == (18000, 180, 1.8)
    assert b["worker_class"] == "worker.queue.lean.LeanWorker"
    assert "worker" not in b  # a process's name says nothing about the container
    assert merged[0]["consumers"] == 1 and merged[0]["pool_processes"] == 1


def test_processes_of_one_host_with_different_classes_list_both() -> None:
    stock = {**report("a", "2.z", 1.0, 0.0, 1, 0, 0), "worker_class": "rq.worker.SimpleWorker"}
    (merged,) = merge_by_host([report("a", "1.x", 1.0, 0.0, 1, 0, 0), stock])
    assert merged["worker_class"] == "rq.worker.SimpleWorker, worker.queue.lean.LeanWorker"


def test_no_reports_no_hosts() -> None:
    assert merge_by_host([]) == []


def test_a_report_from_before_the_throttling_fields_merges_with_none() -> None:
    old = report("a", "1.x", 1.0, 0.0, 1, 0, 0)
    for field in ("cpu_periods", "cpu_throttled_periods", "cpu_throttled_seconds"):
        del old[field]
    (merged,) = merge_by_host([old])
    assert merged["cpu_periods"] is merged["cpu_throttled_seconds"] is None


def test_the_quotas_add_up_unless_a_container_has_none() -> None:
    assert total_quota([1.0, 0.5, 2.0]) == 3.5
    assert total_quota([1.0, None]) is None  # one container without a limit: no total limit
    assert total_quota([]) == 0
