"""Upstash: global databases, and eviction on for caches."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .common import Report, resource_policy

REDIS = "upstash:index/redisDatabase:RedisDatabase"


def _cache_evicts(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != REDIS:
        return
    name = str(args.props.get("databaseName", ""))
    # The cache is the resource named `cache` (an adopted one keeps its live name) or *-cache.
    if (args.name == "cache" or name.endswith("-cache")) and args.props.get("eviction") is not True:
        report(f"{name}: a cache must evict (eviction=True) or it rejects writes once full.")


def _global_region(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != REDIS:
        return
    if args.props.get("region") != "global" or not args.props.get("primaryRegion"):
        report(
            f"{args.props.get('databaseName')}: region must be 'global' with a primary_region "
            "(regional databases can no longer be created)."
        )


POLICIES = [
    resource_policy(
        "upstash-cache-eviction",
        "Upstash databases used as caches (the `cache` resource, or any database named *-cache) have eviction on.",
        "Upstash rejects writes once a non-evicting database is full; a cache must drop old keys instead.",
        Severity.MEDIUM,
        "Set eviction=True on the cache database (keep rate-limit counters in a non-evicting one).",
        _cache_evicts,
    ),
    resource_policy(
        "upstash-global-region",
        "Upstash databases are global with a primary region.",
        "Regional Upstash databases can no longer be created; a regional declaration fails at `pulumi up`.",
        Severity.MEDIUM,
        "Set region='global' and primary_region='us-east-1' (next to Vercel's iad1).",
        _global_region,
    ),
]
