"""`make db-drift` (DATABASE_URL from the environment): does the live database still match the migrations?

`pulumi refresh` cannot see inside a database, so a policy dropped or RLS disabled in the dashboard
goes unnoticed. This builds the expected schema by applying ``supabase/migrations`` to a throwaway
PostgreSQL 15 as strict as Supabase (``localdb``), reads the same catalog facts from both
databases, and prints one line per object that differs.

What is compared, in ``public`` (and triggers that call a ``public`` function, such as the one on
``auth.users``): tables and views; columns (type, default, nullability, identity, generation);
row level security (enabled, forced); policies (permissive, command, roles, USING, WITH CHECK);
table grants to anon, authenticated, service_role and PUBLIC; functions (arguments, result,
security definer, search_path and other settings, EXECUTE by the API roles, a hash of the body); triggers; indexes; and
constraints. Both sides are read with an empty search_path, so every name is schema-qualified
alike.

Exit 0: clean. Exit 1: drift, one line per drifted object, naming it. Exit 2: cannot check, one
line saying why (the database URL's password is never printed). The live connection is read only.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg

from db_migrations import MIGRATIONS_DIR, MigrationError, Runner
from db_migrations.connection import Connection, connect, describe, scrub
from localdb.cluster import running_cluster

EXPECTED_DB = "expected_schema"
# The API roles Supabase exposes data to; a grant to anyone else is not the app's concern here.
API_ROLES = ("anon", "authenticated", "service_role", "public")

# object -> its description; one fact per object, so a difference names exactly what drifted.
Snapshot = dict[str, str]

_RELATIONS = """
select c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
"""
_COLUMNS = """
select c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm') and a.attnum > 0 and not a.attisdropped
"""
_POLICIES = """
select tablename, policyname, permissive, cmd, array_to_string(roles, ','), qual, with_check
from pg_catalog.pg_policies where schemaname = 'public'
"""
_GRANTS = """
select c.relname, coalesce(r.rolname, 'public'),
       string_agg(g.privilege_type, ',' order by g.privilege_type)
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
cross join lateral pg_catalog.aclexplode(c.relacl) g
left join pg_catalog.pg_roles r on r.oid = g.grantee
where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
group by 1, 2
"""
_FUNCTIONS = """
select p.oid::pg_catalog.regprocedure::text, pg_catalog.pg_get_function_result(p.oid), p.prosecdef,
       coalesce(array_to_string(p.proconfig, ','), ''), p.provolatile, pg_catalog.md5(p.prosrc),
       (select coalesce(string_agg(coalesce(r.rolname, 'public'), ',' order by coalesce(r.rolname, 'public')), '')
        from pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) g
        left join pg_catalog.pg_roles r on r.oid = g.grantee
        where g.privilege_type = 'EXECUTE'
          and (g.grantee = 0 or r.rolname in ('anon', 'authenticated', 'service_role')))
from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'public'
"""
_TRIGGERS = """
select t.tgrelid::pg_catalog.regclass::text, t.tgname, pg_catalog.pg_get_triggerdef(t.oid)
from pg_catalog.pg_trigger t
join pg_catalog.pg_class c on c.oid = t.tgrelid
join pg_catalog.pg_proc p on p.oid = t.tgfoid
where not t.tgisinternal
  and (c.relnamespace = 'public'::pg_catalog.regnamespace or p.pronamespace = 'public'::pg_catalog.regnamespace)
