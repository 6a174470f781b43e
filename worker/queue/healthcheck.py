"""Container healthcheck: healthy once this container's workers are registered with RQ in Redis."""

import socket
import sys

from rq import Worker

from shared.redis_conn import connect
from shared.settings import get_settings


def main() -> int:
    settings = get_settings()
    connection = connect(settings.redis_url, wait_seconds=2)
    prefix = f"{Worker.redis_worker_namespace_prefix}{socket.gethostname()}."
    registered = [key for key in Worker.all_keys(connection=connection) if key.startswith(prefix)]
    # Every consumer of the container (WORKER_CONSUMERS) registered.
    return 0 if len(registered) >= (settings.worker_consumers or 1) else 1


if __name__ == "__main__":
    sys.exit(main())
