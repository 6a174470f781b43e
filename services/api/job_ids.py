"""Job ids in paths: 32 lowercase hex digits, as services/api/enqueue.py makes them (uuid4().hex).

Routes spell the parameter `{job_id:job_id}`: a path whose id is not one matches no job route. So
`GET /jobs/batch` is a 405 naming POST (the batch route's method) rather than a lookup of a job "batch",
and any other malformed id is a 404 like an unknown one.
"""

from typing import Annotated

from fastapi import Path
from starlette.convertors import Convertor, register_url_convertor

PATTERN = "[0-9a-f]{32}"


class JobIdConvertor(Convertor[str]):
    regex = PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("job_id", JobIdConvertor())

# The same rule, stated in the OpenAPI document.
JobId = Annotated[str, Path(pattern=f"^{PATTERN}$", description="the id POST /jobs answered")]
