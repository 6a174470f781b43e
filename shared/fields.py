"""Field types of job requests: integers as the OpenAPI schema means them, and maximums from Settings.

`Integer` is strict: `true`, `"5"` and `5.5` are refused, where pydantic's lax mode would take the first
two as 1 and 5. A whole float (`5.0`) is taken as 5: the schema (OpenAPI 3.1, JSON Schema 2020-12) says
"integer", and there a number with a zero fractional part is one; schema-driven clients, schemathesis
among them, send it and expect it accepted.

`SettingMaximum("max_pi_samples")` bounds a field by a Setting when a value is validated and states the
same bound as `maximum` in the JSON schema, read from the settings in effect when the schema is built
(the API builds its OpenAPI document once, after reading its environment).
"""

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, Strict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from shared.settings import get_settings


def _whole_float_as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, Strict(), BeforeValidator(_whole_float_as_int)]
# The bound comes first: after the validator, pydantic would state it as `ge`, a keyword JSON Schema lacks.
PositiveInteger = Annotated[int, Field(ge=1), Strict(), BeforeValidator(_whole_float_as_int)]


@dataclass(frozen=True)
class SettingMaximum:
    """At most `getattr(get_settings(), setting) - below`, checked and stated in the schema."""

    setting: str
    below: int = 0

    def limit(self) -> int:
        return getattr(get_settings(), self.setting) - self.below

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maximum"] = self.limit()
        return json_schema

    def _check(self, value: int) -> int:
        limit = self.limit()
        if value > limit:
            # pydantic's own error for `le`, so that a Setting's bound reads like any other.
            raise PydanticCustomError(
                "less_than_equal", "Input should be less than or equal to {le}", {"le": limit}
            )
        return value
