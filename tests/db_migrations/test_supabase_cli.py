"""The real Supabase CLI (npm `supabase`, its Linux binary, offline with a database URL) and this
repository's runner, on one database: each sees the other's history as its own.

Also Supabase's own database linter (`supabase db advisors`, the dashboard's Security and
Performance Advisors) over the migrated schema, failing on any warning.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from db_migrations import MIGRATIONS_DIR, Runner, discover
from localdb.cluster import PostgresCluster
from tests.conftest import ROOT

pytestmark = pytest.mark.sql
# The npm package `supabase` installs this platform package and runs its binary.
CLI = ROOT / "node_modules" / "@supabase" / "cli-linux-x64" / "bin" / "supabase"
REAL = discover()
ALL_VERSIONS = [m.version for m in REAL]

if not CLI.exists():
    # A skip fails the run unless tests/skips-allowed.txt lists it (tests/conftest.py).
    pytest.skip(
        f"the Supabase CLI is not installed at {CLI.relative_to(ROOT)} (`make test` installs it with npm ci)",
        allow_module_level=True,
    )


_names = itertools.count()


@dataclass(frozen=True)
class Pair:
    """Two fresh Supabase-like databases: one for the runner, one for the CLI."""

    runner: str
    cli: str


@pytest.fixture
def cluster_dbs(cluster: PostgresCluster) -> Pair:
    number = next(_names)
    return Pair(
        runner=cluster.supabase_database(f"pair_runner_{number}", migrate=False),
        cli=cluster.supabase_database(f"pair_cli_{number}", migrate=False),
    )


def supabase(*args: str, url: str, workdir: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args, f"--remote={url}", "--workdir", str(workdir), "--yes"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"},
    )


def listed(url: str, workdir: Path = ROOT) -> list[tuple[str, str]]:
    """(local, remote) per row of `supabase migration list`."""
    result = supabase("migration", "list", url=url, workdir=workdir)
    assert result.returncode == 0, result.stderr
    rows = []
    for line in result.stdout.splitlines():
        cells = [cell.strip().strip("`").strip() for cell in line.split("|")]
        if len(cells) == 3 and cells[0] != "Local" and not set(cells[0]) <= {"-"}:
            rows.append((cells[0], cells[1]))
    return rows


def project_copy(tmp_path: Path) -> Path:
    """A project folder the CLI can work in: the real migrations and the committed config.toml
    (which decides, among others, whether and how the CLI records its history)."""
    shutil.copytree(MIGRATIONS_DIR, tmp_path / "supabase" / "migrations")
    shutil.copy2(ROOT / "supabase" / "config.toml", tmp_path / "supabase" / "config.toml")
    return tmp_path


def stored_statements(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("select version, statements from supabase_migrations.schema_migrations").fetchall()
    return {str(version): list(statements) for version, statements in rows}


def test_after_the_runner_the_cli_sees_every_migration_applied_and_nothing_to_push(unmigrated_db: str) -> None:
    Runner(unmigrated_db).migrate()
    assert listed(unmigrated_db) == [(v, v) for v in ALL_VERSIONS]
    dry_run = supabase("db", "push", "--dry-run", url=unmigrated_db)
    assert dry_run.returncode == 0, dry_run.stderr
    assert "Remote database is up to date" in dry_run.stdout + dry_run.stderr
    assert "Would push" not in dry_run.stdout + dry_run.stderr


def test_repair_works_on_a_database_the_runner_manages(unmigrated_db: str) -> None:
    runner = Runner(unmigrated_db)
    runner.migrate()
    newest = ALL_VERSIONS[-1]
    reverted = supabase("migration", "repair", "--status", "reverted", newest, url=unmigrated_db)
    assert reverted.returncode == 0, reverted.stderr
    assert {s.version: s.state for s in runner.status()}[newest] == "pending"
    applied = supabase("migration", "repair", "--status", "applied", newest, url=unmigrated_db)
    assert applied.returncode == 0, applied.stderr
    assert {s.state for s in runner.status()} == {"applied"}
    # With no versions the CLI truncates the history and rewrites it from the files: nothing of
    # the runner's may stand in its way (no foreign key onto the CLI's table).
    everything = supabase("migration", "repair", "--status", "applied", url=unmigrated_db)
    assert everything.returncode == 0, everything.stderr
    assert [(s.version, s.state) for s in runner.status()] == [(v, "applied") for v in ALL_VERSIONS]
    assert runner.migrate() == []


# Constructs the CLI's splitter treats specially: quotes, dollar quotes, comments holding ';',
# nested block comments, escapes, BEGIN ATOMIC bodies, a trailing comment.
TRICKY_SQL = """-- genres: a table, a function with a body, and odd literals
create table public.test_genres (
  id bigint primary key,
  -- a comment; with a semicolon
  name text not null check (name <> ';')
);
alter table public.test_genres enable row level security;
revoke all on table public.test_genres from anon, authenticated;

