"""What changed behind the stack's back: the classifier of `pulumi preview --refresh
--expect-no-changes --json`, and the checks a refresh cannot make.

A step of the preview is drift unless its op is ``same`` or every property it changes is listed as
known provider noise for its type (``operations/drift/noise.json``, each entry with its reason).
Drift is security-relevant when it touches a resource that guards access or data (see
``SECURITY_TYPES``), or deletes or replaces anything. What refresh cannot see: Vercel variables
that the code does not declare, or whose ``updatedAt`` is newer than the last deploy by this
repository (a sensitive value edited in the dashboard cannot be read back to compare), and
Upstash databases that no stack manages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clients.vercel import live_targets
from clients.vercel_branches import review_of
from stack_config.review import REVIEW_CACHE_NAME, REVIEW_NAME

NOISE_FILE = Path(__file__).resolve().parent / "noise.json"
UNCHANGED_OPS = ("same", "read", "refresh")
DESTRUCTIVE_OPS = ("delete", "replace", "create-replacement", "delete-replaced", "discard", "discard-replaced")
# Resources that guard access or data: drift there pages the on-call, not just the issue.
SECURITY_TYPES = (
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:iam/user:User",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:kms/key:Key",
    "aws:wafv2/webAcl:WebAcl",
    "aws:cloudfront/distribution:Distribution",
    "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
    "pulumi-python:dynamic/supabase:AuthConfig",
    "pulumi-python:dynamic/supabase:DataApiConfig",
    "pulumi-python:dynamic/supabase:SslEnforcement",
    "pulumi-python:dynamic/supabase:NetworkRestrictions",
    "pulumi-python:dynamic/supabase:LegacyApiKeys",
    "pulumi-python:dynamic/supabase:ApiKey",
)


@dataclass(frozen=True)
class Drift:
    """One thing that differs from the code, named so a person can find it."""

    subject: str
    change: str
    security: bool

    def line(self) -> str:
        return f"{'[security] ' if self.security else ''}{self.subject}: {self.change}"


def load_noise(path: Path = NOISE_FILE) -> dict[str, set[str]]:
    """type -> the properties whose change alone is noise."""
    document = json.loads(path.read_text())
    noise: dict[str, set[str]] = {}
    for entry in document["noise"]:
        if not entry.get("why"):
            raise ValueError(f"{path.name}: the entry for {entry['type']} says no why")
        noise.setdefault(entry["type"], set()).update(entry["properties"])
    return noise


def _changed_properties(step: Mapping[str, Any]) -> list[str]:
    """Top-level properties the step changes (detailedDiff paths, else diffReasons)."""
    paths = list((step.get("detailedDiff") or {}).keys()) or list(step.get("diffReasons") or [])
    return sorted({path.split(".")[0].split("[")[0] for path in paths})


def classify_preview(digest: Mapping[str, Any], noise: Mapping[str, set[str]]) -> list[Drift]:
    """The drift in a `pulumi preview --json` digest, known noise left out."""
    found = []
    for step in digest.get("steps") or []:
        op = str(step.get("op", ""))
        if op in UNCHANGED_OPS:
            continue
        urn = str(step.get("urn", ""))
        parts = urn.split("::")
        # urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>
        type_, name = (parts[-2].rsplit("$", 1)[-1], parts[-1]) if len(parts) >= 3 else ("?", urn)
        properties = _changed_properties(step)
        if op == "update" and properties and set(properties) <= noise.get(type_, set()):
            continue
        change = f"{op} ({', '.join(properties)})" if properties else op
        security = type_ in SECURITY_TYPES or op in DESTRUCTIVE_OPS
        found.append(Drift(f"{type_} {name}", change, security))
    return found


def is_review_variable(entry: Mapping[str, Any]) -> bool:
    """Written by a review environment: preview only, scoped to a git branch, marked pr-<N>."""
    review = review_of(dict(entry)) or ""
    return bool(entry.get("gitBranch")) and live_targets(entry) == {"preview"} and bool(REVIEW_NAME.match(review))


def vercel_variable_drift(
    live: Iterable[Mapping[str, Any]], declared: Mapping[str, set[str]], last_deploy_ms: int
) -> list[Drift]:
    """Variables the code does not declare, and declared ones edited after the last deploy."""
    found = []
    for entry in live:
        if is_review_variable(entry):
            continue  # a review environment's own (the sweep owns those, not this stack)
        key = str(entry["key"])
        targets = live_targets(entry)
        subject = f"Vercel variable {key} ({', '.join(sorted(targets))})"
        if key not in declared or not targets & declared[key]:
            found.append(Drift(subject, "not in the code", security=True))
        elif int(entry.get("updatedAt") or 0) > last_deploy_ms:
            found.append(Drift(subject, "edited after the last deploy by this repository", security=True))
    return found


def unmanaged_redis(live: Iterable[Mapping[str, Any]], managed_names: set[str]) -> list[Drift]:
    """Upstash databases no stack manages (a copy of data, and a bill, nobody owns)."""
    return [
        Drift(f"Upstash database {d['database_name']}", "managed by no stack", security=False)
        for d in live
        # Review caches (newcool-pr-<N>) belong to review stacks, which the sweep answers for.
        if d.get("database_name") not in managed_names and not REVIEW_CACHE_NAME.match(str(d.get("database_name")))
    ]
