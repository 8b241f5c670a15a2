"""Row-level security and grants, proven on a real PostgreSQL acting as Supabase's API does."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from tools.access_matrix import (
    ACTORS,
    PROBES,
    USER_A,
    USER_B,
    Actor,
    Probe,
    run_probe,
    seed,
)
from tools.pg_cluster import PostgresCluster

pytestmark = pytest.mark.sql


@pytest.fixture(scope="module")
def seeded_db(app_db: str) -> str:
    seed(app_db)
    return app_db


@pytest.fixture(scope="module")
def api(cluster: PostgresCluster, seeded_db: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    dbname = seeded_db.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(cluster.url(dbname, user="authenticator")) as connection:
        yield connection


@pytest.fixture(scope="module")
def admin(seeded_db: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(seeded_db, autocommit=True) as connection:
        yield connection


CASES = [(probe, actor) for probe in PROBES for actor in ACTORS]


@pytest.mark.parametrize(
    ("probe", "actor"),
    CASES,
    ids=[f"{p.table}-{p.description.replace(' ', '_')}-{a}" for p, a in CASES],
)
def test_access_matrix(api: psycopg.Connection[tuple[object, ...]], probe: Probe, actor: Actor) -> None:
    assert run_probe(api, probe, actor) == probe.expected[actor]


def test_every_table_operation_and_role_is_probed() -> None:
    covered = {(p.table, p.operation) for p in PROBES}
    for table in ("profiles", "modules", "user_modules", "sessions"):
        for operation in ("select", "insert", "update", "delete"):
            assert (table, operation) in covered, (table, operation)
    for probe in PROBES:
        assert set(probe.expected) == set(ACTORS), probe.description
        # Some actor gets rows from every probe, so no probe passes by touching nothing.
        assert any(v not in (0, "denied") for v in probe.expected.values()), probe.description


def test_new_auth_user_gets_a_default_profile_whatever_their_metadata_says(
    admin: psycopg.Connection[tuple[object, ...]],
) -> None:
    rows = admin.execute(
        "select id::text, display_name, plan, role from public.profiles where id in (%s, %s) order by id",
        (USER_A, USER_B),
    ).fetchall()
    # B signed up claiming plan=premium and role=admin in user metadata (which users control).
    assert rows == [(USER_A, "Ada", "free", "member"), (USER_B, "Bea", "free", "member")]


def test_profile_updated_at_moves_on_update(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    with admin.transaction(force_rollback=True):
        admin.execute(
            "update public.profiles set created_at = now() - interval '1 day', "
            "updated_at = now() - interval '1 day' where id = %s",
            (USER_A,),
        )
        admin.execute("update public.profiles set display_name = 'Ada L.' where id = %s", (USER_A,))
        row = admin.execute(
            "select updated_at > created_at + interval '23 hours' from public.profiles where id = %s", (USER_A,)
        ).fetchone()
    assert row == (True,)


@pytest.mark.parametrize("function", ["public.handle_new_user()", "public.set_updated_at()"])
@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_internal_functions_are_not_executable_by_clients(
    admin: psycopg.Connection[tuple[object, ...]], function: str, role: str
) -> None:
    row = admin.execute("select has_function_privilege(%s, %s, 'execute')", (role, function)).fetchone()
    assert row == (False,)


def test_security_definer_functions_pin_an_empty_search_path(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = admin.execute(
        """select p.proname, p.proconfig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'public' and p.prosecdef"""
    ).fetchall()
    assert rows, "handle_new_user is security definer"
    for name, config in rows:
        assert isinstance(config, list) and 'search_path=""' in config, name


def test_every_public_table_has_rls_enabled(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = admin.execute(
        "select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'"
    ).fetchall()
    assert {name for name, _ in rows} == {"profiles", "modules", "user_modules", "sessions"}
    assert all(enabled for _, enabled in rows), rows


def test_anon_holds_no_privilege_on_user_data(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = admin.execute(
        """select table_name, privilege_type from information_schema.role_table_grants
            where grantee = 'anon' and table_schema = 'public'"""
    ).fetchall()
    assert rows == [("modules", "SELECT")]


def test_every_foreign_key_is_indexed(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    unindexed = admin.execute(
        """select c.conrelid::regclass::text, c.conname from pg_constraint c
            where c.contype = 'f' and c.connamespace = 'public'::regnamespace
              and not exists (
                select from pg_index i
                 where i.indrelid = c.conrelid
                   and (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey)"""
    ).fetchall()
    assert unindexed == []


def test_policies_follow_supabase_guidance(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    policies = admin.execute(
        "select tablename, policyname, permissive, roles::text[], cmd, qual, with_check from pg_policies "
        "where schemaname = 'public'"
    ).fetchall()
    seen: set[tuple[str, str, str]] = set()
    for row in policies:
        table, name, permissive, command = str(row[0]), str(row[1]), str(row[2]), str(row[4])
        roles = [str(role) for role in row[3]]  # type: ignore[attr-defined]
        qual, with_check = row[5], row[6]
        assert "public" not in roles, f"{name} must name its roles (to authenticated)"
        for expression in (qual, with_check):
            if isinstance(expression, str) and "auth.uid()" in expression:
                # Wrapped in a sub-select so it runs once per statement, not per row.
                assert expression.count("auth.uid()") == expression.count("( SELECT auth.uid()"), name
        for role in roles:
            key = (table, role, command)
            assert permissive != "PERMISSIVE" or key not in seen, f"two permissive policies for {key}"
            seen.add(key)


def test_auth_uid_reads_claims_and_is_null_when_unset_or_after_a_transaction(
    api: psycopg.Connection[tuple[object, ...]],
) -> None:
    def uid_as_authenticated(setting: str | None = None, value: str = "") -> object:
        with api.transaction(force_rollback=True):
            api.execute("select set_config('role', 'authenticated', true)")
            if setting:
                api.execute("select set_config(%s, %s, true)", (setting, value))
            row = api.execute("select auth.uid()::text").fetchone()
            return row[0] if row else None

    assert uid_as_authenticated() is None
    assert uid_as_authenticated("request.jwt.claims", json.dumps({"sub": USER_A})) == USER_A
    # The claims setting now exists on this session and reads back as '' outside the transaction.
    assert uid_as_authenticated() is None
    assert uid_as_authenticated("request.jwt.claims", json.dumps({"role": "anon"})) is None
    assert uid_as_authenticated("request.jwt.claim.sub", USER_B) == USER_B
