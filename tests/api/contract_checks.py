"""A check of our own for schemathesis (loaded by tests/api/test_contract.py through SCHEMATHESIS_HOOKS).

schemathesis.toml lets POST /jobs and POST /jobs/batch answer 422 to data the schema accepts, because
some rules relate two fields and JSON Schema cannot state them. This check keeps that exception narrow:
such a 422 must name only those rules (shared/jobs.py CROSS_FIELD_RULES, the batch's own), or a
dataset that does not exist (REFERENCE_RULES), never a type or a bound the schema should have stated.
"""

import schemathesis

from services.api.routes.batch import BATCH_RULES
from shared.jobs import CROSS_FIELD_RULES, REFERENCE_RULES

RULES = {*CROSS_FIELD_RULES, *REFERENCE_RULES, *BATCH_RULES}


@schemathesis.check
def refused_only_by_a_rule_between_fields(ctx, response, case) -> None:  # noqa: ANN001 - schemathesis' signature
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return
    errors = response.json().get("detail")
    kinds = {error.get("type") for error in errors} if isinstance(errors, list) else {None}
    if not kinds <= RULES:
        raise AssertionError(
            f"schema-valid data refused for {sorted(map(str, kinds - RULES))}, not a documented rule "
            f"between fields ({', '.join(sorted(RULES))}): {response.text[:500]}"
        )
