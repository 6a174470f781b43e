"""The README's one table of approaches: each one's share of its run's ceiling on the fat and the thin
topology, at make compare's default workload and at `make compare TASK=...` (tasks of the sweep's size).

Every figure is a share of the ceiling measured in its own run (a bare Pool on the same cores and the
same tasks, same rounds); the two runs are never read against each other, only side by side. A row in
one container (threads, a ProcessPoolExecutor, subinterpreters, free-threaded threads) holds the whole
budget in that one container, so it stands under fat; stock RQ runs on the thin topology only.
"""

from typing import Any

from services.tools.loadtest.compare.runtimes import RUNTIMES
from services.tools.sweep.points import duration

TOPOLOGIES = ("fat", "thin")


def shares(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Approach -> topology -> median share of the ceiling, from one comparison report (its unpinned,
    unlabelled cells: not the counter-example)."""
    found: dict[str, dict[str, float]] = {}

    def put(approach: str, topology: str, of_ceiling: dict[str, float] | None) -> None:
        if of_ceiling and topology in TOPOLOGIES:
            found.setdefault(approach, {})[topology] = of_ceiling["median"]

    for c in result["cells"]:
        if c.get("worker_class") == "simple":
            put("stock RQ (SimpleWorker)", c["topology"], c["of_ceiling"])
        elif not c["note"]:
            put(c["mode"], c["topology"], c["of_ceiling"])
    for p in result.get("peers", []):
        put(p["label"], p["topology"], p["of_ceiling"])
    for r in result.get("runtimes", []):
        put(r["label"], "fat", r["of_ceiling"])
    return found


def approaches_table(default: dict[str, Any], small: dict[str, Any]) -> list[str]:
    """The table, its caption first: an approach per row, (fat, thin) x (default, small tasks) columns."""
    tasks = duration(small["workload"]["task_seconds"])
    at = {"default": shares(default), "small": shares(small)}
    names = list(dict.fromkeys([*at["default"], *at["small"]]))
    header = [f"{t}, {w}" for t in TOPOLOGIES for w in ("default tasks", f"~{tasks} tasks")]
    rows_in_one = [r for run in (default, small) for r in run.get("runtimes", [])]
    own = sorted({r["label"] for r in rows_in_one if RUNTIMES[r["key"]].profile})
    of_own = f" ({', '.join(own)}: of a bare Pool in its own Python's image, same round)" if own else ""
    lines = [
        f"Each approach at `make compare`'s default workload ({default['title']}) and at `make compare "
        f"TASK={small['workload']['task_seconds']:g}` ({small['title']}): % of the ceiling of its own run"
        f"{of_own}, fat (1 container of the budget; the rows in one container too) and thin (1 CPU each):",
        "",
        "| approach | " + " | ".join(header) + " |",
        "|---" * (len(header) + 1) + "|",
    ]
    for name in names:
        cells = [
            f"{100 * at[w][name][t]:.0f}" if t in at[w].get(name, {}) else "-"
            for t in TOPOLOGIES
            for w in ("default", "small")
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]
