"""`python -m services.api`: the API under uvicorn, with a server loop that wakes once a second."""

import argparse

import uvicorn

from services.api.server import QuietServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.api", description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        "services.api.main:app",
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )
    QuietServer(config).run()


if __name__ == "__main__":
    main()
