"""A sealed record of every deploy, and `make evidence STACK=… SINCE=…` to list and check them.

After each stack's `pulumi up` and `make verify`, the deploy workflow writes one JSON record:
the commit, the workflow run, who approved it, the policy pack's version, the plan's summary and
verdict (the offline preview's report), and the verification's result. The record is written in
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

SCHEMA = json.loads((Path(__file__).resolve().parent / "records.schema.json").read_text())


class EvidenceError(RuntimeError):
    """A record could not be sealed, or one does not check (one line)."""


def canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_for(stack: str, body: bytes) -> str:
    return f"{EVIDENCE_PREFIX}{stack}/{hashlib.sha256(body).hexdigest()}.json"


def build(
    stack: str,
    commit: str,
    run: Mapping[str, Any],
    approvers: Sequence[str],
    report: Mapping[str, Any],
    verify: Mapping[str, Any],
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The record, from the preview's JSON report and the verification's result."""
    violations = report["violations"]
    mandatory = [v for v in violations if v["enforcement"] == "mandatory"]
    record = {
        "schema": "newcool-deploy-evidence/1",
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
    listing = commands.add_parser("check", help="list the records since a moment and check their hashes")
    listing.add_argument("--stack", required=True)
    listing.add_argument("--bucket", required=True)
    listing.add_argument("--since", required=True, help="ISO date or time, e.g. 2026-11-01")
    args = parser.parse_args(argv)
    if s3 is None:
        s3 = aws.client("s3")
    try:
        if args.command == "record":
            built = build(
                args.stack,
                args.commit,
                json.loads(args.run.read_text()),
                [login for login in args.approvers.split(",") if login],
                json.loads(args.report.read_text()),
                json.loads(args.verify.read_text()),
            )
            print(f"sealed {seal(s3, args.bucket, args.stack, built)}")
            return 0
        since = datetime.datetime.fromisoformat(args.since)
        since = since if since.tzinfo else since.replace(tzinfo=datetime.UTC)
        results = check(s3, args.bucket, args.stack, since)
    except (EvidenceError, jsonschema.ValidationError, ValueError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    for key, verdict in results:
        print(f"{verdict:>4}  {key}" if verdict == "ok" else f"FAIL  {key}: {verdict}")
    bad = sum(1 for _, verdict in results if verdict != "ok")
    print(f"{len(results)} record(s) since {since.isoformat()}, {bad} that do not check")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
