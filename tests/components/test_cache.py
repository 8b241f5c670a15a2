"""The Upstash databases and the cache-key contract."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.cache import CACHE_KEYS, cache_key_table
from preview.plan import Plan, Secret
from stack_config import ConfigError
from tests.conftest import ROOT
from tests.program_runs import run_program

REDIS = "upstash:index/redisDatabase:RedisDatabase"


def test_cache_is_global_in_us_east_1_with_eviction(plan: Plan) -> None:
    cache = plan.named(REDIS, "cache").props
    assert cache["region"] == "global"
    assert cache["primaryRegion"] == "us-east-1"
    assert cache["eviction"] is True
    assert cache["tls"] is True
    # Prod adopts the database the app uses today, under its own name (a rename would replace it).
    assert cache["databaseName"] == {"dev": "newcool-dev-cache", "prod": "newcool"}[plan.stack]


def test_prod_adopts_the_live_database_as_the_cache_and_never_replaces_it(prod_plan: Plan, dev_plan: Plan) -> None:
    cache = prod_plan.named(REDIS, "cache")
    assert cache.import_id == "00000000-0000-4000-8000-000000000000"
    assert cache.protect and cache.retain_on_delete
    ratelimit = prod_plan.named(REDIS, "ratelimit")
    assert ratelimit.import_id == "" and ratelimit.props["databaseName"] == "newcool-prod-ratelimit"
    assert dev_plan.named(REDIS, "cache").import_id == ""


def test_rate_limits_live_in_a_database_that_never_evicts(plan: Plan) -> None:
    ratelimit = plan.named(REDIS, "ratelimit").props
    assert ratelimit["eviction"] is False
    assert ratelimit["region"] == "global"
    assert ratelimit["primaryRegion"] == "us-east-1"
    assert ratelimit["tls"] is True


def test_budget_comes_from_the_stack_config(plan: Plan) -> None:
    expected = {"dev": 20, "prod": 100}[plan.stack]
    assert {r.props["budget"] for r in plan.of_type(REDIS)} == {expected}


def test_rest_urls_are_https_endpoints_and_exported_as_secrets(plan: Plan) -> None:
    urls = plan.outputs["redisRestUrls"]
    assert isinstance(urls, Secret)
    for purpose in ("cache", "ratelimit"):
        endpoint = plan.named(REDIS, purpose).outputs["endpoint"]
        assert urls.value[purpose] == f"https://{endpoint}"
        assert plan.outputs["redisEndpoints"][purpose] == endpoint


def test_cache_key_contract_matches_the_seed() -> None:
    seed = {
        "user:{id}:profile": 3600,
        "user:{id}:modules": 300,
        "search:{hash}": 600,
        "music:catalog": 3600,
        "ratelimit:{ip}": 60,
    }
    assert {key.pattern: key.ttl_seconds for key in CACHE_KEYS} == seed
    assert [key.pattern for key in CACHE_KEYS if key.database == "ratelimit"] == ["ratelimit:{ip}"]


def test_cache_key_contract_is_a_stack_output(plan: Plan) -> None:
    assert plan.outputs["cacheKeys"] == [
        {"pattern": k.pattern, "ttlSeconds": k.ttl_seconds, "database": k.database} for k in CACHE_KEYS
    ]


def test_readme_cache_key_table_is_generated_from_the_contract() -> None:
    readme = (ROOT / "docs" / "architecture.md").read_text()
    assert cache_key_table() in readme, "stale cache-key table: paste components.cache.cache_key_table()"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"redisPrimaryRegion": "us-east-2"}, "newcool-infra:redisPrimaryRegion must be an Upstash region"),
        ({"redisReadRegions": ["us-east-1"]}, "newcool-infra:redisReadRegions must be Upstash regions other than"),
        ({"redisBudget": -5}, "newcool-infra:redisBudget must be between 1 and 100000, got -5"),
        ({"redisEndpoint": "https://x.upstash.io"}, "newcool-infra:redisEndpoint must be the endpoint's host"),
    ],
)
def test_bad_cache_config_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"Pulumi.dev.yaml: {message}")):
        run_program("dev", overrides)