/* a block /* nested; */ comment */
create function public.test_genre_count() returns bigint
  language sql stable security invoker set search_path = ''
begin atomic
  select count(*) from public.test_genres;
end;
revoke execute on function public.test_genre_count() from public, anon, authenticated;

create function public.test_genre_label(g public.test_genres) returns text
  language plpgsql immutable set search_path = ''
as $body$
begin
  return g.name || '; ' || E'it''s \\\\';
end;
$body$;
revoke execute on function public.test_genre_label(public.test_genres) from public, anon, authenticated;
insert into public.test_genres values (1, 'it''s; fine'), (2, $$dollar; quoted$$) ;
-- a trailing comment
"""


def test_after_db_push_the_runner_sees_every_migration_applied_and_stored_as_it_stores_them(
    tmp_path: Path, cluster_dbs: Pair
) -> None:
    """The real migrations and one of tricky SQL, pushed by the CLI to one database and applied by
    the runner to another: the runner takes the CLI's history as its own, and both stored the
    same statements (the runner splits files as the CLI does) and built the same thing."""
    project = project_copy(tmp_path)
    migrations = project / "supabase" / "migrations"
    tricky = migrations / f"{int(ALL_VERSIONS[-1]) + 1:0{len(ALL_VERSIONS[-1])}d}_genres.sql"
    tricky.write_text(TRICKY_SQL)
    pushed = supabase("db", "push", url=cluster_dbs.cli, workdir=project)
    assert pushed.returncode == 0, pushed.stderr
    versions = [*ALL_VERSIONS, tricky.name.split("_")[0]]
    after_push = Runner(cluster_dbs.cli, migrations)
    assert [(s.version, s.state) for s in after_push.status()] == [(v, "applied") for v in versions]
    assert after_push.migrate() == []
    assert Runner(cluster_dbs.runner, migrations).migrate() == versions
    assert stored_statements(cluster_dbs.runner) == stored_statements(cluster_dbs.cli)
    assert set(stored_statements(cluster_dbs.cli)) == set(versions)
    # Both applied the same thing.
    with psycopg.connect(cluster_dbs.runner) as runner_db, psycopg.connect(cluster_dbs.cli) as cli_db:
        query = "select id, name, public.test_genre_label(g) from public.test_genres g order by id"
        assert runner_db.execute(query).fetchall() == cli_db.execute(query).fetchall()


def test_supabases_database_linter_finds_nothing_to_warn_about(app_db: str) -> None:
    result = supabase("db", "advisors", "--type", "all", "--fail-on", "warn", url=app_db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No issues found" in result.stdout + result.stderr


def test_supabases_database_linter_fails_the_build_on_a_table_without_rls(unmigrated_db: str) -> None:
    Runner(unmigrated_db).migrate()
    with psycopg.connect(unmigrated_db, autocommit=True) as connection:
        connection.execute("create table public.leaky (id int primary key)")
    result = supabase("db", "advisors", "--type", "all", "--fail-on", "warn", url=unmigrated_db)
    assert result.returncode != 0
    assert re.search(r"rls_disabled_in_public|RLS Disabled in Public", result.stdout + result.stderr)


def test_the_projects_config_toml_is_read_by_the_cli_and_names_the_servers_major_version(
    tmp_path: Path, cluster: PostgresCluster, unmigrated_db: str
) -> None:
    declared = tomllib.loads((ROOT / "supabase" / "config.toml").read_text())["db"]["major_version"]
    with cluster.admin() as admin:
        row = admin.execute("show server_version_num").fetchone()
    assert row is not None and declared == int(str(row[0])) // 10000 == 15
    # The CLI reads this file in every command run from this folder: a wrong value stops it.
    project = tmp_path / "project"
    shutil.copytree(ROOT / "supabase", project / "supabase", ignore=shutil.ignore_patterns(".temp"))
    config = project / "supabase" / "config.toml"
    config.write_text(config.read_text().replace("major_version = 15", "major_version = 11"))
    refused = supabase("migration", "list", url=unmigrated_db, workdir=project)
    assert refused.returncode != 0 and "Invalid db.major_version: 11" in refused.stderr + refused.stdout
    # With the committed file (or its copy, beside more migrations), the CLI runs: every other
    # test here does.
