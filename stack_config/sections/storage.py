"""Buckets, origins, CDN domains, lifecycle days and the dated media cut-over."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

from stack_config.model import CdnDomains, StorageConfig
from stack_config.reader import Reader
from stack_config.vocabulary import (
    BUCKET_ROLES,
    CDN_ROLES,
    CUTOVER_ROLES,
    MAX_PUBLIC_READ_DAYS,
    PROD_BUCKET_NAMES,
    PROD_CDN_DOMAINS,
    BucketRole,
    Environment,
)

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ORIGIN = re.compile(r"^(https://[a-z0-9.-]+|http://localhost)(:[0-9]{1,5})?$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{5,31}$")


def bucket_names(reader: Reader, environment: Environment) -> dict[BucketRole, str]:
    names: dict[BucketRole, str] = {}
    raw = reader.mapping("buckets", BUCKET_ROLES)
    for role in BUCKET_ROLES:
        name = raw[role]
        key = f"buckets.{role}"
        if not BUCKET_NAME.match(name) or ".." in name:
            raise reader.fail(key, f"is not a valid S3 bucket name: {name!r}")
        if environment == "prod" and name != PROD_BUCKET_NAMES[role]:
            raise reader.fail(key, f"must be {PROD_BUCKET_NAMES[role]!r} in prod, got {name!r}")
        if environment != "prod" and name in PROD_BUCKET_NAMES.values():
            raise reader.fail(key, f"is a prod bucket name ({name!r}); {environment} needs its own")
        names[role] = name
    if len(set(names.values())) != len(names):
        raise reader.fail("buckets", "must give each role a different bucket name")
    return names


def app_origins(reader: Reader, environment: Environment) -> tuple[str, ...]:
    origins = reader.string_list("appOrigins")
    for origin in origins:
        if origin == "*" or not _ORIGIN.match(origin):
            raise reader.fail(
                "appOrigins",
                f"entries must be origins like https://app.example.com (no wildcard, no path), got {origin!r}",
            )
        if origin.startswith("http://") and environment == "prod":
            raise reader.fail("appOrigins", f"must be https in prod, got {origin!r}")
    return tuple(origins)


def _cdn_domains(reader: Reader, environment: Environment) -> CdnDomains | None:
    domains = reader.mapping("cdnDomains", CDN_ROLES)
    if not domains:
        return None
    if len(domains) != len(CDN_ROLES):
        missing = next(role for role in CDN_ROLES if role not in domains)
        raise reader.fail(f"cdnDomains.{missing}", "is required when cdnDomains is set")
    for role, domain in domains.items():
        if not HOSTNAME.match(domain):
            raise reader.fail(f"cdnDomains.{role}", f"is not a valid domain name: {domain!r}")
        if environment == "prod" and domain != PROD_CDN_DOMAINS[role]:
            raise reader.fail(f"cdnDomains.{role}", f"must be {PROD_CDN_DOMAINS[role]!r} in prod, got {domain!r}")
    if not reader.has("dnsZoneId"):
        raise reader.fail("dnsZoneId", "is required when cdnDomains is set (the Route 53 hosted zone id)")
    zone_id = reader.string("dnsZoneId")
    if not _ZONE_ID.match(zone_id):
        raise reader.fail("dnsZoneId", f"is not a Route 53 hosted zone id: {zone_id!r}")
    return CdnDomains(by_role={role: domains[role] for role in CDN_ROLES}, zone_id=zone_id)


def _public_read_until(reader: Reader) -> dict[BucketRole, datetime.date]:
    """Media buckets still readable by anyone (a bucket policy, never ACLs) until a date."""
    raw = reader.mapping("mediaPublicReadUntil", CUTOVER_ROLES)
    until: dict[BucketRole, datetime.date] = {}
    latest = datetime.date.today() + datetime.timedelta(days=MAX_PUBLIC_READ_DAYS)
    for role in CUTOVER_ROLES:
        if role not in raw:
            continue
        text = raw[role]
        key = f"mediaPublicReadUntil.{role}"
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise reader.fail(key, f"must be a date like 2027-01-31, got {text!r}") from None
        if day > latest:
            raise reader.fail(
                key, f"may be at most {MAX_PUBLIC_READ_DAYS} days ahead ({latest}); the cut-over is time-boxed"
            )
        until[role] = day
    return until


def storage(
    reader: Reader,
    environment: Environment,
    names: Mapping[BucketRole, str],
    origins: tuple[str, ...],
    adopted_buckets: Mapping[BucketRole, str],
) -> StorageConfig:
    return StorageConfig(
        bucket_names=names,
        app_origins=origins,
        price_class=reader.choice("cdnPriceClass"),
        noncurrent_version_days=reader.integer("noncurrentVersionDays"),
        log_retention_days=reader.integer("logRetentionDays"),
        abort_incomplete_upload_days=reader.integer("abortIncompleteUploadDays"),
        cdn_domains=_cdn_domains(reader, environment),
        import_buckets=adopted_buckets,
        public_read_until=_public_read_until(reader),
    )
