"""What each live resource reads as, for its provider's import: the records of ``live_state/``.

Each record holds the inputs the provider reads when it imports the resource, under the engine's
(camelCase) names, so ``make preview`` can compare them with what the stack declares. Values
that are or may be secret (a variable's value) are recorded only as ``{"secret": true}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clients.aws_errors import error_code
from live_state import SECRET, LiveResource

BUCKET = "aws:s3/bucket:Bucket"
VERCEL_PROJECT = "vercel:index/project:Project"
VERCEL_DOMAIN = "vercel:index/projectDomain:ProjectDomain"
VERCEL_VARIABLE = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
UPSTASH_DATABASE = "upstash:index/redisDatabase:RedisDatabase"


# The API's ssoProtection.deploymentType under the provider's vercel_authentication names.
PROTECTION_NAMES = {
    "prod_deployment_urls_and_all_previews": "standard_protection_new",
    "all_except_custom_domains": "standard_protection",
    "all": "all_deployments",
    "preview": "only_preview_deployments",
}


def bucket(s3: Any, name: str, facts: Mapping[str, Any]) -> LiveResource:
    """An S3 bucket as pulumi-aws imports it (forceDestroy is the provider's own flag: false)."""
    region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
    try:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name).get("TagSet", [])}
    except Exception as error:
        if error_code(error) != "NoSuchTagSet":
            raise
        tags = {}
    try:
        lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
        object_lock = lock.get("ObjectLockEnabled") == "Enabled"
    except Exception as error:
        if error_code(error) != "ObjectLockConfigurationNotFoundError":
            raise
        object_lock = False
    inputs = {"bucket": name, "region": region, "forceDestroy": False, "objectLockEnabled": object_lock, "tags": tags}
    return LiveResource(BUCKET, name, inputs, dict(facts))


def vercel_project(project: Mapping[str, Any], team_id: str) -> LiveResource:
    """getProject's answer under the provider's names (only what the project has set)."""
    inputs: dict[str, Any] = {"name": project["name"], "teamId": team_id}
    optional = {
        "framework": project.get("framework"),
        "serverlessFunctionRegion": project.get("serverlessFunctionRegion"),
        "automaticallyExposeSystemEnvironmentVariables": project.get("autoExposeSystemEnvs"),
    }
    link = project.get("link") or {}
    if link.get("repo"):
        optional["gitRepository"] = {
            "type": link.get("type"),
            "repo": f"{link.get('org')}/{link.get('repo')}" if link.get("org") else link.get("repo"),
            "productionBranch": link.get("productionBranch"),
        }
    protection = (project.get("ssoProtection") or {}).get("deploymentType")
    optional["vercelAuthentication"] = {"deploymentType": PROTECTION_NAMES.get(str(protection), "none")}
    if project.get("oidcTokenConfig"):
        optional["oidcTokenConfig"] = {"issuerMode": project["oidcTokenConfig"].get("issuerMode")}
    regions = (project.get("resourceConfig") or {}).get("functionDefaultRegions")
    if regions:
        optional["resourceConfig"] = {"functionDefaultRegions": list(regions)}
    inputs.update({key: value for key, value in optional.items() if value is not None})
    return LiveResource(VERCEL_PROJECT, f"{team_id}/{project['id']}", inputs)


def vercel_domain(project_id: str, team_id: str, domain: str) -> LiveResource:
    inputs = {"projectId": project_id, "teamId": team_id, "domain": domain}
    return LiveResource(VERCEL_DOMAIN, f"{team_id}/{project_id}/{domain}", inputs)


def vercel_variable(entry: Mapping[str, Any], project_id: str, team_id: str) -> LiveResource:
    target = entry.get("target") or []
    inputs: dict[str, Any] = {
        "projectId": project_id,
        "teamId": team_id,
        "key": entry["key"],
        "value": SECRET,
        "targets": [target] if isinstance(target, str) else list(target),
        "sensitive": entry.get("type") == "sensitive",
    }
    if entry.get("comment"):
        inputs["comment"] = entry["comment"]
    facts = {"type": entry.get("type"), "updatedAt": entry.get("updatedAt")}
    return LiveResource(VERCEL_VARIABLE, f"{team_id}/{project_id}/{entry['id']}", inputs, facts)


def upstash_database(database: Mapping[str, Any]) -> LiveResource:
    """listDatabases' entry under the provider's names (its credentials are never read)."""
    names = {
        "database_name": "databaseName",
        "region": "region",
        "primary_region": "primaryRegion",
        "read_regions": "readRegions",
        "tls": "tls",
        "eviction": "eviction",
        "budget": "budget",
        "auto_upgrade": "autoScale",
    }
    inputs = {ours: database[theirs] for theirs, ours in names.items() if database.get(theirs) is not None}
    return LiveResource(UPSTASH_DATABASE, str(database["database_id"]), inputs, {"state": database.get("state")})
