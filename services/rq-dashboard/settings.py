"""rq-dashboard's settings module (its --config): Redis's password from the stack's secret volume.

The password is read from the file REDIS_PASSWORD_FILE names, as the API and the workers read it, so it
is in no container's environment or command line; RQ_DASHBOARD_REDIS_URL (no password) says where Redis is.
"""

import os
from pathlib import Path

if os.environ.get("REDIS_PASSWORD_FILE"):
    RQ_DASHBOARD_REDIS_PASSWORD = Path(os.environ["REDIS_PASSWORD_FILE"]).read_text().splitlines()[0].strip()
