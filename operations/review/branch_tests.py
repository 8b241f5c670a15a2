"""The pgTAP suite (supabase/tests) against a review branch: a required check of the pull request.

``python -m operations.review.branch_tests`` reads the branch's database URL from
``BRANCH_DATABASE_URL`` (the stack's secret output, never printed), makes sure pgTAP is there,
and runs every file with the reviewers' seed set aside inside the file's own transaction (the
suite counts whole tables). Prints one summary line; exit 0 passed, 1 failed, 2 cannot run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from db_migrations import MigrationError
from db_migrations.connection import connect
from db_migrations.seed import SEED_ROWS
from localdb import pgtap


def main(environ: Mapping[str, str] = os.environ) -> int:
    url = environ.get("BRANCH_DATABASE_URL", "")
    if not url:
        print("cannot test the branch: BRANCH_DATABASE_URL not set", file=sys.stderr)
        return 2
    try:
        with connect(url) as connection:
            connection.execute("create extension if not exists pgtap with schema extensions")
    except MigrationError as error:
        print(f"cannot test the branch: {error}", file=sys.stderr)
        return 2
    try:
        result = pgtap.pg_prove_url(url, set_aside=SEED_ROWS)
    except pgtap.PgProveError as error:
        print(f"cannot test the branch: {error}", file=sys.stderr)
        return 2
    failed = [description for passed, description in result.assertions if not passed]
    print(f"pgTAP on the branch: {len(result.assertions) - len(failed)} of {len(result.assertions)} passed")
    for description in failed:
        print(f"not ok: {description}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
