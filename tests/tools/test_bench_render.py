"""The bench's figure records and their table, on hand-made figures (no benchmark run)."""

import io

from rich.console import Console

from services.tools.bench import render
from services.tools.bench.figures import SECTIONS, Figure, Section, at_least, at_most, below, median_figure


def _text(report: dict) -> list[str]:
    console = Console(record=True, width=160, file=io.StringIO(), color_system=None)
    render.render(report, console)
    return console.export_text().splitlines()


def test_a_figure_of_rounds_is_their_median_with_their_spread() -> None:
    f = median_figure("x", [3e-3, 1e-3, 2e-3, 10e-3], "ms")
    assert f.value == 2.5e-3
    assert f.spread == (1e-3, 10e-3)
    assert render.spread(f) == "1.00 ms – 10.00 ms"
    assert median_figure("y", [0.5], "eff").spread is None


def test_targets_are_met_or_not_at_their_bound() -> None:
    assert at_most(1.5e-3, 1.5e-3).met and not at_most(1.6e-3, 1.5e-3).met
    assert at_least(0.95, 0.95).met and not at_least(0.94, 0.95).met
    assert not below(1.0, 1.0).met and below(0.99, 1.0).met


def test_the_table_keeps_each_figure_on_one_line_and_the_notes_below() -> None:
    long_name = "a figure whose name is long enough to need most of the first column's width"
    sections = [
        Section(
            title="1. first",
            note="what was run: " + "many words " * 30,
            figures=(
                median_figure(long_name[:50], [1e-3, 2e-3, 3e-3], "ms", target=at_most(2e-3, 1.5e-3)),
                Figure(name="a ratio", value=0.5, unit="x", beside="beside " * 6, target=below(0.5, 1)),
            ),
        ),
        Section(title="2. second", figures=(Figure(name="a count", value=1234, unit="n"),)),
    ]
    report = {
        "run": "quick",
        "sizes": {"rounds": 3},
        "sections": SECTIONS.dump_python(sections, mode="json"),
        "cost_model": {"current": {"x": 1e-7}, "measured": {"x": 2e-7}, "checks": [], "env_lines": []},
    }
    lines = _text(report)
    assert max(len(line) for line in lines) <= 160
    table_end = min(i for i, line in enumerate(lines) if line.startswith("└"))
    table = lines[:table_end]
    [first] = [line for line in table if long_name[:50] in line]
    assert "2.00 ms" in first and "1.00 ms – 3.00 ms" in first and "<= 1.50 ms ✗" in first
    [ratio] = [line for line in table if "a ratio" in line]
    assert "0.50x" in ratio and "< 1.00x ✓" in ratio
    assert any("1,234" in line and "a count" in line for line in table)
    [note] = [i for i, line in enumerate(lines) if line.startswith("1. first: what was run")]
    assert note > min(i for i, line in enumerate(lines) if "a count" in line)
    # The targets list: the two figures with a target, and no other.
    assert sum("1. first:" in line and ("✓" in line or "✗" in line) for line in lines[table_end:]) == 2


def test_a_report_from_before_the_records_says_to_run_the_bench_again() -> None:
    assert _text({"run": "full"}) == ["this bench report predates the figure records: run `make bench` again"]
