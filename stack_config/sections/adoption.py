"""`adopt:`: the live resources a stack imports instead of creating, by each provider's import id,
checked against what the stack declares."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from stack_config.model import Adoption, VercelConfig
from stack_config.reader import Reader
from stack_config.vocabulary import ADOPT_KEYS, BUCKET_ROLES, BucketRole

_VERCEL_PROJECT_ID = re.compile(r"^(team_[A-Za-z0-9]+/)?prj_[A-Za-z0-9]+$")
_VERCEL_ENV_ID = re.compile(r"^[A-Za-z0-9]+$")
_UPSTASH_DATABASE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _string_map(reader: Reader, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise reader.fail(key, "must map names to import ids (non-empty strings)")
    return value


def _adopted_buckets(reader: Reader, raw: Any, names: Mapping[BucketRole, str]) -> dict[BucketRole, str]:
    buckets: dict[BucketRole, str] = {}
    for role_name, bucket in _string_map(reader, "adopt.buckets", raw).items():
        if role_name not in BUCKET_ROLES:
            raise reader.fail(f"adopt.buckets.{role_name}", f"is not a bucket role ({', '.join(BUCKET_ROLES)})")
        role = role_name
        if bucket != names[role]:
            raise reader.fail(
                f"adopt.buckets.{role}", f"must name the configured bucket {names[role]!r}, got {bucket!r}"
            )
        buckets[role] = bucket
    return buckets


def _adopted_vercel(
    reader: Reader, raw: Mapping[str, Any], vercel: VercelConfig
) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """The project's import id (team_…/prj_…), its domains' (…/<domain>) and variables' (…/<env id>)."""
    project = raw.get("vercelProject")
    if project is not None:
        if not isinstance(project, str) or not _VERCEL_PROJECT_ID.match(project):
            raise reader.fail("adopt.vercelProject", "must be Vercel's import id team_…/prj_… (or prj_…)")
        if "/" in project and project.split("/", 1)[0] != vercel.team_id:
            raise reader.fail("adopt.vercelProject", f"belongs to another team than vercel.teamId {vercel.team_id!r}")
    domains = _string_map(reader, "adopt.vercelDomains", raw.get("vercelDomains", {}))
    variables = _string_map(reader, "adopt.vercelVariables", raw.get("vercelVariables", {}))
    if (domains or variables) and project is None:
        raise reader.fail("adopt.vercelProject", "is required to adopt the project's domains or variables")
    for domain, import_id in domains.items():
        if domain != vercel.domain:
            raise reader.fail(f"adopt.vercelDomains.{domain}", f"is not the stack's domain {vercel.domain!r}")
        if import_id != f"{project}/{domain}":
            raise reader.fail(f"adopt.vercelDomains.{domain}", f"must be {project}/{domain} (project id/domain)")
    for variable, import_id in variables.items():
        prefix, _, env_id = import_id.rpartition("/")
        if prefix != project or not _VERCEL_ENV_ID.match(env_id):
            raise reader.fail(f"adopt.vercelVariables.{variable}", f"must be {project}/<environment variable id>")
    return project, domains, variables


def _adopted_cache(reader: Reader, raw: Any) -> dict[str, str]:
    cache = _string_map(reader, "adopt.redisCache", raw)
    if "databaseName" in cache:
        raise reader.fail(
            "adopt.redisCache.databaseName",
            "moved to newcool-infra:redisCacheName: the live name must outlive adopt: (a new name replaces it)",
        )
    if cache and set(cache) != {"id"}:
        raise reader.fail("adopt.redisCache", "must be {id: <Upstash database id>}")
    if cache and not _UPSTASH_DATABASE_ID.match(cache["id"]):
        raise reader.fail("adopt.redisCache.id", "must be the live database's Upstash id (a UUID)")
    return cache


def adoption(reader: Reader, names: Mapping[BucketRole, str], vercel: VercelConfig) -> Adoption:
    """Import ids in each provider's own format, checked against what the stack declares."""
    raw = reader.decoded("adopt") if reader.has("adopt") else {}
    if not isinstance(raw, dict):
        raise reader.fail("adopt", f"must be an object with {', '.join(ADOPT_KEYS)}")
    for key in raw:
        if key not in ADOPT_KEYS:
            hint = difflib.get_close_matches(key, ADOPT_KEYS, n=1)
            raise reader.fail(
                f"adopt.{key}", "is not something this stack adopts" + (f" (did you mean {hint[0]}?)" if hint else "")
            )
    project, domains, variables = _adopted_vercel(reader, raw, vercel)
    return Adoption(
        buckets=_adopted_buckets(reader, raw.get("buckets", {}), names),
        vercel_project=project,
        vercel_domains=domains,
        vercel_variables=variables,
        redis_cache=_adopted_cache(reader, raw.get("redisCache", {})),
        supabase_settings=_adopted_supabase_settings(reader, raw.get("supabaseSettings")),
    )


def _adopted_supabase_settings(reader: Reader, raw: Any) -> str | None:
    """The live project whose settings the first `up` records (its ref, as supabaseUrl names it)."""
    if raw is None:
        return None
    url = re.fullmatch(r"https://([a-z]{20})\.supabase\.co", reader.string("supabaseUrl"))
    ref = url[1] if url else None  # a malformed supabaseUrl is refused by its own section
    if ref is not None and raw != ref:
        raise reader.fail("adopt.supabaseSettings", f"must be the project ref of supabaseUrl ({ref!r}), got {raw!r}")
    return str(raw)
