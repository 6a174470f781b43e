"""services.tools.sweep.agree: two sweeps' shares side by side, and how many points agree within ±5."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from services.tools.sweep.agree import gaps, main, newest, verdict
from services.tools.sweep.rows import SweepResult
from tests.tools.test_sweep_report import sweep_result


def moved(result: SweepResult, line: str, index: int, by: float) -> SweepResult:
    """The same sweep with one line's share at one point moved `by` (a fraction of the ceiling)."""
    points = list(result.points)
    point = points[index]
    share = point.cells[line].of_ceiling
    cell = replace(point.cells[line], of_ceiling={**share, "median": share["median"] + by})
    points[index] = replace(point, cells={**point.cells, line: cell})
    return replace(result, points=points)


def test_every_line_at_every_point_with_its_gap_and_the_widest_named() -> None:
    a = sweep_result()
    b = moved(moved(a, "distributed", 0, 0.07), "peer", 2, -0.05)
    found = gaps(a, b)
    assert len(found) == 4 * 3
    assert [(g.line, g.point, round(g.points)) for g in found if round(g.points)] == [
        ("distributed, 2 CPU", "1.1 ms", 7),
        ("peer, 2 CPU", "105 ms", -5),
    ]
    assert verdict(found) == (
        "11 of 12 points within ±5 points; the widest: distributed, 2 CPU at 1.1 ms, +7 points."
    )


def test_sweeps_planned_differently_are_refused() -> None:
    a = sweep_result()
    other = replace(a, points=[replace(p, seconds=2 * p.seconds) for p in a.points])
    with pytest.raises(ValueError, match="aimed at different points"):
        gaps(a, other)
    with pytest.raises(ValueError, match="task axis, the other on the data axis"):
        gaps(a, replace(a, axis="data"))


def test_the_two_newest_reports_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = sweep_result()
    for stem, result in (
        ("sweep-20261207-100000", moved(a, "local", 1, -0.2)),
        ("sweep-20261207-110000", a),
        ("sweep-20261207-120000", moved(a, "hybrid", 1, 0.04)),
        ("data-axis-20261207-130000", a),
    ):
        (tmp_path / f"{stem}.json").write_text(json.dumps(result.as_json()))
    assert [p.name for p in newest(tmp_path, "task")] == [
        "sweep-20261207-110000.json",
        "sweep-20261207-120000.json",
    ]
    assert main(["--reports", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "12 of 12 points within ±5 points; the widest: hybrid, 2 CPU at 11 ms, +4 points." in out
    # One report only: refused, saying why.
    with pytest.raises(SystemExit) as refused:
        main(["--reports", str(tmp_path), "--axis", "data"])
    assert refused.value.code == 2
    assert "two sweep reports are needed; found 1" in capsys.readouterr().err
