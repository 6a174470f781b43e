"""The dashboard's figures over recent jobs: statuses, and throughput and latency within the window."""

from shared.job_store import JobBrief
from shared.recent_jobs import summarize

NOW = 1000.0
WINDOW = 60.0


def test_only_jobs_finished_within_the_window_count_towards_throughput_and_latency() -> None:
    briefs = [
        JobBrief("finished", 900.0, 950.0),  # 50 s, ended 50 s ago
        JobBrief("finished", 980.0, 990.0),  # 10 s
        JobBrief("finished", 938.0, 940.0),  # 2 s, ended exactly WINDOW ago: still in
        JobBrief("finished", 800.0, 939.0),  # ended 61 s ago: out
        JobBrief("failed", 950.0, 960.0),  # ended, but no answer: no latency
        JobBrief("canceled", 970.0, 975.0),
        JobBrief("queued", 995.0, None),
        JobBrief("started", 990.0, None),
    ]
    figures = summarize(briefs, NOW, WINDOW)
    assert figures.statuses == {"finished": 4, "failed": 1, "canceled": 1, "queued": 1, "started": 1}
    assert figures.latencies == (2.0, 10.0, 50.0)
    assert figures.jobs_per_second == 0.05  # 3 jobs in 60 s
    # Nearest rank of three: p50 is the 2nd (ceil(1.5)), p95 and p99 the 3rd.
    assert figures.percentiles() == {"p50": 10.0, "p95": 50.0, "p99": 50.0}


def test_no_recent_job_means_no_figures() -> None:
    figures = summarize([], NOW, WINDOW)
    assert (figures.statuses, figures.latencies, figures.jobs_per_second) == ({}, (), 0.0)
    assert figures.percentiles() == {"p50": None, "p95": None, "p99": None}


def test_figures_are_rounded_to_milliseconds() -> None:
    figures = summarize([JobBrief("finished", 995.0, 996.23456)] * 2, NOW, 7.0)
    assert figures.percentiles() == {"p50": 1.235, "p95": 1.235, "p99": 1.235}
    assert figures.jobs_per_second == 0.286  # 2 / 7 = 0.2857...
