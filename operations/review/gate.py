"""The cap: at most ``maxReviewEnvironments`` review environments live at once.

``python -m operations.review.gate --pr N`` counts the live ones (the parent's branches named
``pr-<M>``) and exits 0 when pull request N may have one (it has one already, or there is room),
3 with one line when it may not: the review workflow comments that line and creates nothing.
Exit 2: cannot check (credentials, config), one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from clients.http import ApiError
from operations.review.inventory import Accounts, InventoryError
from stack_config import ConfigError
from stack_config.review import offline_review_config

REFUSED = 3


def verdict(number: int, live: set[int], cap: int) -> str | None:
    """None when pull request ``number`` may have an environment; else the one line saying why not."""
    if number in live or len(live) < cap:
        return None
    listed = ", ".join(f"pr-{n}" for n in sorted(live))
    return (
        f"pr-{number} gets no review environment: {len(live)} of maxReviewEnvironments {cap} are live ({listed}); "
        "it is created on the next push once one closes"
    )


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pr", type=int, required=True)
    args = parser.parse_args(argv)
    if not environ.get("SUPABASE_ACCESS_TOKEN"):
        print("cannot check the cap: SUPABASE_ACCESS_TOKEN not set", file=sys.stderr)
        return 2
    try:
        config = offline_review_config(f"pr-{args.pr}")
        live = {branch.number for branch in Accounts(config, environ).branches()}
    except (ConfigError, InventoryError, ApiError) as error:
        print(f"cannot check the cap: {error}", file=sys.stderr)
        return 2
    refusal = verdict(args.pr, live, config.max_environments)
    if refusal is not None:
        print(refusal)
        return REFUSED
    print(f"pr-{args.pr} may have a review environment ({len(live)} of {config.max_environments} live)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
