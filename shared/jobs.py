"""What a job asks for: the validated request, and the range of work units it covers."""

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

from shared.datasets import PATTERN as DATASET_PATTERN
from shared.fields import Integer, PositiveInteger, SettingMaximum
from shared.kernels.dataset import blocks
from shared.settings import get_settings


class _Strict(BaseModel):
    # No unknown fields; the integers are strict too (shared/fields.py).
    model_config = ConfigDict(extra="forbid")


class PrimesParams(_Strict):
    """Count primes in [start, stop). Besides each field's bounds: stop > start, and stop - start at most
    MAX_PRIMES_SPAN (rules of two fields, which the schema cannot state: 422 naming `stop`)."""

    start: Annotated[Integer, SettingMaximum("max_primes_stop", below=1)] = Field(
        ge=0, description="first number tested (inclusive)"
    )
    stop: Annotated[Integer, SettingMaximum("max_primes_stop")] = Field(
        ge=1, description="end of the range (exclusive); greater than start, by at most MAX_PRIMES_SPAN"
    )

    @model_validator(mode="after")
    def _a_range_within_the_span(self) -> "PrimesParams":
        if self.stop <= self.start:
            raise _field_error("stop", "stop_not_above_start", "stop must be greater than start")
        limit = get_settings().max_primes_span
        if self.stop - self.start > limit:
            raise _field_error("stop", "span_too_large", "stop - start must be at most {limit}", limit=limit)
        return self


class PiParams(_Strict):
    """Estimate pi from `samples` random points, reproducibly for a given seed."""

    samples: Annotated[Integer, SettingMaximum("max_pi_samples")] = Field(
        ge=1, description="number of random points"
    )
    # At most 2^53 - 1, the largest integer every JSON reader holds exactly (RFC 7493, I-JSON): past it a
    # reader that parses numbers as doubles (JavaScript, and schemathesis' validator) rounds the bound.
    seed: Integer = Field(default=0, ge=0, le=2**53 - 1, description="random seed")


class BytesParams(_Strict):
    """One pass over a dataset's bytes (POST /datasets), `work` rounds of hashing per byte."""

    dataset: str = Field(pattern=f"^{DATASET_PATTERN}$", description="the id POST /datasets answered")
    work: Annotated[Integer, SettingMaximum("max_bytes_work")] = Field(
        default=1,
        ge=0,
        description="CPU per byte: 0 bins each byte by its value at C speed (I/O-bound); n >= 1 hashes "
        "each byte n rounds in pure Python (CPU-bound)",
    )


def _field_error(field: str, kind: str, message: str, **context: Any) -> PydanticCustomError:
    """A rule of the whole model about one field: `field` tells the API's error handler where it is."""
    return PydanticCustomError(kind, message, {**context, "field": field})


# The error types of the rules between fields: the only 422s a request valid by the schema can get,
# with a job on a dataset that does not exist (the schema cannot know which do).
CROSS_FIELD_RULES = ("stop_not_above_start", "span_too_large", "chunk_size_too_small")
REFERENCE_RULES = ("dataset_not_found",)


def unit_range(kernel: str, params: Mapping[str, Any]) -> range:
    """The half-open range of work units of a job with these params: primes tests the integers
    [start, stop); pi draws samples [0, samples); bytes reads blocks [0, blocks) of a dataset of
    params["bytes"] bytes (its size, known once the API found it). The one place params map to units."""
    if kernel == "bytes":
        return range(0, blocks(params["bytes"]))
    if kernel == "primes":
        return range(params["start"], params["stop"])
    if kernel == "pi":
        return range(0, params["samples"])
    raise ValueError(f"unknown kernel {kernel!r}")


def job_params(kernel: str, size: int) -> dict[str, int]:
    """The params of a job of `size` units, as the load test, the baseline and the ceiling run it:
    primes in [0, size) or `size` pi samples (seed 0)."""
    return {"start": 0, "stop": size} if kernel == "primes" else {"samples": size, "seed": 0}


# local: one worker container runs the whole job on its Pool.
# distributed: the job becomes chunk jobs on the queue; any container takes chunks, one process each.
# hybrid: chunk jobs on the queue, each split again across the taking container's Pool.
Mode = Literal["local", "distributed", "hybrid"]


class _JobBase(_Strict):
    mode: Mode = Field(default="local", description="local, distributed or hybrid")
    chunk_size: PositiveInteger | None = Field(
        default=None,
        description="work units per chunk: per pool task (local) or per queue chunk (distributed, hybrid); "
        "unset: chosen from the estimated work. "
        "At most MAX_CHUNKS chunks per job (422 naming `chunk_size`)",
    )

    kernel: str
    params: BaseModel

    def units(self) -> range:
        """The half-open range of work units this job covers."""
        return unit_range(self.kernel, self.params.model_dump())

    def units_known(self) -> bool:
        """Whether the units are known from the request alone (a dataset's are once it is found)."""
        return True

    @model_validator(mode="after")
    def _chunk_count_within_limit(self) -> "_JobBase":
        if self.units_known():
            self.check_chunk_count()
        return self

    def check_chunk_count(self) -> None:
        """PydanticCustomError `chunk_size_too_small` if the job's chunk_size makes over MAX_CHUNKS chunks."""
        limit = get_settings().max_chunks
        if self.chunk_size is not None and -(-len(self.units()) // self.chunk_size) > limit:
            raise _field_error(
                "chunk_size",
                "chunk_size_too_small",
                "chunk_size too small: the job would make more than {limit} chunks",
                limit=limit,
            )


class PrimesJob(_JobBase):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kernel": "primes", "params": {"start": 0, "stop": 1000}}]}
    )

    kernel: Literal["primes"]
    params: PrimesParams


class PiJob(_JobBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kernel": "pi", "params": {"samples": 1000, "seed": 7}, "mode": "distributed"}]
        }
    )

    kernel: Literal["pi"]
    params: PiParams


class BytesJob(_JobBase):
    """A pass over a dataset: POST /jobs only (a batch's jobs are planned before any dataset is looked up).
    Its units, the dataset's blocks, are known once the API has found the dataset (`bind`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kernel": "bytes", "params": {"dataset": "0" * 32, "work": 1}, "mode": "local"}]
        }
    )

    kernel: Literal["bytes"]
    params: BytesParams
    _dataset_bytes: int | None = PrivateAttr(default=None)

    def units_known(self) -> bool:
        return self._dataset_bytes is not None

    def units(self) -> range:
        if self._dataset_bytes is None:
            raise LookupError("a bytes job's units are known once its dataset is bound")
        return unit_range(self.kernel, {**self.params.model_dump(), "bytes": self._dataset_bytes})

    def bind(self, size: int) -> None:
        """The dataset was found, `size` bytes: its units are known, and the chunk count is checked."""
        self._dataset_bytes = size
        self.check_chunk_count()


# What POST /jobs/batch takes; POST /jobs takes a `bytes` job too.
JobSpec = Annotated[PrimesJob | PiJob, Field(discriminator="kernel")]
AnyJobSpec = Annotated[PrimesJob | PiJob | BytesJob, Field(discriminator="kernel")]
Job = PrimesJob | PiJob | BytesJob

_job_spec = TypeAdapter(AnyJobSpec)


def parse_job(data: object) -> Job:
    """Validate a job request (raises pydantic.ValidationError naming the field and the reason)."""
    return _job_spec.validate_python(data)
