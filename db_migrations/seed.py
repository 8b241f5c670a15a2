"""The reviewers' seed (``supabase/seed.sql``): loaded into a review branch after the migrations.

It runs in one transaction, so a failure leaves nothing half-loaded; the file itself is written
to converge (``on conflict … do update``), so loading it again changes nothing. Errors are one
line naming the file, never a password.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg

from db_migrations.connection import connect, describe, scrub
from db_migrations.errors import MigrationError
from db_migrations.files import MIGRATIONS_DIR

SEED_FILE = MIGRATIONS_DIR.parent / "seed.sql"
# The seed's rows, set aside (inside a test's own transaction) where a test counts whole tables.
SEED_ROWS = "delete from public.modules where slug like 'demo-%'"


def seed_checksum(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


def load_seed(database_url: str, sql: str, name: str = "supabase/seed.sql") -> None:
    with connect(database_url) as connection:
        try:
            with connection.transaction():
                connection.execute(sql.encode())
        except psycopg.Error as error:
            reason = scrub(error.diag.message_primary or str(error), database_url) or type(error).__name__
            raise MigrationError(f"{name}: {reason} (on {describe(database_url)})") from None


def seed_text(path: Path = SEED_FILE) -> str:
    return path.read_text()
