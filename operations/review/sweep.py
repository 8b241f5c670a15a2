"""`make review-sweep [APPLY=1]`: removes review environments whose pull request is closed, or
older than ``reviewEnvironmentTtlHours``; a dry run unless ``--apply``.

It lists only what is named ``pr-<N>`` (operations/review/inventory.py). Stacks go first (a
``pulumi destroy`` removes their resources cleanly); whatever is left at the vendors is removed
directly. The open pull requests come from ``gh pr list`` (or ``--open-prs FILE``, a JSON list
of numbers). Without credentials: one line, ``cannot sweep: …``, exit 2.

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

from clients.http import ApiError
from operations.review.inventory import Accounts, InventoryError, Leftover, missing_credentials, pulumi_stacks
from stack_config import ConfigError
from stack_config.review import offline_review_config

TEMPLATE_STACK = "pr-1"  # any review stack reads the template's parent, project and TTL


def open_pull_requests() -> set[int]:
    done = subprocess.run(
        ["gh", "pr", "list", "--state", "open", "--limit", "1000", "--json", "number"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise InventoryError("gh pr list failed (GH_TOKEN set?)")
    return {int(pr["number"]) for pr in json.loads(done.stdout)}


def why_remove(item: Leftover, open_prs: set[int], ttl_hours: int, now: datetime.datetime) -> str | None:
    if item.number not in open_prs:
        return "pull request closed"
    if item.created is not None and now - item.created > datetime.timedelta(hours=ttl_hours):
        return f"older than {ttl_hours} h"
    return None


def sweep(
    items: Sequence[Leftover], open_prs: set[int], ttl_hours: int, now: datetime.datetime, apply: bool
) -> tuple[list[str], int]:
    """What is (or would be) removed, one line each, and how many removals failed."""
    lines, failed = [], 0
    # Stacks first: their destroy takes the rest with it; a second pass finds nothing left.
    for item in sorted(items, key=lambda i: (i.kind != "stack", i.number)):
        reason = why_remove(item, open_prs, ttl_hours, now)
        if reason is None:
            continue
        if not apply:
            lines.append(f"would remove {item.describe()}: {reason}")
            continue
        try:
            item.remove()
            lines.append(f"removed {item.describe()}: {reason}")
        except (ApiError, InventoryError) as error:
            failed += 1
            lines.append(f"could not remove {item.describe()}: {error}")
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
        open_prs = {int(n) for n in json.loads(args.open_prs.read_text())} if args.open_prs else open_pull_requests()
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
