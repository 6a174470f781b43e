"""Container healthcheck: healthy once this container's worker is registered with RQ in Redis."""

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
    return 0 if registered else 1


if __name__ == "__main__":
    sys.exit(main())
