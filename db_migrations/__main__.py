"""``python -m db_migrations migrate|status|baseline`` with ``DATABASE_URL`` set (see the Makefile).

Every failure is one line on stderr and a non-zero exit: 1 when the database refused or could
not be reached, 2 for a usage error. The URL's password is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from db_migrations.errors import MigrationError
from db_migrations.files import MIGRATIONS_DIR
from db_migrations.history import DEFAULT_LOCK_TIMEOUT
from db_migrations.runner import Runner


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db_migrations", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["migrate", "status", "baseline"])
    parser.add_argument("--up-to", help="baseline: only files up to and including this version")
    parser.add_argument("--directory", type=Path, default=MIGRATIONS_DIR)
    parser.add_argument(
        "--include-all",
        action="store_true",
        help="also apply pending files older than the newest applied one (as `supabase db push --include-all`)",
    )
    parser.add_argument(
        "--lock-timeout",
        default=DEFAULT_LOCK_TIMEOUT,
        help=f"how long a statement waits for a table lock before the file fails (default {DEFAULT_LOCK_TIMEOUT})",
    )
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print("error: set DATABASE_URL (for example DATABASE_URL=postgresql://... make migrate)", file=sys.stderr)
        return 2
    runner = Runner(database_url, args.directory, include_all=args.include_all, lock_timeout=args.lock_timeout)
    try:
        if args.command == "migrate":
            applied = runner.migrate()
            print(f"applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
        elif args.command == "baseline":
            recorded = runner.baseline(args.up_to)
            print(f"baselined {len(recorded)} migration(s){': ' + ', '.join(recorded) if recorded else ''}")
        else:
            for status in runner.status():
                print(f"{status.version}  {status.state:<12}  {status.name}")
    except MigrationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
