"""The README's results block shows each cell's throttling beside its throughput: quota cells by their
workers' throttled periods, pinned cells as having no quota, comparisons made before either as `-`."""

from services.tools.results import readme_block


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


def test_throttling_column() -> None:
    older = cell("thin", [], None)
    del older["pinned"], older["throttled_share"]
    result = {
        "title": "t",
        "budget": 2,
        "ceiling": {"jobs_per_second": {"median": 2.5}},
        "cells": [cell("thin", [], 0.125), cell("thin pinned", ["0", "1"], None), older],
    }
    rows = [line for line in readme_block(result, None, "here").splitlines() if line.startswith("| thin")]
    assert [row.split(" | ")[-1] for row in rows] == ["12.5 % of periods |", "no quota |", "- |"]
