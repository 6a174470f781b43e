"""The README's results block shows each cell's throttling beside its throughput: quota cells by their
workers' throttled periods, pinned cells as having no quota, comparisons made before either as `-`."""

from services.tools.results.readme import readme_block, readme_parts
from services.tools.results.summary import compare_summary


def cell(topology: str, pinned: list[str], share: float | None, note: str = "") -> dict:
    summary = None if share is None else {"median": share, "min": share, "max": share, "n": 1}
    return {
        "topology": topology,
        "layout": "2 x 1 CPU, pool 1",
        "mode": "local",
        "note": note,
        "pinned": pinned,
        "jobs_per_second": {"median": 2.0},
        "of_ceiling": {"median": 0.8},
        "throttled_share": summary,
    }


def block_lines(result: dict) -> list[str]:
    """The README block made from this comparison alone, as lines."""
    return readme_block(readme_parts(result, None, "here")).splitlines()


def test_throttling_column() -> None:
    older = cell("thin", [], None)
    del older["pinned"], older["throttled_share"]
    result = {
        "title": "t",
        "budget": 2,
        "ceiling": {"jobs_per_second": {"median": 2.5}},
        "cells": [cell("thin", [], 0.125), cell("thin pinned", ["0", "1"], None), older],
    }
    rows = [line for line in block_lines(result) if line.startswith("| thin")]
    assert [row.split(" | ")[-1] for row in rows] == ["12.5 % of periods |", "no quota |", "- |"]


def test_rows_in_one_container_under_the_ceiling_and_in_the_summary() -> None:
    threads = {
        "label": "threads (GIL)",
        "layout": "ThreadPoolExecutor(2), --cpus 2",
        "note": "counter-example: one thread runs at a time: ~1 core of 2",
        "jobs_per_second": {"median": 1.25},
        "of_ceiling": {"median": 0.5},
        "cores": {"median": 1.02},
    }
    result = {
        "title": "t",
        "budget": 2,
        "ceiling": {"jobs_per_second": {"median": 2.5}, "efficiency": {"median": 0.95}},
        "cells": [cell("thin", [], 0.125)],
        "runtimes": [threads],
    }
    lines = block_lines(result)
    ceiling = next(i for i, line in enumerate(lines) if line.startswith("| ceiling"))
    assert lines[ceiling + 1] == "| threads (GIL) | ThreadPoolExecutor(2) | - | 1.25 | 50 | |"
    (said,) = [line for line in compare_summary({**result, "cells": []}) if "threads (GIL)" in line]
    assert "50 % of the ceiling, 1.0 cores busy; counter-example" in said
    # A comparison from before these rows: none shown, nothing else changes.
    del result["runtimes"]
    assert not [line for line in block_lines(result) if "Executor" in line]


def test_queue_peers_after_the_cells_and_in_the_summary() -> None:
    celery = {
        "label": "Celery prefork",
        "topology": "thin",
        "layout": "2 x 1 CPU, prefork -c 1",
        "note": "peer: Celery 5.7 prefork, acks_late",
        "jobs_per_second": {"median": 1.5},
        "of_ceiling": {"median": 0.6},
        "cores": {"median": 1.84},
        "throttled_share": {"median": 0.25, "min": 0.25, "max": 0.25, "n": 1},
    }
    result = {
        "title": "t",
        "budget": 2,
        "ceiling": {"jobs_per_second": {"median": 2.5}, "efficiency": {"median": 0.95}},
        "cells": [cell("thin", [], 0.125)],
        "peers": [celery],
    }
    lines = block_lines(result)
    last_cell = max(i for i, line in enumerate(lines) if line.startswith("| thin |"))
    assert lines[last_cell + 1] == (
        "| thin (Celery prefork) | 2 x 1 CPU, prefork -c 1 | distributed | 1.50 | 60 | 25.0 % of periods |"
    )
    (said,) = [line for line in compare_summary({**result, "cells": []}) if "Celery" in line]
    assert "60 % of the ceiling, 1.8 cores busy; peer: Celery 5.7 prefork" in said
    del result["peers"]
    assert not [line for line in block_lines(result) if "Celery" in line]
