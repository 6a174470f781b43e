"""`python -m services.tools.results`: the measured results page, regenerated from reports/.

Figures are never copied by hand: this renders the newest report of each kind (make sweep, its data
axis, make compare, make load-test, make idle, make bench) with the very tables those commands print,
into docs/RESULTS.md, copies their charts into docs/, and rewrites the short summary between the
markers in README.md. Each kind has its own part of both (services.tools.results.parts): a kind with no
report keeps the part its last run wrote, so a sweep run alone updates the sweep's part only.
"""

import argparse
import sys
from pathlib import Path

from services.tools.results.page import build

REPO = Path(__file__).resolve().parents[3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tools.results", description=__doc__)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--docs", type=Path, default=REPO / "docs")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = parser.parse_args(argv)
    written = build(args.reports, args.docs, args.readme)
    if not written:
        print(f"no report in {args.reports}/: run make sweep, compare, load-test, idle or bench first")
        return 1
    print(f"{args.docs / 'RESULTS.md'} and {args.readme} from {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
