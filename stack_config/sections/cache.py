"""The Upstash databases: regions, budget, and the live database adopted as the cache."""

from __future__ import annotations

import re
from collections.abc import Mapping

from stack_config.model import CacheConfig
from stack_config.reader import Reader
from stack_config.vocabulary import UPSTASH_REGIONS

_DATABASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_ENDPOINT = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}\.upstash\.io$")


def _cache_name(reader: Reader) -> str | None:
    if not reader.has("redisCacheName"):
        return None
    name = reader.string("redisCacheName")
    if not _DATABASE_NAME.match(name):
        raise reader.fail(
            "redisCacheName", f"must be an Upstash database name (letters, digits, - and _), got {name!r}"
        )
    return name


def _endpoint(reader: Reader) -> str | None:
    if not reader.has("redisEndpoint"):
        return None
    host = reader.string("redisEndpoint")
    if not _ENDPOINT.match(host):
        raise reader.fail("redisEndpoint", f"must be the endpoint's host, <name>.upstash.io, got {host!r}")
    return host


def cache(reader: Reader, adopt_cache: Mapping[str, str]) -> CacheConfig:
    primary = reader.string("redisPrimaryRegion")
    if primary not in UPSTASH_REGIONS:
        raise reader.fail(
            "redisPrimaryRegion",
            f"must be an Upstash region ({', '.join(UPSTASH_REGIONS)}), got {primary!r}; "
            "us-east-1 is the one next to Vercel's iad1",
        )
    read_regions = reader.string_list("redisReadRegions")
    for region in read_regions:
        if region not in UPSTASH_REGIONS or region == primary:
            raise reader.fail("redisReadRegions", f"must be Upstash regions other than the primary, got {region!r}")
    return CacheConfig(
        primary_region=primary,
        read_regions=tuple(read_regions),
        budget=reader.integer("redisBudget") if reader.has("redisBudget") else None,
        cache_name=_cache_name(reader),
        adopt_cache_id=adopt_cache.get("id"),
        endpoint=_endpoint(reader),
    )
