"""The migration runner on a real PostgreSQL: order, history, locking, drift, rollback, baseline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from components.migrations import MIGRATIONS_DIR, MigrationError, Runner, discover
from tests.conftest import ROOT
from tools.pg_cluster import PostgresCluster

pytestmark = pytest.mark.sql
ALL_VERSIONS = ["001", "002", "003", "004"]


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory


def history(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(
            "select m.version, m.name, m.statements, c.checksum, c.baselined "
            "from supabase_migrations.schema_migrations m "
            "left join supabase_migrations.newcool_checksums c using (version) order by m.version"
        ).fetchall()


def table_exists(url: str, name: str) -> bool:
    with psycopg.connect(url) as connection:
        row = connection.execute("select to_regclass(%s) is not null", (name,)).fetchone()
    return bool(row and row[0])


def test_applies_every_file_in_order_and_records_supabase_history(unmigrated_db: str) -> None:
    assert Runner(unmigrated_db).migrate() == ALL_VERSIONS
    rows = history(unmigrated_db)
    files = discover()
    assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in files]
    for row, migration in zip(rows, files, strict=True):
        assert row[2] == [s.sql for s in migration.statements]
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
    (migrations_copy / "005_genres.sql").write_text(
        "create table public.genres (id bigint primary key);\nalter table public.genres enable row level security;\n"
    )
    assert Runner(unmigrated_db, migrations_copy).migrate() == ["005"]
    assert table_exists(unmigrated_db, "public.genres")


def test_a_changed_applied_file_is_refused_by_name(unmigrated_db: str, migrations_copy: Path) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    edited = migrations_copy / "002_user_modules.sql"
    edited.write_text(edited.read_text() + "\n-- a late edit\n")
    (migrations_copy / "005_genres.sql").write_text("create table public.genres (id bigint primary key);\n")
    with pytest.raises(MigrationError, match=r"^002_user_modules.sql was changed after it was applied"):
        Runner(unmigrated_db, migrations_copy).migrate()
    assert not table_exists(unmigrated_db, "public.genres"), "nothing runs once drift is found"
    states = {s.version: s.state for s in Runner(unmigrated_db, migrations_copy).status()}
    assert states["002"] == "changed" and states["005"] == "pending"


def test_an_applied_version_without_its_file_is_refused(unmigrated_db: str, migrations_copy: Path) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    (migrations_copy / "004_sessions.sql").unlink()
    with pytest.raises(MigrationError, match="the database has migration 004 but migrations/ has no file for it"):
        Runner(unmigrated_db, migrations_copy).migrate()


def test_a_failing_file_rolls_back_whole_names_file_and_line_and_records_nothing(
    unmigrated_db: str, migrations_copy: Path
) -> None:
    (migrations_copy / "005_broken.sql").write_text(
        "-- adds genres, then fails\n"
        "create table public.genres (id bigint primary key);\n"
        "\n"
        "insert into public.genres (id)\n"
        "  values ('not a number');\n"
    )
    with pytest.raises(MigrationError) as error:
        Runner(unmigrated_db, migrations_copy).migrate()
    message = str(error.value)
    assert message.startswith("005_broken.sql:5: invalid input syntax for type bigint"), message
    assert "nothing recorded" in message
    assert not table_exists(unmigrated_db, "public.genres")
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS
    assert table_exists(unmigrated_db, "public.sessions"), "earlier files stay applied"


def test_a_syntax_error_is_reported_before_anything_runs(unmigrated_db: str, migrations_copy: Path) -> None:
    (migrations_copy / "005_typo.sql").write_text(
        "create table public.genres (id bigint primary key);\n\ncreat index x;\n"
    )
    with pytest.raises(MigrationError, match=r'^005_typo.sql:3: syntax error at or near "creat"'):
        Runner(unmigrated_db, migrations_copy).migrate()
    assert not table_exists(unmigrated_db, "public.profiles")


@pytest.mark.parametrize("name", ["5-genres.sql", "005_Genres.sql", "genres.sql"])
def test_misnamed_files_are_refused(migrations_copy: Path, name: str) -> None:
    (migrations_copy / name).write_text("select 1;\n")
    with pytest.raises(MigrationError, match=rf"^{name}: migration files are named <digits>_<name>.sql"):
        discover(migrations_copy)


def test_two_concurrent_runs_serialize(unmigrated_db: str) -> None:
    results: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(Runner(unmigrated_db).migrate())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results, key=len) == [[], ALL_VERSIONS]
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS


def apply_by_hand(url: str) -> None:
    """What was done to prod: the files run in the SQL editor, no history written."""
    with psycopg.connect(url, autocommit=True) as connection:
        for migration in discover():
            connection.execute(migration.sql.encode())


def test_baseline_records_hand_applied_files_without_running_them(unmigrated_db: str) -> None:
    apply_by_hand(unmigrated_db)
    runner = Runner(unmigrated_db)
    assert runner.baseline() == ALL_VERSIONS
    assert [row[4] for row in history(unmigrated_db)] == [True] * 4
    assert {s.state for s in runner.status()} == {"baselined"}
    assert runner.migrate() == []


def test_baseline_refuses_when_objects_are_missing_and_records_nothing(unmigrated_db: str) -> None:
    with psycopg.connect(unmigrated_db, autocommit=True) as connection:
        connection.execute(discover()[0].sql.encode())  # only 001 was applied by hand
    with pytest.raises(MigrationError) as error:
        Runner(unmigrated_db).baseline()
    message = str(error.value)
    assert "002_user_modules.sql: table public.user_modules" in message
    assert "004_sessions.sql: policy 'sessions: owner reads own sessions' on public.sessions" in message
    assert "001_profiles.sql" not in message
    assert history(unmigrated_db) == []


def test_baseline_up_to_a_version_then_migrate_the_rest(unmigrated_db: str) -> None:
    with psycopg.connect(unmigrated_db, autocommit=True) as connection:
        for migration in discover()[:2]:
            connection.execute(migration.sql.encode())
    runner = Runner(unmigrated_db)
    assert runner.baseline(up_to="002") == ["001", "002"]
    assert runner.migrate() == ["003", "004"]
    assert [row[4] for row in history(unmigrated_db)] == [True, True, False, False]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:1/postgres?sslmode=disable",
            "cannot connect to postgres@127.0.0.1:1/postgres",
        ),
        ("not a url at all", "cannot connect to <unparseable database URL>"),
    ],
)
def test_an_unreachable_database_gives_one_clear_error(url: str, expected: str) -> None:
    with pytest.raises(MigrationError) as error:
        Runner(url).migrate()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_bad_credentials_give_one_clear_error_without_the_password(cluster: PostgresCluster) -> None:
    url = f"postgresql://intruder:hunter2@127.0.0.1:{cluster.port}/postgres?sslmode=disable"
    with pytest.raises(MigrationError) as error:
        Runner(url).migrate()
    message = str(error.value)
    assert message.startswith(f"cannot connect to intruder@127.0.0.1:{cluster.port}/postgres")
    assert 'role "intruder" does not exist' in message
    assert "hunter2" not in message


def test_tls_is_required_unless_the_url_says_otherwise(cluster: PostgresCluster) -> None:
    url = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    with pytest.raises(MigrationError, match=r"cannot connect .*SSL"):
        Runner(url).status()


def test_command_line_status_and_migrate(unmigrated_db: str) -> None:
    env = {**os.environ, "DATABASE_URL": unmigrated_db}
    command = [sys.executable, "-m", "components.migrations"]
    migrate = subprocess.run([*command, "migrate"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert migrate.returncode == 0, migrate.stderr
    assert migrate.stdout.strip() == "applied 4 migration(s): 001, 002, 003, 004"
    status = subprocess.run([*command, "status"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert status.stdout.split() == [
        "001",
        "applied",
        "profiles",
        "002",
        "applied",
        "user_modules",
        "003",
        "applied",
        "modules",
        "004",
        "applied",
        "sessions",
    ]
    missing = subprocess.run(
        [*command, "migrate"], env={**env, "DATABASE_URL": ""}, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2 and "set DATABASE_URL" in missing.stderr
