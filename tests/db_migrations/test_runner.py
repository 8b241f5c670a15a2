"""The migration runner on a real PostgreSQL 15, as strict as Supabase: order, history, drift,
names, faults (locks, lost connections, killed runs, leaking settings) and secrets.

Expected versions come from the files themselves, and files the tests write are numbered after
the newest real one, so adding a migration keeps this suite green.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from db_migrations import MIGRATIONS_DIR, MigrationError, Runner, discover
from db_migrations.runner import ADVISORY_LOCK_KEY
from localdb.cluster import PostgresCluster
from tests.conftest import ROOT

pytestmark = pytest.mark.sql
REAL = discover()
ALL_VERSIONS = [m.version for m in REAL]


def later(step: int = 1) -> str:
    """A version after every real one (same width, since versions compare as strings)."""
    newest = ALL_VERSIONS[-1]
    return str(int(newest) + step).zfill(len(newest))


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory


def write(directory: Path, name: str, sql: str) -> Path:
    path = directory / name
    path.write_text(sql)
    return path


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


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    """Polls a condition until it holds or the bound runs out (never an assertion on time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def runner_backends(cluster: PostgresCluster, dbname: str, query_like: str = "%") -> list[int]:
    with cluster.admin() as admin:
        rows = admin.execute(
            "select pid from pg_stat_activity where application_name = 'newcool-migrations' "
            "and datname = %s and query like %s",
            (dbname, query_like),
        ).fetchall()
    return [int(row[0]) for row in rows]  # type: ignore[call-overload]


def dbname_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


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


# --- faults ------------------------------------------------------------------------------------


def test_settings_made_by_one_file_do_not_leak_into_the_next(unmigrated_db: str, migrations_copy: Path) -> None:
    # `supabase db pull` output starts like this; the next file names its table unqualified.
    write(migrations_copy, f"{later(1)}_pulled.sql", "set search_path = '';\nselect 1;\n")
    write(
        migrations_copy,
        f"{later(2)}_genres.sql",
        "create table test_genres (id int primary key);\nalter table test_genres enable row level security;\n",
    )
    assert Runner(unmigrated_db, migrations_copy).migrate()[-2:] == [later(1), later(2)]
    assert table_exists(unmigrated_db, "public.test_genres")


def test_each_file_runs_with_the_default_lock_timeout(unmigrated_db: str, migrations_copy: Path) -> None:
    write(
        migrations_copy,
        f"{later()}_probe.sql",
        "create table public.seen (lock_timeout text primary key);\n"
        "alter table public.seen enable row level security;\n"
        "insert into public.seen values (current_setting('lock_timeout'));\n",
    )
    Runner(unmigrated_db, migrations_copy).migrate()
    with psycopg.connect(unmigrated_db) as connection:
        assert connection.execute("select lock_timeout from public.seen").fetchall() == [("4s",)]


def test_a_migration_waiting_on_a_lock_fails_instead_of_queueing_every_reader(
    cluster: PostgresCluster, unmigrated_db: str, migrations_copy: Path
) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    blocked = write(
        migrations_copy, f"{later()}_nickname.sql", "alter table public.profiles add column nickname text;\n"
    )
    with cluster.admin(dbname_of(unmigrated_db)) as holder:
        holder.autocommit = False
        holder.execute("lock table public.profiles in access share mode")
        with pytest.raises(MigrationError) as error:
            Runner(unmigrated_db, migrations_copy, lock_timeout="300ms").migrate()
        holder.rollback()
    assert str(error.value).startswith(f"{blocked.name}:1: canceling statement due to lock timeout")
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS


def test_a_connection_killed_mid_file_is_one_line_and_records_nothing(
    cluster: PostgresCluster, unmigrated_db: str, migrations_copy: Path
) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    slow = write(
        migrations_copy,
        f"{later()}_slow.sql",
        "create table public.slow (id int primary key);\nalter table public.slow enable row level security;\n"
        "select pg_sleep(30);\n",
    )
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Runner(unmigrated_db, migrations_copy).migrate()
        except BaseException as error:  # inspected below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    assert wait_for(lambda: bool(runner_backends(cluster, dbname_of(unmigrated_db), "%pg_sleep%")))
    with cluster.admin() as admin:
        for pid in runner_backends(cluster, dbname_of(unmigrated_db)):
            admin.execute("select pg_terminate_backend(%s)", (pid,))
    thread.join(timeout=30)
    (error,) = errors
    assert isinstance(error, MigrationError)
    message = str(error)
    assert message.startswith(f"lost the connection to postgres@127.0.0.1:{cluster.port}/{dbname_of(unmigrated_db)}")
    assert f"applying {slow.name}:3; nothing of it was recorded" in message
    assert "terminating connection due to administrator command" in message
    assert "\n" not in message
    assert not table_exists(unmigrated_db, "public.slow")
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS


def test_a_connection_killed_while_waiting_for_the_lock_is_one_line(
    cluster: PostgresCluster, unmigrated_db: str
) -> None:
    errors: list[BaseException] = []
    with cluster.admin(dbname_of(unmigrated_db)) as holder:
        holder.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))

        def run() -> None:
            try:
                Runner(unmigrated_db, lock_wait_seconds=30).migrate()
            except BaseException as error:  # inspected below
                errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        # Until it polls for the lock, a kill would interrupt its session set-up instead.
        assert wait_for(lambda: bool(runner_backends(cluster, dbname_of(unmigrated_db), "%pg_try_advisory_lock%")))
        holder.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'newcool-migrations'"
        )
        thread.join(timeout=30)
    (error,) = errors
    assert isinstance(error, MigrationError)
    assert "while waiting for the migration lock; nothing was applied" in str(error)
    assert not table_exists(unmigrated_db, "public.profiles")


