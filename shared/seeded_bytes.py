"""A dataset's bytes made from a seed: the same bytes wherever they are made.

`make sweep AXIS=data` uploads them through the API, the ceiling makes them again in the worker image
(worker/ceiling.py), and the host computes the exact answer over them: SHAKE-256 is specified byte for
byte (FIPS 202), so no Python version or machine can make other bytes from the same seed.
"""

import hashlib


def seeded_bytes(seed: int, size: int) -> bytes:
    """`size` bytes, a function of `seed` alone."""
    return hashlib.shake_256(f"cpu-contrast dataset {seed}".encode()).digest(size)


def seeded_sha256(seed: int, size: int) -> str:
    """The SHA-256 of those bytes, as POST /datasets answers it for their upload."""
    return hashlib.sha256(seeded_bytes(seed, size)).hexdigest()
