"""The lab's command line: run the chosen experiments, print each, then the summary table."""

import argparse
import time

from rich.console import Console

from worker.lab import report
from worker.lab.defaults import FULL, QUICK, START_METHOD
from worker.lab.experiments import EXPERIMENTS
from worker.lab.result import Result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options; `--only` takes names separated by commas, or repeated."""
    parser = argparse.ArgumentParser(prog="python -m worker.lab", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run in seconds")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME[,NAME]",
        help=f"run only these experiments: {', '.join(EXPERIMENTS)}",
    )
    parser.add_argument("--markdown", action="store_true", help="also print the summary as a Markdown table")
    args = parser.parse_args(argv)
    names = [n.strip() for group in args.only or [] for n in group.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment(s) {', '.join(unknown)}; choose from {', '.join(EXPERIMENTS)}")
    args.names = names or list(EXPERIMENTS)
    return args


def crashed(name: str) -> Result:
    """A result for an experiment that raised: the lab goes on, and the failure shows in the table."""
    return Result(
        name=name,
        shows="(the experiment raised an exception; traceback above)",
        headline="crashed",
        design="",
        facts={"ran to completion": False},
    )


def main(argv: list[str] | None = None) -> int:
    """Run the lab; exit status 1 if any correctness fact failed (timings never fail it)."""
    args = parse(argv)
    console = Console()
    sizes = QUICK if args.quick else FULL
    report.header(console, args.quick, START_METHOD)
    results = []
    for name in args.names:
        t0 = time.perf_counter()
        try:
            result = EXPERIMENTS[name](sizes)
        except Exception:  # noqa: BLE001 - one broken experiment must not hide the others' figures
            console.print_exception()
            result = crashed(name)
        report.experiment(console, result, time.perf_counter() - t0)
        results.append(result)
    report.summary(console, results)
    if args.markdown:
        console.print()
        print(report.markdown(results))
    return 0 if all(r.ok for r in results) else 1