def test_a_run_gives_up_on_a_lock_another_run_keeps(cluster: PostgresCluster, unmigrated_db: str) -> None:
    with cluster.admin(dbname_of(unmigrated_db)) as holder:
        holder.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        with pytest.raises(MigrationError, match=r"another migration run holds the lock .* nothing was applied"):
            Runner(unmigrated_db, lock_wait_seconds=0.5).migrate()


def test_a_killed_runners_statement_does_not_keep_running_on_the_server(
    cluster: PostgresCluster, unmigrated_db: str, migrations_copy: Path
) -> None:
    write(migrations_copy, f"{later()}_slow.sql", "select pg_sleep(60);\n")
    runner = subprocess.Popen(
        [sys.executable, "-m", "db_migrations", "migrate", "--directory", str(migrations_copy)],
        env={**os.environ, "DATABASE_URL": unmigrated_db},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: bool(runner_backends(cluster, dbname_of(unmigrated_db), "%pg_sleep%")))
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        # client_connection_check_interval: the server notices the runner is gone and cancels
        # the statement instead of sleeping (or holding locks) for the rest of the minute.
        assert wait_for(lambda: not runner_backends(cluster, dbname_of(unmigrated_db)), seconds=20)
    finally:
        if runner.poll() is None:
            runner.kill()


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


# --- connections and secrets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:1/postgres?sslmode=disable",
            "cannot connect to postgres@127.0.0.1:1/postgres",
        ),
        ("not a url at all", "the database URL cannot be parsed"),
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


MALFORMED_SECRET_URLS = [
    # An unescaped '@' makes libpq read "w0rd-secret@127.0.0.1" as the host and quote it.
    "postgresql://postgres:p@ssw0rd-secret@127.0.0.1:{port}/postgres?sslmode=disable",
    # '/', '?' and '#' end the authority early: libpq would read part of the password as a port.
    "postgresql://postgres:pa/ssw0rd-secret@127.0.0.1:{port}/postgres?sslmode=disable",
    "postgresql://postgres:pa?ssw0rd-secret@127.0.0.1:{port}/postgres",
    "postgresql://postgres:pa#ssw0rd-secret@127.0.0.1:{port}/postgres",
    # Not a URL at all, with the password in it.
    "host=127.0.0.1 port={port} password='ssw0rd-secret",
]


@pytest.mark.parametrize("template", MALFORMED_SECRET_URLS)
def test_no_part_of_a_password_is_printed_however_malformed_the_url(cluster: PostgresCluster, template: str) -> None:
    url = template.format(port=cluster.port)
    result = subprocess.run(
        [sys.executable, "-m", "db_migrations", "migrate"],
        env={**os.environ, "DATABASE_URL": url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert output.startswith("error: ") and output.count("\n") == 1, output
    for fragment in ("ssw0rd", "w0rd-secret", "secret", "p@ss", "pa/ss", "pa?ss", "pa#ss"):
        assert fragment not in output, (fragment, output)
    assert "Traceback" not in output


def test_tls_is_required_unless_the_url_says_otherwise(cluster: PostgresCluster) -> None:
    url = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    with pytest.raises(MigrationError, match=r"cannot connect .*SSL"):
        Runner(url).status()


# --- command line ------------------------------------------------------------------------------


def test_command_line_status_and_migrate(unmigrated_db: str) -> None:
    env = {**os.environ, "DATABASE_URL": unmigrated_db}
    command = [sys.executable, "-m", "db_migrations"]
    migrate = subprocess.run([*command, "migrate"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert migrate.returncode == 0, migrate.stderr
    assert migrate.stdout.strip() == f"applied {len(REAL)} migration(s): {', '.join(ALL_VERSIONS)}"
    status = subprocess.run([*command, "status"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert [line.split() for line in status.stdout.splitlines()] == [[m.version, "applied", m.name] for m in REAL]
    missing = subprocess.run(
        [*command, "migrate"], env={**env, "DATABASE_URL": ""}, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2 and "set DATABASE_URL" in missing.stderr


def test_command_line_failure_is_one_line_without_a_traceback(unmigrated_db: str, migrations_copy: Path) -> None:
    broken = write(migrations_copy, f"{later()}_broken.sql", "select 1;\nselect 1/0;\n")
    result = subprocess.run(
        [sys.executable, "-m", "db_migrations", "migrate", "--directory", str(migrations_copy)],
        env={**os.environ, "DATABASE_URL": unmigrated_db},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: {broken.name}:2: division by zero (the whole file was rolled back; nothing recorded)\n"
    )
