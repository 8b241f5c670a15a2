"""`make s3-restore BUCKET=… PREFIX=… AT=<timestamp>`: objects back to what they were at a moment.

In a versioned bucket nothing overwritten or deleted is gone until its noncurrent version
expires. For every key under the prefix, the version that was current at ``AT`` is copied over
the key, becoming its current version again: an overwrite is undone, a deletion (a delete
marker) is undone. A key that did not exist at ``AT`` is left alone, and no version is ever
deleted, so a restore can itself be undone the same way. A dry run (the default) lists what it
would do; ``APPLY=1 STACK=…`` does it, only once the credentials are checked to be the stack's
AWS account (``clients.aws.guarded_client``).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from clients import aws
from clients.aws_errors import error_code
from stack_config import STORAGE_REGION, ConfigError
from stack_config.accounts import allowed_accounts

Action = Literal["restore", "undelete", "unchanged", "newer only"]


@dataclass(frozen=True)
class Plan:
    key: str
    action: Action
    # The version to copy back (None when nothing is done).
    version_id: str | None


def _entries(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    """Every version and delete marker under the prefix, tagged with which it is."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", []):
            yield {**version, "marker": False}
        for marker in page.get("DeleteMarkers", []):
            yield {**marker, "marker": True}


def plan_restore(s3: Any, bucket: str, prefix: str, at: datetime.datetime) -> list[Plan]:
    by_key: dict[str, list[dict[str, Any]]] = {}
    for entry in _entries(s3, bucket, prefix):
        by_key.setdefault(entry["Key"], []).append(entry)
    plans = []
    for key, entries in sorted(by_key.items()):
        entries.sort(key=lambda e: e["LastModified"])
        then = [e for e in entries if e["LastModified"] <= at]
        latest = entries[-1]
        if not then or then[-1]["marker"]:
            # It did not exist at that moment (or was deleted then): left as it is.
            plans.append(Plan(key, "newer only" if not then else "unchanged", None))
            continue
        wanted = then[-1]
        if latest is wanted:
            plans.append(Plan(key, "unchanged", None))
        else:
            plans.append(Plan(key, "undelete" if latest["marker"] else "restore", wanted["VersionId"]))
    return plans


def apply(s3: Any, bucket: str, plans: Sequence[Plan]) -> int:
    """Copies each chosen version over its key (a new current version); never deletes one."""
    done = 0
    for plan in plans:
        if plan.version_id is None:
            continue
        s3.copy_object(
            Bucket=bucket, Key=plan.key, CopySource={"Bucket": bucket, "Key": plan.key, "VersionId": plan.version_id}
        )
        done += 1
    return done


def main(argv: Sequence[str] | None = None, s3: Any = None) -> int:  # noqa: PLR0911 (one exit per refusal)
    parser = argparse.ArgumentParser(prog="make s3-restore", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--at", required=True, help="ISO time with a zone, e.g. 2026-11-30T03:00:00Z")
    parser.add_argument("--apply", action="store_true", help="copy the versions back (default: dry run)")
    parser.add_argument("--stack", choices=["dev", "prod"], help="the bucket's stack (required with --apply)")
    args = parser.parse_args(argv)
    if args.apply and not args.stack:
        print("error: APPLY=1 needs STACK=dev|prod: copies are made only in that stack's AWS account", file=sys.stderr)
        return 2
    try:
        at = datetime.datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    except ValueError:
        print(f"error: AT must be an ISO time like 2026-11-30T03:00:00Z, got {args.at!r}", file=sys.stderr)
        return 2
    if at.tzinfo is None:
        print("error: AT needs a time zone (…Z or …+00:00): S3 times are UTC", file=sys.stderr)
        return 2
    try:
        if s3 is None:
            # A restore writes: only in the stack's own account and region (a dry run only reads).
            s3 = (
                aws.guarded_client("s3", STORAGE_REGION, allowed_accounts(args.stack), what="s3-restore")
                if args.apply
                else aws.client("s3", STORAGE_REGION)
            )
    except (aws.AccountGuardError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        plans = plan_restore(s3, args.bucket, args.prefix, at)
        for plan in plans:
            print(f"{plan.action:>10}  {plan.key}" + (f"  (version {plan.version_id})" if plan.version_id else ""))
        chosen = [plan for plan in plans if plan.version_id]
        if not args.apply:
            print(f"dry run: {len(chosen)} object(s) would be restored to {at.isoformat()}; APPLY=1 to do it")
            return 0
        print(f"restored {apply(s3, args.bucket, chosen)} object(s) to {at.isoformat()}; no version was deleted")
    except Exception as error:  # botocore's errors: one line, the code, never a traceback
        code = error_code(error)
        print(f"error: S3 refused: {code}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
