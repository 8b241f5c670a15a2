"""The schema grows by one correct migration a month: adding one must need no edit to any test.

A copy of the repository (the files git would commit) gets a new migration, named as `supabase migration
new` names it, making a table the way the existing ones are made (row level security, owner
policies through ``(select auth.uid())``, the foreign key indexed, grants revoked then given);
then the tests that depend on the schema run on the copy and must pass there.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.sql, pytest.mark.xdist_group("new-migration")]

NEW_TABLE = "playlists"
NEW_MIGRATION = """\
-- A user's playlists, made as every table of the schema is made.

-- Each file runs in one transaction (the runner's, or `supabase db push`'s): fail fast on a
-- lock instead of queueing every client behind it.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.playlists (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  title text not null check (char_length(title) between 1 and 120),
  created_at timestamptz not null default now()
);

comment on table public.playlists is 'A user''s playlists. RLS: owner reads and writes own rows.';

-- Every policy filters on user_id, and it is a foreign key. The table is created above in this
-- same transaction and is empty: CONCURRENTLY (which cannot run in a transaction) would buy nothing.
-- squawk-ignore require-concurrent-index-creation
create index playlists_user_id_idx on public.playlists (user_id);

alter table public.playlists enable row level security;

revoke all on table public.playlists from anon, authenticated;
grant select, insert, update, delete on table public.playlists to authenticated;
grant all on table public.playlists to service_role;

create policy "playlists: owner reads own rows"
  on public.playlists for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "playlists: owner adds own rows"
  on public.playlists for insert to authenticated
  with check ((select auth.uid()) = user_id);

create policy "playlists: owner edits own rows"
  on public.playlists for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);

create policy "playlists: owner deletes own rows"
  on public.playlists for delete to authenticated
  using ((select auth.uid()) = user_id);
"""

# The tests that read the schema: backup and restore drill, db-drift and pgTAP (RLS, grants, the
# access tests) whole, so a test added there later runs here too; the access matrix, and the
# real Supabase CLI (db push, its linter) from files mostly about other things.
SCHEMA_TESTS = [
    "tests/operations/backups/test_backup.py",
    "tests/operations/drift/test_db_drift.py",
    "tests/supabase/test_pgtap.py",
    "tests/tools/test_docs.py::test_the_access_matrix_is_what_the_pgtap_tests_prove_now",
    "tests/db_migrations/test_supabase_cli.py::test_supabases_database_linter_finds_nothing_to_warn_about",
    "tests/db_migrations/test_supabase_cli.py::test_after_db_push_the_runner_sees_every_migration_applied_and_stored_as_it_stores_them",
]


def repository_copy(destination: Path) -> Path:
    """The repository's files as they are in the working tree (tracked, or new and not ignored),
    and the installed node_modules (the Supabase CLI)."""
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(listing, cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if (ROOT / "node_modules").exists():
        (destination / "node_modules").symlink_to((ROOT / "node_modules").resolve())
    return destination


def test_a_correct_new_migration_passes_every_schema_dependent_test(tmp_path: Path) -> None:
    copy = repository_copy(tmp_path / "repo")
    # `supabase migration new playlists`: a 14-digit UTC timestamp, then the name.
    version = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    migrations = copy / "supabase" / "migrations"
    # A table no migration makes yet (this one may already have been added for real).
    made = " ".join(path.read_text() for path in migrations.glob("*.sql"))
    table = next(name for name in (NEW_TABLE, f"{NEW_TABLE}_{version}") if f"public.{name} " not in made)
    migration = migrations / f"{version}_{table}.sql"
    migration.write_text(NEW_MIGRATION.replace(NEW_TABLE, table))

    # make test's migration lint (squawk) accepts it as written.
    squawk = Path(sys.executable).parent / "squawk"
    linted = subprocess.run(
        [str(squawk), "--assume-in-transaction", "--pg-version", "15.0", str(migration)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr

    # The copy's tests see the new file (the runner's discovery, as every test reaches it).
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    discovered = subprocess.run(
        [sys.executable, "-c", "from db_migrations.files import discover; print(discover()[-1].version)"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert discovered.stdout.strip() == version, discovered.stderr

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-n", "0", *SCHEMA_TESTS],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    summary = run.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary
