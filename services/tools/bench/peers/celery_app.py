"""The Celery app the bench's `celery worker` processes load: Redis broker, late acks, prefetch 1.

No result backend: the job's outcome is logged by record.py, so Redis sees only the broker's commands.
"""

from celery import Celery
from celery.signals import worker_ready

from services.tools.bench.peers import record
from services.tools.stack import host_settings


def make_app(url: str) -> Celery:
    app = Celery("bench", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


app = make_app(host_settings().redis_url)
app.task(name=record.TASK)(record.primes)


@worker_ready.connect
def _ready(**_: object) -> None:
    record.ready()
