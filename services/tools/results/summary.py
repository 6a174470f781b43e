"""The comparison in a few sentences, every figure from the report of one `make compare` run."""

from typing import Any


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def compare_summary(result: dict[str, Any]) -> list[str]:
    """The comparison in a few sentences, every figure from this run."""
    cells = result["cells"]
    ours = [c for c in cells if c["worker_class"] != "simple" and not c["note"]]
    peer = next((c for c in cells if c["worker_class"] == "simple"), None)

    def best(mode: str) -> dict[str, Any] | None:
        found = [c for c in ours if c["mode"] == mode and c["of_ceiling"]]
        return max(found, key=lambda c: c["of_ceiling"]["median"]) if found else None

    def name(c: dict[str, Any]) -> str:
        return f"{c['topology']} {c['mode']} ({c['layout']})"

    ceiling = result["ceiling"]
    lines = [
        f"- **Ceiling**: the same jobs on a bare `multiprocessing.Pool({result['budget']})` in the worker "
        f"image under `--cpus {result['budget']}` ran at {ceiling['jobs_per_second']['median']:.2f} jobs/s, "
        f"{_pct(ceiling['efficiency']['median'])} of one process's speed times {result['budget']}.",
    ]
    for mode in ("local", "distributed", "hybrid"):
        top = best(mode)
        if top:
            spread = top["of_ceiling"]
            lines.append(
                f"- **Best {mode}**: {name(top)}, {_pct(spread['median'])} of the ceiling "
                f"({100 * spread['min']:.0f}–{_pct(spread['max'])} over {spread['n']} rounds)."
            )
    if peer and peer["of_ceiling"]:
        lines.append(
            f"- **Stock RQ** (`SimpleWorker`, {peer['layout'].split(', stock')[0]}, the same chunks): "
            f"{_pct(peer['of_ceiling']['median'])} of the ceiling."
        )
    for r in result.get("runtimes", []):  # reports from before these rows have none
        if r["of_ceiling"]:
            lines.append(
                f"- **{r['label']}** (`{r['layout'].split(',')[0]}` in one container, no queue, the same "
                f"tasks): {_pct(r['of_ceiling']['median'])} of the ceiling, {r['cores']['median']:.1f} "
                f"cores busy; {r['note']}."
            )
    for p in result.get("peers", []):  # reports from before these rows, or without PEERS, have none
        if p["of_ceiling"]:
            lines.append(
                f"- **{p['label']}** on {p['topology']} (`{p['layout']}`, containers of its own image, our "
                f"distributed chunks): {_pct(p['of_ceiling']['median'])} of the ceiling, "
                f"{p['cores']['median']:.1f} cores busy; {p['note']}."
            )
    counter = next((c for c in cells if c["note"].startswith("counter")), None)
    if counter and counter["of_ceiling"]:
        lines.append(
            f"- **Counter-example**: {name(counter)} with one consumer, "
            f"{_pct(counter['of_ceiling']['median'])}: one process takes one chunk at a time."
        )
    return lines
