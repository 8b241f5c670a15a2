"""`make drift STACK=dev|prod`: what changed behind the stack's back, one line per drifted thing.

1. `pulumi preview --refresh --expect-no-changes --json`, classified (``operations/drift/classify.py``).
2. What refresh cannot see, for each vendor whose credentials are in the environment:
   Vercel variables not in the code or edited since the last `up` (``VERCEL_API_TOKEN``), Supabase
   API keys no stack manages (``SUPABASE_ACCESS_TOKEN``), Upstash databases no stack manages
   (``UPSTASH_EMAIL`` and ``UPSTASH_API_KEY``). A vendor without credentials is named as not
   checked, never silently skipped.

Exit 0: clean, every check ran. Exit 1: drift. Exit 2: cannot check (one line why): the CLI
answered an error diagnostic, no JSON, or ran past its timeout, or a vendor could not be read.
The CLI exits non-zero both on changes and on errors (pulumi/pulumi#8992), so its exit code alone
decides nothing: its JSON does. Exit 3: incomplete, no drift in what was checked but a vendor was
not (no credentials), so it is not called clean. ``--json PATH`` writes the report the drift
workflow keeps its issue from.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from clients.http import ApiError
from clients.supabase_management import API_URL as SUPABASE_API
from clients.supabase_management import ManagementApi
from clients.upstash import API_URL as UPSTASH_API
from clients.upstash import UpstashApi
from clients.vercel import API_URL as VERCEL_API
from clients.vercel import VercelApi
from components.cache import database_name
from components.hosting import declared_targets
from components.supabase_project import managed_key_names
from operations.drift.classify import Drift, classify_preview, load_noise, unmanaged_redis, vercel_variable_drift
from stack_config.loader import offline_stack_config

STACKS = ("dev", "prod")
# `pulumi stack history --json` times, as the Pulumi SDK's automation API parses them.
HISTORY_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
PULUMI_TIMEOUT_SECONDS = 900


class CannotCheckError(Exception):
    """Drift could not be checked (one line, no secret)."""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def pulumi(*args: str, changes_exit_non_zero: bool = False) -> Any:
    """The CLI's JSON answer. Anything else (no JSON, an error diagnostic, a timeout, a non-zero
    exit where only changes may cause one) means the stack could not be checked."""
    command = " ".join(arg for arg in args[:2] if not arg.startswith("-"))
    cli = shutil.which("pulumi")
    if cli is None:
        raise CannotCheckError("no Pulumi CLI on PATH")
    try:
        result = subprocess.run(  # noqa: S603
            [cli, *args, "--non-interactive"],
            capture_output=True,
            text=True,
            check=False,
            timeout=PULUMI_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise CannotCheckError(f"pulumi {command} ran past {PULUMI_TIMEOUT_SECONDS} s") from None
    reason = _one_line(result.stderr)[-300:] or f"exit {result.returncode}"
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        answer = None
    if not isinstance(answer, dict | list):
        raise CannotCheckError(f"pulumi {command} answered no JSON: {reason}")
    diagnostics = answer.get("diagnostics") if isinstance(answer, dict) else None
    errors = [d for d in diagnostics or [] if isinstance(d, dict) and d.get("severity") == "error"]
    if errors:
        raise CannotCheckError(f"pulumi {command} reported an error: {_one_line(str(errors[0].get('message')))}")
    if result.returncode != 0 and not changes_exit_non_zero:
        raise CannotCheckError(f"pulumi {command} failed: {reason}")
    return answer


def last_deploy_ms(history: Sequence[Mapping[str, Any]]) -> int:
    """When the newest successful `up` ended (ms since the epoch); 0 when none did."""
    for update in history:
        if update.get("kind") == "update" and update.get("result") == "succeeded" and update.get("endTime"):
            ended = datetime.datetime.strptime(str(update["endTime"]), HISTORY_TIME_FORMAT)
            return int(ended.replace(tzinfo=datetime.UTC).timestamp() * 1000)
    return 0


def managed_redis_names() -> set[str]:
    """Every database either stack manages (an account may hold both stacks' databases)."""
    names = set()
    for stack in STACKS:
        config = offline_stack_config(stack)
        names |= {database_name(config.cache, config.environment, purpose) for purpose in ("cache", "ratelimit")}
    return names


def refresh_blind(
    stack: str, outputs: Mapping[str, Any], since_ms: int, environ: Mapping[str, str]
) -> tuple[list[Drift], list[str]]:
    """The drift refresh cannot see, and the vendors not checked for want of credentials."""
    config = offline_stack_config(stack)
    found: list[Drift] = []
    not_checked: list[str] = []
    token = environ.get("VERCEL_API_TOKEN", "")
    if token:
        with VercelApi(token, config.hosting.vercel.team_id, environ.get("VERCEL_API_URL", VERCEL_API)) as api:
            live = api.variables(str(outputs["vercelProjectId"]))
        found += vercel_variable_drift(
            live,
            declared_targets(config.environment, config.hosting.aws_access, config.hosting.preview_stack is not None),
            since_ms,
        )
    else:
        not_checked.append("Vercel variables (VERCEL_API_TOKEN)")
    token = environ.get("SUPABASE_ACCESS_TOKEN", "")
    if token:
        ref = config.supabase.project_ref
        with ManagementApi(token, environ.get("SUPABASE_API_URL", SUPABASE_API)) as api:
            keys = api.api_keys(ref)
        managed = set(managed_key_names(config.supabase.key_generations).values())
        found += [
            Drift(f"Supabase API key {key.get('name')} ({key.get('type')})", "managed by no stack", security=True)
            for key in keys
            if key.get("type") in ("publishable", "secret") and key.get("name") not in managed
        ]
    else:
        not_checked.append("Supabase API keys (SUPABASE_ACCESS_TOKEN)")
    email, key = environ.get("UPSTASH_EMAIL", ""), environ.get("UPSTASH_API_KEY", "")
    if email and key:
        with UpstashApi(email, key, environ.get("UPSTASH_API_URL", UPSTASH_API)) as api:
            found += unmanaged_redis(api.databases(), managed_redis_names())
    else:
        not_checked.append("Upstash databases (UPSTASH_EMAIL, UPSTASH_API_KEY)")
    return found, not_checked


def check(stack: str, environ: Mapping[str, str]) -> dict[str, Any]:
    preview = ("preview", "--refresh", "--expect-no-changes", "--json", "--stack", stack)
    digest = pulumi(*preview, changes_exit_non_zero=True)
    found = classify_preview(digest, load_noise())
    history = pulumi("stack", "history", "--json", "--page-size", "20", "--stack", stack)
    outputs = pulumi("stack", "output", "--json", "--show-secrets", "--stack", stack)
    try:
        blind, not_checked = refresh_blind(stack, outputs, last_deploy_ms(history), environ)
    except ApiError as error:
        raise CannotCheckError(str(error)) from None
    return {
        "stack": stack,
        "drift": [asdict(d) for d in found + blind],
        "notChecked": not_checked,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.drift.check", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=STACKS, required=True)
    parser.add_argument("--json", type=Path, help="also write the report (the drift workflow's issue reads it)")
    args = parser.parse_args(argv)
    try:
        report = check(args.stack, os.environ)
    except CannotCheckError as error:
        print(f"cannot check {args.stack}: {error}", file=sys.stderr)
        return 2
    for entry in report["drift"]:
        print(f"drift: {Drift(**entry).line()}")
    for vendor in report["notChecked"]:
        print(f"not checked: {vendor}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if report["drift"]:
        return 1
    if report["notChecked"]:
        # "Clean" is said only when every check ran.
        print(f"incomplete: no drift in what was checked, but {args.stack} was not checked whole")
        return 3
    print(f"clean: {args.stack} matches the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
