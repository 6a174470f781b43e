"""What a job asks for: the validated request, and the range of work units it covers."""

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

from shared.settings import get_settings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrimesParams(_Strict):
    """Count primes in [start, stop)."""

    start: int = Field(ge=0, description="first number tested (inclusive)")
    stop: int = Field(ge=1, description="end of the range (exclusive)")

    @model_validator(mode="after")
    def _within_limits(self) -> "PrimesParams":
        limits = get_settings()
        if self.stop <= self.start:
            raise ValueError("stop must be greater than start")
        if self.stop > limits.max_primes_stop:
            raise ValueError(f"stop must be at most {limits.max_primes_stop}")
        if self.stop - self.start > limits.max_primes_span:
            raise ValueError(f"stop - start must be at most {limits.max_primes_span}")
        return self


class PiParams(_Strict):
    """Estimate pi from `samples` random points, reproducibly for a given seed."""

    samples: int = Field(ge=1, description="number of random points")
    seed: int = Field(default=0, ge=0, lt=2**63, description="random seed")

    @model_validator(mode="after")
    def _within_limits(self) -> "PiParams":
        limit = get_settings().max_pi_samples
        if self.samples > limit:
            raise ValueError(f"samples must be at most {limit}")
        return self


def unit_range(kernel: str, params: Mapping[str, Any]) -> range:
    """The half-open range of work units of a job with these params: primes tests the integers
    [start, stop); pi draws samples [0, samples). The one place params map to units."""
    if kernel == "primes":
        return range(params["start"], params["stop"])
    if kernel == "pi":
        return range(0, params["samples"])
    raise ValueError(f"unknown kernel {kernel!r}")


# local: one worker container runs the whole job on its Pool.
# distributed: the job becomes chunk jobs on the queue; any container takes chunks, one process each.
# hybrid: chunk jobs on the queue, each split again across the taking container's Pool.
Mode = Literal["local", "distributed", "hybrid"]


class _JobBase(_Strict):
    mode: Mode = Field(default="local", description="local, distributed or hybrid")
    chunk_size: int | None = Field(
        default=None,
        ge=1,
        description="work units per chunk: per pool task (local) or per queue chunk (distributed, hybrid); "
        "unset: chosen from the estimated work",
    )

    kernel: str
    params: BaseModel

    def units(self) -> range:
        """The half-open range of work units this job covers."""
        return unit_range(self.kernel, self.params.model_dump())

    @model_validator(mode="after")
    def _chunk_count_within_limit(self) -> "_JobBase":
        limit = get_settings().max_chunks
        if self.chunk_size is not None and -(-len(self.units()) // self.chunk_size) > limit:
            # A rule of the whole job about one field: `field` tells the API's error handler where it is.
            raise PydanticCustomError(
                "chunk_size_too_small",
                "chunk_size too small: the job would make more than {limit} chunks",
                {"limit": limit, "field": "chunk_size"},
            )
        return self


class PrimesJob(_JobBase):
    kernel: Literal["primes"]
    params: PrimesParams


class PiJob(_JobBase):
    kernel: Literal["pi"]
    params: PiParams


JobSpec = Annotated[PrimesJob | PiJob, Field(discriminator="kernel")]

_job_spec = TypeAdapter(JobSpec)


def parse_job(data: object) -> PrimesJob | PiJob:
    """Validate a job request (raises pydantic.ValidationError naming the field and the reason)."""
    return _job_spec.validate_python(data)
