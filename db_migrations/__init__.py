"""Supabase migrations (``supabase/migrations``), applied with psycopg or ``supabase db push`` alike."""

from db_migrations.errors import MigrationError
from db_migrations.files import MIGRATIONS_DIR, Migration, Statement, discover
from db_migrations.runner import MigrationStatus, Runner

__all__ = ["MIGRATIONS_DIR", "Migration", "MigrationError", "MigrationStatus", "Runner", "Statement", "discover"]
