"""`make review-sweep [APPLY=1]`: removes review environments whose pull request is closed, or
that saw no activity for ``reviewEnvironmentTtlHours``; a dry run unless ``--apply``.

It lists only what is named ``pr-<N>`` (operations/review/inventory.py) and judges each pull
request's environment as a whole: its newest sign of life (the pull request's last update, the
stack's last ``up``, the newest thing created for it) decides, never one item's own age, so an
open pull request older than the TTL but still pushed to keeps everything. A removed
environment goes through its stack first (a ``pulumi destroy`` removes its resources cleanly),
then whatever is left at the vendors is removed item by item (already gone is fine); when the
stack cannot be removed, its pieces wait for the next sweep. The open
pull requests come from ``gh pr list`` (or ``--open-prs FILE``, a JSON list of numbers or of
``{"number", "updatedAt"}``). Without credentials: one line, ``cannot sweep: …``, exit 2.

Exit codes: 0 swept (or nothing to), 1 a removal failed, 2 cannot sweep.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from clients.http import ApiError
from operations.review.inventory import (
    Accounts,
    InventoryError,
    Leftover,
    missing_credentials,
    parsed_time,
    pulumi_stacks,
)
from stack_config import ConfigError
from stack_config.review import offline_review_config

TEMPLATE_STACK = "pr-1"  # any review stack reads the template's parent, project and TTL


# An open pull request's number, and when it was last updated (None: not known).
OpenPullRequests = dict[int, datetime.datetime | None]


def parse_open_pull_requests(listed: list[Any]) -> OpenPullRequests:
    found: OpenPullRequests = {}
    for pr in listed:
        if isinstance(pr, dict):
            found[int(pr["number"])] = parsed_time(pr.get("updatedAt"))
        else:
            found[int(pr)] = None
    return found


def open_pull_requests() -> OpenPullRequests:
    done = subprocess.run(
        ["gh", "pr", "list", "--state", "open", "--limit", "1000", "--json", "number,updatedAt"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise InventoryError("gh pr list failed (GH_TOKEN set?)")
    return parse_open_pull_requests(json.loads(done.stdout))


def why_remove(
    environment: Sequence[Leftover], open_prs: OpenPullRequests, ttl_hours: int, now: datetime.datetime
) -> str | None:
    """Why one pull request's whole environment goes, or None while it lives."""
    number = environment[0].number
    if number not in open_prs:
        return "pull request closed"
    signs = [item.created for item in environment] + [open_prs[number]]
    newest = max((when for when in signs if when is not None), default=None)
    if newest is not None and now - newest > datetime.timedelta(hours=ttl_hours):
        return f"no activity for {ttl_hours} h"
    return None


def _remove(item: Leftover, reason: str) -> tuple[str, bool]:
    try:
        item.remove()
    except ApiError as error:
        if error.status == 404:  # its stack's destroy, or someone by hand, took it already
            return f"already gone: {item.describe()}", True
        return f"could not remove {item.describe()}: {error}", False
    except InventoryError as error:
        return f"could not remove {item.describe()}: {error}", False
    return f"removed {item.describe()}: {reason}", True


def sweep(
    items: Sequence[Leftover], open_prs: OpenPullRequests, ttl_hours: int, now: datetime.datetime, apply: bool
) -> tuple[list[str], int]:
    """What is (or would be) removed, one line each, and how many removals failed."""
    lines, failed = [], 0
    environments: dict[int, list[Leftover]] = {}
    for item in items:
        environments.setdefault(item.number, []).append(item)
    for number in sorted(environments):
        # Its stack first: the destroy takes the rest with it; then what it did not know of.
        environment = sorted(environments[number], key=lambda i: i.kind != "stack")
        reason = why_remove(environment, open_prs, ttl_hours, now)
        if reason is None:
            continue
        for item in environment:
            if not apply:
                lines.append(f"would remove {item.describe()}: {reason}")
                continue
            line, removed = _remove(item, reason)
            lines.append(line)
            failed += not removed
            if item.kind == "stack" and not removed:
                # Its stack is busy (an `up` holds the lock) or refused: removing its pieces one
                # by one would pull them from under that run. The next sweep tries again.
                lines.append(f"left pr-{number}'s other pieces for the next sweep")
                break
    return lines, failed


def main(
    argv: list[str] | None = None,
    environ: Mapping[str, str] = os.environ,
    now: datetime.datetime | None = None,
    stacks: Callable[[], list[Leftover]] = pulumi_stacks,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--apply", action="store_true", help="remove; without it, only say what would go")
    parser.add_argument("--open-prs", type=Path, help="a JSON list of the open pull requests' numbers")
    parser.add_argument("--left-of", type=int, help="only list what pull request N left (exit 1 if anything)")
    args = parser.parse_args(argv)
    missing = missing_credentials(environ)
    if missing:
        print(f"cannot sweep: {', '.join(missing)} not set (docs/runbooks/review-environments.md)", file=sys.stderr)
        return 2
    try:
        config = offline_review_config(TEMPLATE_STACK)
        items = [*stacks(), *Accounts(config, environ).everything()]
        if args.left_of is not None:
            left = [item for item in items if item.number == args.left_of]
            for item in left:
                print(f"left behind: {item.describe()}")
            print(f"pr-{args.left_of}: {len(left)} thing(s) left")
            return 1 if left else 0
        open_prs = (
            parse_open_pull_requests(json.loads(args.open_prs.read_text())) if args.open_prs else open_pull_requests()
        )
    except (ConfigError, InventoryError, ApiError, OSError, ValueError) as error:
        print(f"cannot sweep: {error}", file=sys.stderr)
        return 2
    lines, failed = sweep(items, open_prs, config.ttl_hours, now or datetime.datetime.now(datetime.UTC), args.apply)
    for line in lines or ["nothing to sweep"]:
        print(line)
    if lines and not args.apply:
        print("dry run: APPLY=1 removes these")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
