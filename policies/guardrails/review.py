"""Review stacks (pr-<N>): nothing of prod's, nothing kept, and a capped cache.

These rules act only where the pack's config says ``reviewStack: true`` (policies/config.review.json,
which every pr-<N> stack is judged with); in dev and prod they pass. The engine tells an analyzer
whether a resource is protected, but not whether it is imported or retained on delete: review
stacks refuse ``adopt`` in their config, and tests/components/test_review_environment.py checks
the plan for imports and retention.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity, StackValidationArgs

from .common import Report, resource_policy, stack_policy

CACHES = ("pulumi-python:dynamic/upstash:Database", "upstash:index/redisDatabase:RedisDatabase")
STACK_REFERENCE = "pulumi:pulumi:StackReference"
MAX_BUDGET = 20
REVIEW_SCHEMA = PolicyConfigSchema(properties={"reviewStack": {"type": "boolean"}})


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _no_prod_backend(args: StackValidationArgs, report: Report) -> None:
    config = args.get_config()
    if not config.get("reviewStack"):
        return
    markers = [str(marker) for marker in config.get("prodMarkers") or [] if marker]
    for resource in args.resources:
        referenced = str(resource.props.get("name", ""))
        # StackReference("prod") is the shorthand of <org>/<project>/prod.
        if resource.resource_type == STACK_REFERENCE and (referenced == "prod" or referenced.endswith("/prod")):
            report(f"{resource.name}: a review stack reads the prod stack's outputs.", resource.urn)
        # The branch's parent reference included: its parent is dev's project, never prod's.
        for path, text in _strings(dict(resource.props)):
            found = next((marker for marker in markers if marker in text), None)
            if found is not None:
                report(f"{resource.name}: {path} carries prod's {found!r}.", resource.urn)


def _disposable(args: ResourceValidationArgs, report: Report) -> None:
    if args.get_config().get("reviewStack") and args.opts.protect:
        report(f"{args.name}: protected; everything in a review stack must go when the pull request closes.")


def _cache_capped(args: ResourceValidationArgs, report: Report) -> None:
    if not args.get_config().get("reviewStack") or args.resource_type not in CACHES:
        return
    budget = args.props.get("budget")
    if not isinstance(budget, int | float) or not 0 < budget <= MAX_BUDGET:
        report(f"{args.name}: budget is {budget!r}; a review cache is capped at {MAX_BUDGET} USD a month.")
    if args.props.get("eviction") is not True:
        report(f"{args.name}: eviction must be on (a full cache refuses writes).")


POLICIES = [
    stack_policy(
        "review-no-prod-backend",
        "Nothing in a review stack carries prod's Supabase, keys, Redis, project or domain (the branch's "
        "parent included: it is dev's project), and no review stack reads the prod stack.",
        "A review stack runs a pull request's code with its own secrets: prod's URL or credentials there would "
        "let unreviewed code reach production data.",
        Severity.CRITICAL,
        "Take the value from the review environment's own resources (branch, keys, cache); prod's are never wired.",
        _no_prod_backend,
        config_schema=PolicyConfigSchema(
            properties={
                "reviewStack": {"type": "boolean"},
                "prodMarkers": {"type": "array", "items": {"type": "string"}},
            }
        ),
    ),
    resource_policy(
        "review-disposable",
        "Nothing in a review stack is protected (nor, by its config and tests, adopted or retained).",
        "A review environment is removed when its pull request closes: a protected resource stops the destroy "
        "and leaves it billing.",
        Severity.HIGH,
        "Remove protect from the resource; a review stack adopts and keeps nothing.",
        _disposable,
        config_schema=REVIEW_SCHEMA,
    ),
    resource_policy(
        "review-cache-budget",
        f"A review environment's Upstash database has a budget of at most {MAX_BUDGET} USD a month and eviction on.",
        "An idle review cache costs nothing, but a runaway test loop bills per command: the budget caps it.",
        Severity.HIGH,
        f"Set budget (1 to {MAX_BUDGET}) and eviction=True on the review cache.",
        _cache_capped,
        config_schema=REVIEW_SCHEMA,
    ),
]
