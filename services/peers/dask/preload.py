"""`dask worker --preload services.peers.dask.preload`: each worker process touches the ready file its
container's healthcheck reads, once it is set up."""

from distributed import Worker

from services.peers.ready import READY_FILE


def dask_setup(worker: Worker) -> None:
    READY_FILE.touch()
