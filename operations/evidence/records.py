"""A sealed record of every deploy, and `make evidence STACK=… SINCE=…` to list and check them.

After each stack's `pulumi up` and `make verify`, the deploy workflow writes one JSON record:
the commit, the workflow run, who approved it, the policy pack's version, the plan's summary and
verdict (the offline preview's report), the verification's result, and what the real `up` did:
its result (succeeded, failed, or not run: the `up` step's outcome, and the stack's update
history) and the stack version it produced (the update of this commit in `pulumi stack history`).
A failed `up` is sealed as failed, never as the plan that was meant. The record is written in
canonical JSON and named by its SHA-256 (``deploys/<stack>/<sha256>.json``), with
``If-None-Match: *`` into the stack's evidence bucket (Object Lock, governance mode), so a
record can be neither replaced nor deleted for its retention, and any change to one shows as a
name that no longer matches its content.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema

from clients import aws
from clients.aws_errors import error_code
from components.locked_vault import EVIDENCE_PREFIX
from stack_config import STORAGE_REGION, ConfigError
from stack_config.accounts import allowed_accounts

# The `up` step's outcome (GitHub's steps.<id>.outcome) as the record says it.
UP_RESULTS = {"success": "succeeded", "failure": "failed", "cancelled": "failed", "skipped": "not run"}

SCHEMA = json.loads((Path(__file__).resolve().parent / "records.schema.json").read_text())


class EvidenceError(RuntimeError):
    """A record could not be sealed, or one does not check (one line)."""


def canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_for(stack: str, body: bytes) -> str:
    return f"{EVIDENCE_PREFIX}{stack}/{hashlib.sha256(body).hexdigest()}.json"


def up_result(outcome: str, history: Sequence[Mapping[str, Any]], commit: str) -> dict[str, Any]:
    """What the real `up` did: the step's outcome and, from ``pulumi stack history --json``
    (newest first), the update this commit made: its version, and its result when it failed."""
    if outcome not in UP_RESULTS:
        raise ValueError(f"--up-outcome must be one of {', '.join(UP_RESULTS)}, got {outcome!r}")
    result = UP_RESULTS[outcome]
    ours = next(
        (
            update
            for update in history
            if update.get("kind") == "update" and (update.get("environment") or {}).get("git.head") == commit
        ),
        None,
    )
    if result == "not run" or ours is None:
        return {"result": result, "stackVersion": None}
    failed = result == "failed" or ours.get("result") != "succeeded"
    return {"result": "failed" if failed else "succeeded", "stackVersion": int(ours["version"])}


def build(
    stack: str,
    commit: str,
    run: Mapping[str, Any],
    approvers: Sequence[str],
    report: Mapping[str, Any],
    verify: Mapping[str, Any],
    up: Mapping[str, Any],
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The record, from the preview's JSON report, the verification's result and the `up`'s."""
    violations = report["violations"]
    mandatory = [v for v in violations if v["enforcement"] == "mandatory"]
    record = {
        "schema": "newcool-deploy-evidence/2",
        "stack": stack,
        "recordedAt": (now or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds"),
        "commit": commit,
        "workflowRun": dict(run),
        "approvers": sorted(approvers),
        "policyPack": {"name": report["policyPack"]["name"], "version": report["policyPack"]["version"]},
        "plan": {
            "resources": len(report["resources"]),
            "imports": sum(1 for r in report["resources"] if r.get("import")),
            "monthlyFixedUsd": report["monthlyCost"]["fixedUsd"],
        },
        "verdict": {
            "passed": bool(report["passed"]),
            "mandatory": sorted({v["policy"] for v in mandatory}),
            "advisory": sorted({v["policy"] for v in violations if v not in mandatory}),
        },
        "verify": dict(verify),
        "up": dict(up),
    }
    jsonschema.validate(record, SCHEMA)
    return record


def seal(s3: Any, bucket: str, stack: str, record: Mapping[str, Any]) -> str:
    """Writes the record under its hash; an existing object of that name is never replaced.

    The name is the content's hash, so an object already under it is this same record (a retried
    PUT whose first reply was lost, or the step run again): sealed, once its content is read back
    and checks. Only an object of that name whose content does not hash to it is an error.
    """
    jsonschema.validate(dict(record), SCHEMA)
    body = canonical(record)
    key = key_for(stack, body)
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*")
    except Exception as error:
        code = error_code(error)
        if code != "PreconditionFailed":
            raise EvidenceError(f"S3 refused {key}: {code}") from None
        try:
            existing = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as unreadable:
            raise EvidenceError(f"{key} exists and cannot be read back: {error_code(unreadable)}") from None
        if key_for(stack, existing) != key:
            raise EvidenceError(f"{key} exists with other content: TAMPERED, and a record is never replaced") from None
    return key


def check(s3: Any, bucket: str, stack: str, since: datetime.datetime) -> list[tuple[str, str]]:
    """(key, verdict) of every record since a moment: ok, or why it does not check."""
    results = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{EVIDENCE_PREFIX}{stack}/"):
        for item in page.get("Contents", []):
            if item["LastModified"] < since:
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            if key_for(stack, body) != item["Key"]:
                results.append((item["Key"], "TAMPERED: the content's SHA-256 is not the name"))
                continue
            try:
                jsonschema.validate(json.loads(body), SCHEMA)
            except (json.JSONDecodeError, jsonschema.ValidationError) as error:
                results.append((item["Key"], f"not a deploy record: {str(error).splitlines()[0]}"))
                continue
            results.append((item["Key"], "ok"))
    return results


def main(argv: Sequence[str] | None = None, s3: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="make evidence", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="seal one deploy's record (the deploy workflow)")
    record.add_argument("--stack", required=True)
    record.add_argument("--bucket", required=True)
    record.add_argument("--report", type=Path, required=True, help="make preview's JSON report")
    record.add_argument("--verify", type=Path, required=True, help="make verify's JSON result")
    record.add_argument("--commit", required=True)
    record.add_argument("--run", type=Path, required=True, help="the workflow run as JSON {id, url, attempt}")
    record.add_argument("--approvers", default="", help="comma-separated logins of the environment's reviewers")
    record.add_argument("--up-outcome", required=True, help="the `up` step's outcome: " + ", ".join(UP_RESULTS))
    record.add_argument("--history", type=Path, help="`pulumi stack history --json` after the up (its version)")
    listing = commands.add_parser("check", help="list the records since a moment and check their hashes")
    listing.add_argument("--stack", required=True)
    listing.add_argument("--bucket", required=True)
    listing.add_argument("--since", required=True, help="ISO date or time, e.g. 2026-11-01")
    args = parser.parse_args(argv)
    try:
        if s3 is None:
            # Sealing writes: only in the stack's own account (the check only reads).
            s3 = (
                aws.guarded_client("s3", STORAGE_REGION, allowed_accounts(args.stack), what="evidence record")
                if args.command == "record"
                else aws.client("s3", STORAGE_REGION)
            )
        if args.command == "record":
            history = json.loads(args.history.read_text()) if args.history and args.history.exists() else []
            built = build(
                args.stack,
                args.commit,
                json.loads(args.run.read_text()),
                [login for login in args.approvers.split(",") if login],
                json.loads(args.report.read_text()),
                json.loads(args.verify.read_text()),
                up_result(args.up_outcome, history, args.commit),
            )
            print(f"sealed {seal(s3, args.bucket, args.stack, built)}")
            return 0
        since = datetime.datetime.fromisoformat(args.since)
        since = since if since.tzinfo else since.replace(tzinfo=datetime.UTC)
        results = check(s3, args.bucket, args.stack, since)
    except (EvidenceError, aws.AccountGuardError, ConfigError, jsonschema.ValidationError, ValueError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    for key, verdict in results:
        print(f"{verdict:>4}  {key}" if verdict == "ok" else f"FAIL  {key}: {verdict}")
    bad = sum(1 for _, verdict in results if verdict != "ok")
    print(f"{len(results)} record(s) since {since.isoformat()}, {bad} that do not check")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
