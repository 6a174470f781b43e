"""The data axis's dataset: made from a seed, uploaded once through the API, deleted however the run ends.

Its bytes are shared/seeded_bytes.py's, so the ceiling (worker/ceiling.py) makes the same ones in the
worker image and the host computes the exact answer over them; the upload's SHA-256, as the API answers
it, is checked against theirs before any job runs.
"""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import httpx

from services.tools import api_auth
from shared.seeded_bytes import seeded_bytes, seeded_sha256

# Seconds for the upload (a few MiB, streamed to Redis by the API) and for the delete.
TIMEOUT = 120


@dataclass(frozen=True)
class DataSpec:
    """The run's dataset: `size` bytes made from `seed`; `id` once uploaded."""

    seed: int
    size: int
    id: str | None = None


class UploadRefused(RuntimeError):
    """The API did not store the dataset as sent."""


@contextmanager
def uploaded(url: str, spec: DataSpec) -> Iterator[DataSpec]:
    """The dataset uploaded to the API at `url` (its id in the spec), deleted when the block ends."""
    headers = {**api_auth.headers(), "Content-Type": "application/octet-stream"}
    with httpx.Client(base_url=url, headers=api_auth.headers(), timeout=TIMEOUT) as client:
        response = client.post("/datasets", content=seeded_bytes(spec.seed, spec.size), headers=headers)
        if response.status_code != 201:
            raise UploadRefused(f"POST /datasets: {response.status_code} {response.text}")
        meta = response.json()
        try:
            if (meta["bytes"], meta["sha256"]) != (spec.size, seeded_sha256(spec.seed, spec.size)):
                raise UploadRefused(f"POST /datasets stored other bytes than were sent: {meta}")
            yield DataSpec(spec.seed, spec.size, meta["id"])
        finally:
            # Also on an error or Ctrl-C: a dataset left behind holds Redis memory for DATASET_TTL. An
            # API gone meanwhile (the stack stopped) must not hide the error that ended the run.
            with suppress(httpx.TransportError):
                client.delete(f"/datasets/{meta['id']}")