"""
_INDEXES = """
select i.relname, pg_catalog.pg_get_indexdef(x.indexrelid)
from pg_catalog.pg_index x
join pg_catalog.pg_class i on i.oid = x.indexrelid
where i.relnamespace = 'public'::pg_catalog.regnamespace
"""
_CONSTRAINTS = """
select c.relname, k.conname, pg_catalog.pg_get_constraintdef(k.oid)
from pg_catalog.pg_constraint k join pg_catalog.pg_class c on c.oid = k.conrelid
where c.relnamespace = 'public'::pg_catalog.regnamespace
"""
_KINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view"}
_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}


def _clause(expression: object) -> str:
    return "(none)" if expression is None else f"({expression})"


def snapshot(connection: Connection) -> Snapshot:
    """The catalog facts the migrations decide, keyed by the object they describe."""
    connection.execute("set search_path = ''")
    facts: Snapshot = {}
    for table, kind, rls, forced in connection.execute(_RELATIONS):
        facts[f"public.{table}"] = _KINDS[str(kind)]
        if kind in ("r", "p"):
            state = ("enabled" if rls else "disabled") + (", forced" if forced else "")
            facts[f"public.{table}: row level security"] = state
    for table, column, type_, not_null, default, identity, generated in connection.execute(_COLUMNS):
        described = [str(type_), "not null" if not_null else "null", f"default {default}" if default else "no default"]
        if identity:
            described.append(f"identity {identity}")
        if generated:
            described.append("generated")
        facts[f"public.{table}.{column}"] = ", ".join(described)
    for table, name, permissive, command, roles, using, check in connection.execute(_POLICIES):
        facts[f'public.{table}: policy "{name}"'] = (
            f"{str(permissive).lower()} for {command} to {roles}, using {_clause(using)}, with check {_clause(check)}"
        )
    for table, grantee, privileges in connection.execute(_GRANTS):
        if grantee in API_ROLES:
            facts[f"public.{table}: grants to {grantee}"] = str(privileges)
    for signature, result, definer, settings, volatility, body, callers in connection.execute(_FUNCTIONS):
        facts[f"function {signature}"] = (
            f"returns {result}, {'security definer' if definer else 'security invoker'}, "
            f"{_VOLATILITY.get(str(volatility), volatility)}, settings [{settings}], execute by [{callers}], "
            f"body md5 {body}"
        )
    for table, name, definition in connection.execute(_TRIGGERS):
        facts[f"trigger {name} on {table}"] = str(definition)
    for name, definition in connection.execute(_INDEXES):
        facts[f"index public.{name}"] = str(definition)
    for table, name, definition in connection.execute(_CONSTRAINTS):
        facts[f"public.{table}: constraint {name}"] = str(definition)
    return facts


def differences(expected: Snapshot, live: Snapshot) -> list[str]:
    """One line per drifted object, sorted by object."""
    lines = []
    for key in sorted(expected.keys() | live.keys()):
        if key not in live:
            lines.append(f"{key}: missing live (the migrations make it: {expected[key]})")
        elif key not in expected:
            lines.append(f"{key}: live but made by no migration ({live[key]})")
        elif expected[key] != live[key]:
            lines.append(f"{key}: expected {expected[key]}; live {live[key]}")
    return lines


def expected_snapshot(migrations: Path = MIGRATIONS_DIR) -> Snapshot:
    """The catalog the migrations build, on a throwaway Supabase-like cluster (removed after)."""
    with running_cluster() as cluster:
        url = cluster.supabase_database(EXPECTED_DB, migrate=False)
        Runner(url, migrations).migrate()
        with psycopg.connect(url, autocommit=True) as connection:
            return snapshot(connection)


def live_snapshot(database_url: str) -> Snapshot:
    with connect(database_url) as connection:
        connection.execute("set default_transaction_read_only = on")
        try:
            return snapshot(connection)
        except psycopg.Error as error:
            reason = scrub(str(error).splitlines()[0], database_url)
            raise MigrationError(f"cannot read the catalog of {describe(database_url)}: {reason}") from None


def check(database_url: str, migrations: Path = MIGRATIONS_DIR) -> list[str]:
    """The drift lines (empty when clean); MigrationError when it cannot check."""
    live = live_snapshot(database_url)  # first: an unreachable database fails before a cluster starts
    try:
        expected = expected_snapshot(migrations)
    except RuntimeError as error:
        raise MigrationError(f"cannot build the expected schema: {error}") from None
    return differences(expected, live)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.drift.db_drift", description=__doc__.splitlines()[0])
    parser.add_argument("--directory", type=Path, default=MIGRATIONS_DIR)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print(
            "cannot check: set DATABASE_URL (for example DATABASE_URL=postgresql://... make db-drift)", file=sys.stderr
        )
        return 2
    try:
        drift = check(database_url, args.directory)
    except MigrationError as error:
        print(f"cannot check: {error}", file=sys.stderr)
        return 2
    for line in drift:
        print(f"drift: {line}")
    if not drift:
        print(f"clean: {describe(database_url)} matches supabase/migrations")
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
