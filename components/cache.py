"""Upstash Redis: the cache, a separate rate-limit database, and the cache-key contract.

The cache evicts (it is a cache). Upstash evicts at random among keys with a TTL, and every key
here has one, so a ``ratelimit:{ip}`` counter kept in the cache could be dropped whenever the
cache fills, and anyone can fill it (``search:{hash}`` keys come from user input): flooding
searches would reset rate limits. Rate-limit counters therefore live in their own small
database with eviction off, where only they compete for memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import upstash_pulumi as upstash

from components.adoption import CACHE_CHANGES, adopting
from stack_config import CacheConfig

Database = Literal["cache", "ratelimit"]


def database_name(config: CacheConfig, environment: str, purpose: Database) -> str:
    """The live cache keeps its name (cacheName): Upstash replaces a database whose name changes."""
    adopted = config.cache_name if purpose == "cache" else None
    return adopted or f"newcool-{environment}-{purpose}"


@dataclass(frozen=True)
class CacheKey:
    pattern: str
    ttl_seconds: int
    description: str
    database: Database = "cache"

    @property
    def ttl(self) -> str:
        """The TTL as the seed writes it: 1h, 5m, 1m."""
        if self.ttl_seconds % 3600 == 0:
            return f"{self.ttl_seconds // 3600}h"
        if self.ttl_seconds % 60 == 0:
            return f"{self.ttl_seconds // 60}m"
        return f"{self.ttl_seconds}s"


# The one source of truth for cache keys (spec: Cache Keys); README's table is checked against it.
CACHE_KEYS: tuple[CacheKey, ...] = (
    CacheKey("user:{id}:profile", 3600, "User profile cache"),
    CacheKey("user:{id}:modules", 300, "User module access"),
    CacheKey("search:{hash}", 600, "Search results"),
    CacheKey("music:catalog", 3600, "Music catalog"),
    CacheKey("ratelimit:{ip}", 60, "Rate limiting", database="ratelimit"),
)


def cache_key_table() -> str:
    """The README's cache-key table, generated from ``CACHE_KEYS``."""
    rows = ["| Pattern | TTL | Description | Database |", "|---------|-----|-------------|----------|"]
    rows += [f"| `{key.pattern}` | {key.ttl} | {key.description} | {key.database} |" for key in CACHE_KEYS]
    return "\n".join(rows)


@dataclass(frozen=True)
class CacheArgs:
    config: CacheConfig
    environment: str


@dataclass(frozen=True)
class RedisEndpoint:
    database: upstash.RedisDatabase
    endpoint: pulumi.Output[str]
    rest_url: pulumi.Output[str]
    rest_token: pulumi.Output[str]


class RedisCache(pulumi.ComponentResource):
    cache: RedisEndpoint
    ratelimit: RedisEndpoint

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:cache:RedisCache", name, None, opts)
        self._args = args
        self.cache = self._database("cache", eviction=True)
        self.ratelimit = self._database("ratelimit", eviction=False)
        self.register_outputs(
            {
                "cacheEndpoint": self.cache.endpoint,
                "ratelimitEndpoint": self.ratelimit.endpoint,
            }
        )

    def _database(self, purpose: Database, eviction: bool) -> RedisEndpoint:
        config = self._args.config
        # Regional databases can no longer be created: global with a primary region. TLS is
        # always on for these; it is still declared so a reader sees it.
        adopted = config.adopt_cache_id if purpose == "cache" else None
        prod = self._args.environment == "prod"
        database = upstash.RedisDatabase(
            purpose,
            database_name=database_name(config, self._args.environment, purpose),
            region="global",
            primary_region=config.primary_region,
            read_regions=list(config.read_regions) or None,
            eviction=eviction,
            tls=True,
            budget=config.budget,
            # The database the app uses today: imported, and in prod never replaced or deleted.
            opts=pulumi.ResourceOptions.merge(
                # In prod never replaced or deleted, adopted or not (a replacement is a new
                # endpoint and token, so the app fails until it is redeployed).
                pulumi.ResourceOptions(parent=self, protect=prod, retain_on_delete=prod),
                adopting(adopted, CACHE_CHANGES),
            ),
        )
        return RedisEndpoint(
            database=database,
            endpoint=database.endpoint,
            rest_url=pulumi.Output.secret(database.endpoint.apply(lambda host: f"https://{host}")),
            rest_token=pulumi.Output.secret(database.rest_token),
        )
