"""make compare's files: reports/comparison-<time>.json (every round kept) and its chart beside it."""

import json
import time
from pathlib import Path

from services.tools.loadtest import chart
from services.tools.loadtest.compare.rows import Comparison


def write(result: Comparison, reports: Path, prefix: str = "comparison") -> Path:
    """Write `<prefix>-<time>.json` and `.png` under `reports`; their common stem."""
    reports.mkdir(parents=True, exist_ok=True)
    stem = reports / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    stem.with_suffix(".json").write_text(json.dumps(result.as_json(), indent=2))
    chart.comparison_chart(result, stem.with_suffix(".png"))
    return stem
