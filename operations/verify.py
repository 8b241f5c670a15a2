"""`make verify STACK=dev|prod`: post-deploy checks against the real stack.

Reads ``pulumi stack output --json --show-secrets`` and checks, from outside, what the code
promises: an anonymous direct S3 GET is denied and every bucket blocks public access; the CDN
answers over HTTPS and redirects HTTP; the health endpoint answers 200; the Redis REST endpoint
answers PING; anon cannot read ``profiles`` through Supabase's REST API. Without the Pulumi CLI
or credentials it says so and exits 0, having checked nothing.

A check's detail holds statuses and counts only, never what an answer carried (a row, a value):
``--json`` goes into an Object-Locked evidence record that nobody can take back.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from clients import aws
from stack_config import BUCKET_ROLES, CDN_ROLES, DATA_BUCKET_ROLES, STORAGE_REGION

TIMEOUT_SECONDS = 10
PULUMI_TIMEOUT_SECONDS = 120
S3_PROBE_KEY = "newcool-verify-probe"
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, headers: Mapping[str, str] | None = None) -> Response:
    """One request, redirects not followed, HTTP errors returned as responses."""
    opener = urllib.request.build_opener(_NoRedirect())
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310 (https/http URLs from stack outputs)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as reply:
            return Response(reply.status, dict(reply.headers), reply.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


Fetch = Callable[[str, Mapping[str, str] | None], Response]


def _guard(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except (urllib.error.URLError, OSError, ValueError) as error:
        return Check(name, False, f"unreachable: {error}")


def s3_anonymous_get_denied(bucket_url: str, get: Fetch = fetch) -> Check:
    name = f"anonymous S3 GET denied ({bucket_url})"

    def check() -> Check:
        reply = get(f"{bucket_url.rstrip('/')}/{S3_PROBE_KEY}", None)
        return Check(name, reply.status == 403, f"HTTP {reply.status}")

    return _guard(name, check)


# The two flags a dated media cut-over lowers (mediaPublicReadUntil); the ACL ones never move.
CUTOVER_FLAGS = ("BlockPublicPolicy", "RestrictPublicBuckets")


def buckets_block_public_access(
    buckets: list[str], s3: Any = None, in_cutover: Mapping[str, str] | None = None
) -> Check:
    """``in_cutover``: bucket name -> the day its public reads end."""
    name = "every bucket blocks all public access"
    in_cutover = in_cutover or {}
    try:
        client = s3 or aws.client("s3", STORAGE_REGION)
        open_flags = []
        for bucket in buckets:
            config = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            excused = CUTOVER_FLAGS if bucket in in_cutover else ()
            open_flags += [
                f"{bucket}:{flag}" for flag in PUBLIC_ACCESS_FLAGS if not config.get(flag) and flag not in excused
            ]
    except (ClientError, BotoCoreError, NoCredentialsError) as error:
        return Check(name, False, f"cannot read the public access blocks: {error}")
    cutover = "".join(f"; {b} public until {day} (cut-over)" for b, day in sorted(in_cutover.items()))
    return Check(
        name, not open_flags, (", ".join(open_flags) or f"{len(buckets)} bucket(s), all four flags on") + cutover
    )


def cdn_https_and_redirect(cdn_url: str, get: Fetch = fetch) -> Check:
    name = f"CDN over HTTPS, HTTP redirected ({cdn_url})"

    def check() -> Check:
        secure = get(cdn_url, None)
        plain = get(cdn_url.replace("https://", "http://", 1), None)
        location = plain.headers.get("Location", plain.headers.get("location", ""))
        redirected = plain.status in (301, 302, 307, 308) and location.startswith("https://")
        ok = secure.status < 500 and redirected
        return Check(name, ok, f"https: HTTP {secure.status}; http: HTTP {plain.status} -> {location or 'no Location'}")

    return _guard(name, check)


def health_endpoint(api_domain: str, get: Fetch = fetch, scheme: str = "https") -> Check:
    url = f"{scheme}://{api_domain}/api/health"
    name = f"health endpoint answers 200 ({url})"
    return _guard(name, lambda: Check(name, (status := get(url, None).status) == 200, f"HTTP {status}"))


def redis_ping(rest_url: str, token: str, get: Fetch = fetch) -> Check:
    name = "Redis REST answers PING"

    def check() -> Check:
        reply = get(f"{rest_url.rstrip('/')}/ping", {"Authorization": f"Bearer {token}"})
        result = json.loads(reply.body or b"{}").get("result") if reply.status == 200 else None
        return Check(name, result == "PONG", f"HTTP {reply.status}, {'PONG' if result == 'PONG' else 'no PONG'}")

    return _guard(name, check)


def anon_cannot_read_profiles(supabase_url: str, publishable_key: str, get: Fetch = fetch) -> Check:
    name = "anon cannot read profiles through the REST API"

    def check() -> Check:
        # A publishable key is no JWT: it goes in `apikey` alone, as the browser sends it.
        reply = get(f"{supabase_url.rstrip('/')}/rest/v1/profiles?select=id&limit=1", {"apikey": publishable_key})
        if reply.status in (401, 403):
            return Check(name, True, f"refused (HTTP {reply.status})")
        try:
            rows = json.loads(reply.body or b"[]")
        except ValueError:
            return Check(name, False, f"HTTP {reply.status}, not JSON")
        count = f"{len(rows)} row(s)" if isinstance(rows, list) else "not a list of rows"
        return Check(name, reply.status == 200 and rows == [], f"HTTP {reply.status}, {count}")

    return _guard(name, check)


def every_role_deployed(outputs: Mapping[str, Any]) -> Check:
    """The stack's outputs name a bucket for every role of the table and a CDN URL for every
    CDN-served one, so no bucket of the table goes unchecked (and no unknown role is passed over)."""
    buckets, cdn_urls = outputs.get("bucketNames") or {}, outputs.get("cdnUrls") or {}
    problems = [f"no bucket for {role}" for role in BUCKET_ROLES if role not in buckets]
    problems += [f"no CDN URL for {role}" for role in CDN_ROLES if role not in cdn_urls]
    problems += [f"unknown bucket role {role}" for role in buckets if role not in BUCKET_ROLES]
    problems += [f"CDN URL for {role}, which CloudFront does not serve" for role in cdn_urls if role not in CDN_ROLES]
    detail = "; ".join(problems) or f"{len(buckets)} bucket(s), {len(cdn_urls)} CDN URL(s), as the role table says"
    return Check("the stack has every bucket role of the table", not problems, detail)


def run_checks(outputs: Mapping[str, Any], get: Fetch = fetch, s3: Any = None) -> list[Check]:
    buckets = outputs["bucketNames"]
    checks = [every_role_deployed(outputs)]
    checks += [
        s3_anonymous_get_denied(f"https://{buckets[role]}.s3.{STORAGE_REGION}.amazonaws.com", get)
        for role in DATA_BUCKET_ROLES
        if role in buckets
    ]
    until = outputs.get("mediaPublicReadUntil") or {}
    checks.append(
        buckets_block_public_access(list(buckets.values()), s3, {buckets[r]: day for r, day in until.items()})
    )
    checks += [cdn_https_and_redirect(url, get) for url in outputs["cdnUrls"].values()]
    checks.append(health_endpoint(outputs["apiDomain"], get))
    checks.append(redis_ping(outputs["redisRestUrls"]["cache"], outputs["redisRestTokens"]["cache"], get))
    checks.append(anon_cannot_read_profiles(outputs["supabaseUrl"], outputs["supabasePublishableKey"], get))
    return checks


def stack_outputs(stack: str) -> dict[str, Any] | str:
    """The stack's outputs, or the reason they cannot be read here."""
    pulumi_cli = shutil.which("pulumi")
    if pulumi_cli is None:
        return "no Pulumi CLI on PATH"
    try:
        result = subprocess.run(  # noqa: S603
            [pulumi_cli, "stack", "output", "--json", "--show-secrets", "--stack", stack],
            capture_output=True,
            text=True,
            check=False,
            timeout=PULUMI_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return f"pulumi stack output ran past {PULUMI_TIMEOUT_SECONDS} s"
    if result.returncode != 0:
        return f"pulumi stack output failed: {' '.join(result.stderr.split())[:300]}"
    try:
        outputs = json.loads(result.stdout)
    except ValueError:
        return "pulumi stack output answered no JSON"
    return outputs if isinstance(outputs, dict) else "pulumi stack output answered no JSON object"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", choices=["dev", "prod"], required=True)
    parser.add_argument("--json", type=Path, help="also write the result as JSON (the deploy's evidence record)")
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stack)
    if isinstance(outputs, str):
        print(f"verify {args.stack}: skipped, nothing was checked ({outputs}; needs the Pulumi CLI and credentials)")
        # On a laptop a skip is information; in CI (after a deploy) it is a failure to verify.
        return 1 if os.environ.get("CI") == "true" else 0
    checks = run_checks(outputs)
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = sum(not c.ok for c in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    if args.json:
        result = {"ok": not failed, "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]}
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
