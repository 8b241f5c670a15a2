"""One GitHub issue per stack for its drift: opened on drift, updated in place, closed when the
stack is clean; the on-call SNS topic hears only of security-relevant drift it has not heard of.

``python -m operations.drift.issue --stack prod --report drift.json [--topic-arn ARN]`` runs in
the drift workflow after `make drift JSON=drift.json`, with the `gh` CLI (GH_TOKEN, issues:
write). The issue is found by a marker in its body, so a renamed title does not fork it.

The page goes first: a line the issue holds counts as already paged, so the issue records a
finding only once the topic has taken it. A failed publish fails the job and leaves the issue as
it was, so the next run pages again.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clients import aws
from clients.aws_errors import error_code
from operations.drift.classify import Drift
from stack_config.accounts import allowed_accounts

LABEL = "drift"
GH_TIMEOUT_SECONDS = 120


def marker(stack: str) -> str:
    return f"<!-- newcool-drift:{stack} -->"


def render(stack: str, drift: Sequence[Drift], not_checked: Sequence[str]) -> str:
    lines = [marker(stack), f"`make drift STACK={stack}` found what the code does not declare:", ""]
    lines += [f"- {d.line()}" for d in drift]
    if not_checked:
        lines += ["", "Not checked (no credentials): " + "; ".join(not_checked)]
    lines += ["", "Reconcile by changing the code or reverting the change; this issue closes itself when clean."]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Upkeep:
    """What to do with the stack's issue, and what the on-call must hear."""

    action: str  # "none", "open", "update" or "close"
    body: str
    page: tuple[str, ...]


def plan(stack: str, report: Mapping[str, Any], open_body: str | None) -> Upkeep:
    drift = [Drift(**entry) for entry in report["drift"]]
    if not drift:
        return Upkeep("close" if open_body is not None else "none", "", ())
    body = render(stack, drift, report.get("notChecked", []))
    known = set((open_body or "").splitlines())
    page = tuple(d.line() for d in drift if d.security and f"- {d.line()}" not in known)
    if open_body is None:
        return Upkeep("open", body, page)
    return Upkeep("update" if body != open_body else "none", body, page)


def _gh(*args: str, stdin: str | None = None) -> str:
    cli = shutil.which("gh")
    if cli is None:
        raise RuntimeError("no gh CLI on PATH")
    try:
        result = subprocess.run(  # noqa: S603
            [cli, *args], input=stdin, capture_output=True, text=True, check=False, timeout=GH_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"gh {args[0]} {args[1]} ran past {GH_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        raise RuntimeError(f"gh {args[0]} {args[1]} failed: {' '.join(result.stderr.split())[:300]}")
    return result.stdout


def open_issue(stack: str) -> tuple[int, str] | None:
    issues = json.loads(_gh("issue", "list", "--label", LABEL, "--state", "open", "--json", "number,body"))
    found = [(int(i["number"]), str(i["body"])) for i in issues if marker(stack) in str(i["body"])]
    return found[0] if found else None


def page(topic_arn: str, stack: str, lines: Sequence[str], sns: Any) -> None:
    """Publishes the lines to the on-call topic; a refusal is one RuntimeError line."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 (boto3 loads only to page)

    try:
        sns.publish(
            TopicArn=topic_arn,
            Subject=f"newcool {stack}: security-relevant drift",
            Message="\n".join(lines) + f"\n\nSee the open drift issue for {stack}.",
        )
    except (BotoCoreError, ClientError) as error:
        failed = f"paging the on-call topic failed ({error_code(error)})"
        raise RuntimeError(f"{failed}; the issue is left as it was") from None


def main(argv: Sequence[str] | None = None, sns: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.drift.issue", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=["dev", "prod"], required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--db-drift", type=Path, help="`make db-drift`'s output: its drift lines join the report")
    parser.add_argument("--topic-arn", default="")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    if args.db_drift and args.db_drift.exists():
        report["drift"] += [
            {"subject": "Supabase schema", "change": line.removeprefix("drift: "), "security": True}
            for line in args.db_drift.read_text().splitlines()
            if line.startswith("drift: ")
        ]
    try:
        existing = open_issue(args.stack)
        upkeep = plan(args.stack, report, existing[1] if existing else None)
        if upkeep.page:
            if not args.topic_arn:
                raise RuntimeError("security drift to page and no --topic-arn; the issue is left as it was")
            if sns is None:
                # Pages only through the stack's own account's topic (AccountGuardError is one line).
                region, what = args.topic_arn.split(":")[3], f"drift page for {args.stack}"
                sns = aws.guarded_client("sns", region, allowed_accounts(args.stack), what=what)
            page(args.topic_arn, args.stack, upkeep.page, sns)
        if upkeep.action == "open":
            _gh("issue", "create", "--title", f"drift: {args.stack}", "--label", LABEL, "--body-file", "-",
                stdin=upkeep.body)  # fmt: skip
        elif upkeep.action == "update" and existing:
            _gh("issue", "edit", str(existing[0]), "--body-file", "-", stdin=upkeep.body)
        elif upkeep.action == "close" and existing:
            _gh("issue", "close", str(existing[0]), "--comment", f"{args.stack} is clean again.")
    except RuntimeError as error:
        print(f"drift issue for {args.stack}: {error}", file=sys.stderr)
        return 1
    print(f"drift issue for {args.stack}: {upkeep.action}" + (f", paged {len(upkeep.page)}" if upkeep.page else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
