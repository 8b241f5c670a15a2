"""The migration runner on a real PostgreSQL 15, as strict as Supabase: order, history shared with
the Supabase CLI, drift, names, a failing file, and baselining.

Expected versions come from the files themselves, and files the tests write are numbered after
the newest real one, so adding a migration keeps this suite green.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from db_migrations import MigrationError, Runner, discover
from tests.db_migrations.support import (
    ALL_VERSIONS,
    REAL,
    history,
    later,
    table_exists,
    write,
)

pytestmark = pytest.mark.sql


# --- history shared with the Supabase CLI ------------------------------------------------------


def test_applies_every_file_in_order_and_records_the_clis_history(unmigrated_db: str) -> None:
    assert Runner(unmigrated_db).migrate() == ALL_VERSIONS
    rows = history(unmigrated_db)
    assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in REAL]
    for row, migration in zip(rows, REAL, strict=True):
        # The CLI's split: comments kept, so `supabase db push` sees the same rows it writes.
        assert row[2] == migration.history_statements
        assert any(statement.startswith("--") for statement in migration.history_statements)
        assert row[3] == migration.checksum
        assert row[4] is False


def test_a_second_run_applies_nothing(unmigrated_db: str) -> None:
    runner = Runner(unmigrated_db)
    runner.migrate()
    before = history(unmigrated_db)
    assert runner.migrate() == []
    assert history(unmigrated_db) == before
    assert {s.state for s in runner.status()} == {"applied"}


def test_a_new_file_is_applied_alone(unmigrated_db: str, migrations_copy: Path) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    write(
        migrations_copy,
        f"{later()}_genres.sql",
        "create table public.test_genres (id bigint primary key);\n"
        "alter table public.test_genres enable row level security;\n",
    )
    assert Runner(unmigrated_db, migrations_copy).migrate() == [later()]
    assert table_exists(unmigrated_db, "public.test_genres")


def test_the_clis_older_one_column_history_is_upgraded_and_read_without_error(unmigrated_db: str) -> None:
    apply_by_hand(unmigrated_db)
    with psycopg.connect(unmigrated_db, autocommit=True) as connection:
        connection.execute("create schema supabase_migrations")
        connection.execute("create table supabase_migrations.schema_migrations (version text not null primary key)")
        for version in ALL_VERSIONS:
            connection.execute("insert into supabase_migrations.schema_migrations values (%s)", (version,))
    runner = Runner(unmigrated_db)
    assert [(s.version, s.state) for s in runner.status()] == [(v, "applied") for v in ALL_VERSIONS]
    assert runner.migrate() == []
    columns = [row[0] for row in history(unmigrated_db)]
    assert columns == ALL_VERSIONS


def test_rows_written_by_the_earlier_runner_are_recognised_and_its_foreign_key_dropped(unmigrated_db: str) -> None:
    """Before it shared the CLI's split the runner stored comment-free statements, a checksum
    per file, and a foreign key that made `supabase migration repair` fail."""
    apply_by_hand(unmigrated_db)
    with psycopg.connect(unmigrated_db, autocommit=True) as connection:
        connection.execute("create schema supabase_migrations")
        connection.execute(
            "create table supabase_migrations.schema_migrations (version text not null primary key, "
            "statements text[], name text)"
        )
        connection.execute(
            "create table supabase_migrations.newcool_checksums (version text primary key references "
            "supabase_migrations.schema_migrations (version) on delete cascade, checksum text not null, "
            "baselined boolean not null default false, applied_at timestamptz not null default now(), "
            "applied_by text not null default current_user)"
        )
        for migration in REAL:
            connection.execute(
                "insert into supabase_migrations.schema_migrations values (%s, %s, %s)",
                (migration.version, ["comment-free split"], migration.name),
            )
            connection.execute(
                "insert into supabase_migrations.newcool_checksums (version, checksum) values (%s, %s)",
                (migration.version, migration.checksum),
            )
    assert {s.state for s in Runner(unmigrated_db).status()} == {"applied"}
    with psycopg.connect(unmigrated_db) as connection:
        row = connection.execute(
            "select count(*) from pg_constraint where conrelid = 'supabase_migrations.newcool_checksums'::regclass "
            "and contype = 'f'"
        ).fetchone()
    assert row == (0,)


# --- drift and order ---------------------------------------------------------------------------


def test_a_changed_applied_file_is_refused_by_name(unmigrated_db: str, migrations_copy: Path) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    edited = migrations_copy / REAL[1].file_name
    edited.write_text(edited.read_text() + "\n-- a late edit\n")
    write(migrations_copy, f"{later()}_genres.sql", "create table public.test_genres (id bigint primary key);\n")
    with pytest.raises(MigrationError, match=rf"^{REAL[1].file_name} was changed after it was applied"):
        Runner(unmigrated_db, migrations_copy).migrate()
    assert not table_exists(unmigrated_db, "public.test_genres"), "nothing runs once drift is found"
    states = {s.version: s.state for s in Runner(unmigrated_db, migrations_copy).status()}
    assert states[REAL[1].version] == "changed" and states[later()] == "pending"


def test_an_applied_version_without_its_file_is_refused(unmigrated_db: str, migrations_copy: Path) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    (migrations_copy / REAL[-1].file_name).unlink()
    with pytest.raises(
        MigrationError, match=f"the database has migration {REAL[-1].version} but supabase/migrations/ has no file"
    ):
        Runner(unmigrated_db, migrations_copy).migrate()


def test_a_pending_file_older_than_the_newest_applied_is_refused_unless_asked(
    unmigrated_db: str, migrations_copy: Path
) -> None:
    write(migrations_copy, f"{later(2)}_later.sql", "create table public.later_t (id int primary key);\n")
    Runner(unmigrated_db, migrations_copy).migrate()
    late = write(migrations_copy, f"{later(1)}_late.sql", "create table public.late_t (id int primary key);\n")
    with pytest.raises(MigrationError) as error:
        Runner(unmigrated_db, migrations_copy).migrate()
    assert str(error.value).startswith(f"{late.name} is older than the newest applied migration")
    assert "--include-all" in str(error.value)
    assert not table_exists(unmigrated_db, "public.late_t")
    states = {s.version: s.state for s in Runner(unmigrated_db, migrations_copy).status()}
    assert states[later(1)] == "out-of-order"
    assert Runner(unmigrated_db, migrations_copy, include_all=True).migrate() == [later(1)]
    assert table_exists(unmigrated_db, "public.late_t")


# --- names -------------------------------------------------------------------------------------


def test_names_made_by_supabase_migration_new_are_accepted(tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    write(directory, "20261126093000_add-genres.sql", "select 1;\n")
    write(directory, "20261126094500_Add_Artists.sql", "select 2;\n")
    write(directory, "README.md", "not a migration\n")
    found = [(m.version, m.name) for m in discover(directory)]
    assert found == [("20261126093000", "add-genres"), ("20261126094500", "Add_Artists")]


@pytest.mark.parametrize("name", ["5-genres.sql", "genres.sql", "_genres.sql"])
def test_sql_files_the_cli_would_skip_are_refused(migrations_copy: Path, name: str) -> None:
    write(migrations_copy, name, "select 1;\n")
    with pytest.raises(MigrationError, match=rf"^{name}: migration files are named <digits>_<name>.sql"):
        discover(migrations_copy)


# --- a failing file ----------------------------------------------------------------------------


def test_a_failing_file_rolls_back_whole_names_file_and_line_and_records_nothing(
    unmigrated_db: str, migrations_copy: Path
) -> None:
    broken = write(
        migrations_copy,
        f"{later()}_broken.sql",
        "-- adds genres, then fails\n"
        "create table public.test_genres (id bigint primary key);\n"
        "\n"
        "insert into public.test_genres (id)\n"
        "  values ('not a number');\n",
    )
    with pytest.raises(MigrationError) as error:
        Runner(unmigrated_db, migrations_copy).migrate()
    message = str(error.value)
    assert message.startswith(f"{broken.name}:5: invalid input syntax for type bigint"), message
    assert "nothing recorded" in message
    assert not table_exists(unmigrated_db, "public.test_genres")
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS
    assert table_exists(unmigrated_db, "public.sessions"), "earlier files stay applied"


def test_a_syntax_error_is_reported_before_anything_runs(unmigrated_db: str, migrations_copy: Path) -> None:
    sql = "create table public.test_genres (id bigint primary key);\n\ncreat index x;\n"
    typo = write(migrations_copy, f"{later()}_typo.sql", sql)
    with pytest.raises(MigrationError, match=rf'^{typo.name}:3: syntax error at or near "creat"'):
        Runner(unmigrated_db, migrations_copy).migrate()
    assert not table_exists(unmigrated_db, "public.profiles")


@pytest.mark.parametrize(
    ("sql", "line", "keyword"),
    [
        ("begin;\ncreate table public.test_t (id int primary key);\ncommit;\n", 1, "BEGIN"),
        # Committed half-way: the statements before it would stay, the rest fail.
        ("create table public.test_t (id int primary key);\ncommit;\nselect 1/0;\n", 2, "COMMIT"),
        ("create table public.test_t (id int primary key);\n-- undo\nsavepoint s;\nrollback to s;\n", 3, "SAVEPOINT"),
    ],
)
def test_transaction_control_is_refused_before_anything_runs(
    unmigrated_db: str, migrations_copy: Path, sql: str, line: int, keyword: str
) -> None:
    path = write(migrations_copy, f"{later()}_tx.sql", sql)
    with pytest.raises(MigrationError) as error:
        Runner(unmigrated_db, migrations_copy).migrate()
    assert str(error.value).startswith(f"{path.name}:{line}: transaction control ({keyword}) is not allowed")
    assert not table_exists(unmigrated_db, "public.profiles"), "refused before the first file ran"


# --- baseline ----------------------------------------------------------------------------------


def apply_by_hand(url: str) -> None:
    """What was done to prod: the files run in the SQL editor, no history written."""
    with psycopg.connect(url, autocommit=True) as connection:
        for migration in REAL:
            connection.execute(migration.sql.encode())


def test_baseline_records_hand_applied_files_without_running_them(unmigrated_db: str) -> None:
    apply_by_hand(unmigrated_db)
    runner = Runner(unmigrated_db)
    assert runner.baseline() == ALL_VERSIONS
    assert [row[4] for row in history(unmigrated_db)] == [True] * len(ALL_VERSIONS)
    assert [row[2] for row in history(unmigrated_db)] == [m.history_statements for m in REAL]
    assert {s.state for s in runner.status()} == {"baselined"}
    assert runner.migrate() == []


def test_baseline_refuses_when_objects_are_missing_and_records_nothing(unmigrated_db: str) -> None:
    with psycopg.connect(unmigrated_db, autocommit=True) as connection:
        connection.execute(REAL[0].sql.encode())  # only the first file was applied by hand
    with pytest.raises(MigrationError) as error:
        Runner(unmigrated_db).baseline()
    message = str(error.value)
    assert f"{REAL[1].file_name}: table public.user_modules" in message
    assert "004_sessions.sql: policy 'sessions: owner reads own sessions' on public.sessions" in message
    assert f"{REAL[0].file_name}:" not in message
    assert history(unmigrated_db) == []


def test_baseline_up_to_a_version_then_migrate_the_rest(unmigrated_db: str) -> None:
    with psycopg.connect(unmigrated_db, autocommit=True) as connection:
        for migration in REAL[:2]:
            connection.execute(migration.sql.encode())
    runner = Runner(unmigrated_db)
    assert runner.baseline(up_to=ALL_VERSIONS[1]) == ALL_VERSIONS[:2]
    assert runner.migrate() == ALL_VERSIONS[2:]
    assert [row[4] for row in history(unmigrated_db)] == [True, True] + [False] * len(ALL_VERSIONS[2:])
