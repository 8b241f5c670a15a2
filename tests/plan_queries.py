"""Questions the tests ask of a recorded plan (kept apart so test files read as assertions)."""

from __future__ import annotations

from typing import Any

from preview.plan import Plan, Registration

BUCKET = "aws:s3/bucket:Bucket"


def bucket(plan: Plan, role: str) -> Registration:
    return plan.named(BUCKET, role)


def setting_of(plan: Plan, resource_type: str, role: str) -> Registration:
    """The bucket-setting resource of ``resource_type`` that targets the bucket of ``role``."""
    name = bucket(plan, role).props["bucket"]
    found = [r for r in plan.of_type(resource_type) if r.props.get("bucket") == name]
    assert len(found) == 1, f"{len(found)} {resource_type} for bucket {role}"
    return found[0]


def ancestors(plan: Plan, registration: Registration) -> set[str]:
    """URNs this resource waits for, directly or through its dependencies."""
    seen: set[str] = set()
    pending = list(registration.dependencies)
    while pending:
        urn = pending.pop()
        if urn in seen:
            continue
        seen.add(urn)
        pending.extend(plan.by_urn(urn).dependencies)
    return seen


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
