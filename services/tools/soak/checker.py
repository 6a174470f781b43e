"""Did every 202 end finished with the exact answer? The soak's accounting, in one function (`check`), so
that a fuller checker (a recorded history) can take its place."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared.jobs import unit_range
from shared.kernels import run_kernel


@dataclass
class Verdict:
    """The accepted jobs by how they ended; `ok` only if every one finished exact."""

    accepted: int
    exact: int
    wrong: int  # finished with another answer
    ended_otherwise: dict[str, int] = field(
        default_factory=dict
    )  # failed, canceled, 404 ...: status -> count
    unended: int = 0  # not ended by the drain's end: lost, as far as the client can tell
    examples: list[dict[str, Any]] = field(default_factory=list)  # a few of the bad ones

    @property
    def ok(self) -> bool:
        return self.accepted == self.exact


def expected_answer(body: dict[str, Any]) -> dict[str, Any]:
    """The exact result of a job body, computed on the host."""
    units = unit_range(body["kernel"], body["params"])
    tally = run_kernel(body["kernel"], body["params"], units.start, units.stop)
    return {"count": tally.count, "histogram": tally.histogram}


def check(
    accepted: list[tuple[str, str]],
    ends: dict[str, dict[str, Any] | None],
    answers: dict[str, dict[str, Any]],
) -> Verdict:
    """`accepted`: (job id, kind) of every 202; `ends`: each id's last view (None: never ended);
    `answers`: kind -> exact result."""
    statuses: Counter[str] = Counter()
    exact = wrong = unended = 0
    examples = []
    for job_id, job_kind in accepted:
        view = ends.get(job_id)
        if view is None:
            unended += 1
        elif view["status"] != "finished":
            statuses[view["status"]] += 1
        elif view.get("result") == answers[job_kind]:
            exact += 1
            continue
        else:
            wrong += 1
        if len(examples) < 5:
            examples.append({"id": job_id, "kind": job_kind, "view": view})
    return Verdict(len(accepted), exact, wrong, dict(statuses), unended, examples)
