"""`make db-drift` on the real PostgreSQL 15: each hand-made change is found and named, and the
database is clean again once it is reverted."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from localdb.cluster import PostgresCluster
from operations.drift import db_drift

_names = itertools.count()

# (what a dashboard user did, how it was undone, the object it names, what its line says)
DRIFTS = [
    (
        "alter table public.profiles disable row level security",
        "alter table public.profiles enable row level security",
        "public.profiles: row level security",
        "expected enabled; live disabled",
    ),
    (
        'drop policy "sessions: owner reads own sessions" on public.sessions',
        'create policy "sessions: owner reads own sessions" on public.sessions for select to authenticated '
        "using ((select auth.uid()) = user_id)",
        'public.sessions: policy "sessions: owner reads own sessions"',
        "missing live",
    ),
    (
        'alter policy "modules: anyone reads the published catalogue" on public.modules using (true)',
        'alter policy "modules: anyone reads the published catalogue" on public.modules using (is_published)',
        'public.modules: policy "modules: anyone reads the published catalogue"',
        "live permissive for SELECT to anon,authenticated, using (true)",
    ),
    (
        "grant select on public.profiles to anon",
        "revoke select on public.profiles from anon",
        "public.profiles: grants to anon",
        "live but made by no migration (SELECT)",
    ),
    (
        "create table public.scratch (id int)",
        "drop table public.scratch",
        "public.scratch",
        "live but made by no migration",
    ),
    (
        "create function public.peek() returns int language sql security definer as 'select 1'",
        "drop function public.peek()",
        "function public.peek()",
        "live but made by no migration (returns integer, security definer",
    ),
    (
        "alter function public.set_updated_at() security definer",
        "alter function public.set_updated_at() security invoker",
        "function public.set_updated_at()",
        "security definer, volatile",
    ),
    (
        "alter function public.handle_new_user() reset search_path",
        "alter function public.handle_new_user() set search_path = ''",
        "function public.handle_new_user()",
        "live returns trigger, security definer, volatile, settings []",
    ),
    (
        "grant execute on function public.handle_new_user() to anon",
        "revoke execute on function public.handle_new_user() from anon",
        "function public.handle_new_user()",
        'live returns trigger, security definer, volatile, settings [search_path=""], execute by [anon,',
    ),
    (
        "alter table public.profiles alter column plan set default 'premium'",
        "alter table public.profiles alter column plan set default 'free'",
        "public.profiles.plan",
        "live text, not null, default 'premium'::text",
    ),
    (
        "drop index public.sessions_user_id_idx",
        "create index sessions_user_id_idx on public.sessions (user_id)",
        "index public.sessions_user_id_idx",
        "missing live",
    ),
]


@pytest.fixture(scope="module")
def expected(cluster: PostgresCluster, migrated_template: str) -> db_drift.Snapshot:
    """What the runner's migrations build (the template), read as `make db-drift` reads it."""
    url = cluster.create_database(f"expected_{next(_names)}", template=migrated_template)
    with psycopg.connect(url, autocommit=True) as connection:
        return db_drift.snapshot(connection)


def _drift(url: str, expected: db_drift.Snapshot) -> list[str]:
    with psycopg.connect(url, autocommit=True) as connection:
        return db_drift.differences(expected, db_drift.snapshot(connection))


@pytest.mark.sql
def test_a_database_the_migrations_built_is_clean(app_db: str, expected: db_drift.Snapshot) -> None:
    assert _drift(app_db, expected) == []


@pytest.mark.sql
@pytest.mark.parametrize(("change", "revert", "named", "says"), DRIFTS, ids=[d[2] for d in DRIFTS])
def test_a_hand_made_change_is_named_then_clean_once_reverted(
    app_db: str, expected: db_drift.Snapshot, change: str, revert: str, named: str, says: str
) -> None:
    with psycopg.connect(app_db, autocommit=True) as dashboard:
        dashboard.execute(change.encode())
        try:
            drift = _drift(app_db, expected)
        finally:
            dashboard.execute(revert.encode())
    assert any(line.startswith(f"{named}: ") and says in line for line in drift), drift
    # Every line names the drifted object, nothing else.
    assert all(line.startswith(named) for line in drift), drift
    assert _drift(app_db, expected) == []


@pytest.mark.sql
def test_row_level_security_turned_off_on_any_table_the_migrations_make_is_named(
    app_db: str, expected: db_drift.Snapshot
) -> None:
    """Every table of the catalog, a new migration's too: none is outside what db-drift compares."""
    with psycopg.connect(app_db, autocommit=True) as dashboard:
        tables = [
            str(row[0])
            for row in dashboard.execute(
                "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
            ).fetchall()
        ]
        assert tables
        for table in tables:
            dashboard.execute(f"alter table public.{table} disable row level security".encode())
            try:
                drift = _drift(app_db, expected)
            finally:
                dashboard.execute(f"alter table public.{table} enable row level security".encode())
            assert drift == [f"public.{table}: row level security: expected enabled; live disabled"], table


@pytest.mark.sql
def test_the_command_builds_the_expected_schema_and_exits_1_on_drift(
    cluster: PostgresCluster,
    migrated_template: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    live = cluster.create_database(f"live_{next(_names)}", template=migrated_template)
    monkeypatch.setenv("DATABASE_URL", live)
    assert db_drift.main([]) == 0
    with psycopg.connect(live, autocommit=True) as dashboard:
        dashboard.execute("alter table public.modules disable row level security")
    capsys.readouterr()
    assert db_drift.main([]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "drift: public.modules: row level security: expected enabled; live disabled"
    ]


def test_an_unreachable_database_is_one_line_without_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:hunter2secret@127.0.0.1:1/postgres?sslmode=disable")
    assert db_drift.main([]) == 2
    error = capsys.readouterr().err
    assert error.startswith("cannot check: cannot connect to postgres@127.0.0.1:1/postgres")
    assert len(error.splitlines()) == 1
    assert "hunter2" not in error


def test_without_a_database_url_it_says_which_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db_drift.main([]) == 2
    assert "set DATABASE_URL" in capsys.readouterr().err
