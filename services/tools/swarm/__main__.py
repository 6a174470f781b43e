"""`python -m services.tools.swarm up|down|render`: the stack on Docker Swarm (`make swarm-up`,
`make swarm-down`); `render` prints the stack file `up` deploys."""

import argparse
import sys

from services.tools import preflight
from services.tools.stack import host_settings
from services.tools.swarm import deploy
from services.tools.swarm.stack_file import Unsupported


def say(line: str) -> None:
    print(f"swarm: {line}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tools.swarm", description=__doc__)
    parser.add_argument("action", choices=("up", "down", "render"))
    args = parser.parse_args(argv)
    settings = host_settings()
    try:
        if args.action == "render":
            print(deploy.render(settings), end="")
            return 0
        client = preflight.docker_client()
        if args.action == "up":
            deploy.up(client, settings, say)
            url = settings.public_url()
            say(f"stack {settings.compose_project_name} running")
            print(f"API:      {url} (token: API_TOKEN; the dashboard: {url}/#token=<API_TOKEN>)")
            print(f"API docs: {url}/docs")
        else:
            deploy.down(client, settings, say)
    except preflight.NotReady as exc:
        return preflight.refuse("swarm", exc)
    except (deploy.Refused, Unsupported) as exc:
        print(f"swarm: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
