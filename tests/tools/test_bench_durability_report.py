"""Figure 7 from hand-made runs (no benchmark run): its rates, per-round ratios, its line in the bench's
table and on the results page, and the disk flush counter read from a diskstats file."""

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from services.tools.bench import disk, render, report_durability
from services.tools.bench.figures import SECTIONS
from services.tools.results.page import build as build_results

# Jobs accepted per second in each run: round -> way -> (everysec, always).
RATES = {
    0: {"sequential": (1000.0, 250.0), "concurrent": (2000.0, 1000.0)},
    1: {"sequential": (800.0, 400.0), "concurrent": (1600.0, 1200.0)},
    2: {"sequential": (900.0, 300.0), "concurrent": (1800.0, 900.0)},
}
JOBS = 40


def runs(missing_records: int = 0) -> list[dict[str, Any]]:
    out = []
    for i, ways in RATES.items():
        for way, pair in ways.items():
            for policy, rate in zip(("everysec", "always"), pair, strict=True):
                out.append(
                    {
                        "round": i,
                        "way": way,
                        "policy": policy,
                        "jobs": JOBS,
                        "accepted": JOBS,
                        "records": JOBS,
                        "entries": JOBS,
                        "seconds": JOBS / rate,
                        "jobs_per_second": rate,
                        "aof_bytes": 2000 * JOBS,
                        "disk_flushes": JOBS if policy == "always" else 1,
                    }
                )
    out[-1]["records"] -= missing_records
    return out


def durability(fstype: str = "ext4", missing_records: int = 0) -> dict[str, Any]:
    return {
        "jobs": JOBS,
        "rounds": len(RATES),
        "concurrency": 8,
        "config": {p: {"appendonly": "yes", "appendfsync": p} for p in ("everysec", "always")},
        "disk": {"fstype": fstype, "device": "/dev/vda", "folder": "/work/reports"},
        "runs": runs(missing_records),
    }


def test_the_ratio_is_taken_per_round_then_its_median() -> None:
    d = durability()
    assert report_durability.ratios(d, "concurrent") == [0.5, 0.75, 0.5]
    assert report_durability.ratios(d, "sequential") == [0.25, 0.5, 1 / 3]
    assert report_durability.rates(d, "concurrent", "always") == [1000.0, 1200.0, 900.0]


def test_the_line_says_both_rates_the_ratio_its_rounds_and_whose_disk() -> None:
    line = report_durability.line(durability())
    assert line.startswith(
        "REDIS_APPENDFSYNC=always accepts 1,000 jobs/s against 1,800 with everysec: 0.50 of it "
        "(median of 3 rounds' ratios, 0.50–0.75; POST /jobs, 8 concurrent), 0.33 one at a time."
    )
    assert "this disk's fsync cost (ext4 on /dev/vda): disks differ" in line
    assert "tmpfs" not in line
    assert "says nothing of a real disk" in report_durability.line(durability("tmpfs"))


def test_the_section_has_each_policy_each_way_and_counts_what_went_missing() -> None:
    section = report_durability.durability({"durability": durability()})
    figures = {f.name: f for f in section.figures}
    always = figures["POST /jobs, 8 concurrent, always"]
    assert always.value == 1000.0 and always.spread == (900.0, 1200.0) and always.unit == "/s"
    assert "1.00 disk flushes/job" in always.beside
    assert "0.03 disk flushes/job" in figures["POST /jobs, 8 concurrent, everysec"].beside
    assert "AOF 2,000 B/job" in always.beside
    assert figures["always / everysec, one at a time"].value == pytest.approx(1 / 3)
    assert figures["202s without their record or queue entry"].value == 0
    assert figures["202s without their record or queue entry"].target.met
    assert section.note.startswith(report_durability.line(durability()))
    lost = report_durability.durability({"durability": durability(missing_records=2)})
    assert not lost.figures[-1].target.met and lost.figures[-1].value == 2


def bench_report(d: dict[str, Any]) -> dict[str, Any]:
    """The least of a bench report that renders: figure 7 alone."""
    section = report_durability.durability({"durability": d})
    return {
        "run": "quick",
        "sizes": {"rounds": 1},
        "durability": d,
        "sections": SECTIONS.dump_python([section], mode="json"),
        "cost_model": {"current": {"x": 1e-7}, "measured": {"x": 2e-7}, "checks": [], "env_lines": []},
    }


def test_the_table_prints_the_line_below_it() -> None:
    console = Console(record=True, width=160, file=io.StringIO(), color_system=None)
    render.render(bench_report(durability()), console)
    text = " ".join(console.export_text().split())
    assert f"{report_durability.TITLE}: {report_durability.line(durability())}" in text


def test_the_results_page_leads_its_bench_section_with_the_line(tmp_path: Path) -> None:
    reports, docs, readme = tmp_path / "reports", tmp_path / "docs", tmp_path / "README.md"
    reports.mkdir()
    docs.mkdir()
    readme.write_text("no block\n")
    (reports / "bench-20261205-220000.json").write_text(json.dumps(bench_report(durability())))
    assert build_results(reports, docs, readme) == ["bench-20261205-220000.json"]
    page = (docs / "RESULTS.md").read_text().splitlines()
    heading = page.index("## `make bench`")
    assert page[heading + 2] == report_durability.line(durability())


def test_a_bench_report_from_before_figure_7_renders_without_its_line(tmp_path: Path) -> None:
    reports, docs, readme = tmp_path / "reports", tmp_path / "docs", tmp_path / "README.md"
    reports.mkdir()
    docs.mkdir()
    readme.write_text("no block\n")
    older = bench_report(durability())
    del older["durability"]
    older["sections"] = []
    (reports / "bench-20261001-000000.json").write_text(json.dumps(older))
    build_results(reports, docs, readme)
    page = (docs / "RESULTS.md").read_text()
    assert "## `make bench`" in page and "REDIS_APPENDFSYNC" not in page


def test_disk_flushes_are_read_from_the_line_of_the_folders_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    st_dev = os.stat(tmp_path).st_dev
    major, minor = os.major(st_dev), os.minor(st_dev)
    fields = " ".join(str(n) for n in range(1, 18))  # field 16, flushes completed, is 16
    stats = tmp_path / "diskstats"
    stats.write_text(f" {major + 1} {minor} other {fields}\n {major} {minor} mine {fields}\n")
    monkeypatch.setattr(disk, "DISKSTATS", stats)
    assert disk.flushes(tmp_path) == 16
    stats.write_text(f" {major} {minor} mine 1 2 3 4 5 6 7 8 9 10 11\n")  # a kernel before 5.5
    assert disk.flushes(tmp_path) is None
