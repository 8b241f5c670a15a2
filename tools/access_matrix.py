"""Who can do what to which table, measured on a real database the way Supabase's API runs.

Every probe runs as PostgREST runs a request: logged in as ``authenticator``, inside a
transaction that sets ``role`` and ``request.jwt.claims`` with ``set_config(..., true)``, and
rolled back afterwards. The SQL tests assert these outcomes; ``make docs`` prints them as the
auditors' access matrix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import psycopg

Actor = Literal["anon", "user_a", "user_b", "service_role"]
ACTORS: tuple[Actor, ...] = ("anon", "user_a", "user_b", "service_role")
ACTOR_LABELS: dict[Actor, str] = {
    "anon": "anon",
    "user_a": "user A",
    "user_b": "user B",
    "service_role": "service_role",
}
DENIED: Literal["denied"] = "denied"
Outcome = int | Literal["denied"]

USER_A = "aaaaaaaa-0000-4000-8000-00000000000a"
USER_B = "bbbbbbbb-0000-4000-8000-00000000000b"
# Has an auth user but no profile yet (the fixture removes it), for insert probes.
USER_C = "cccccccc-0000-4000-8000-00000000000c"
PUBLISHED_MODULE = "11111111-0000-4000-8000-000000000001"
UNPUBLISHED_MODULE = "22222222-0000-4000-8000-000000000002"
SESSION_ACTIVE = {USER_A: "a0000000-0000-4000-8000-00000000a001", USER_B: "b0000000-0000-4000-8000-00000000b001"}
SESSION_ENDED = {USER_A: "a0000000-0000-4000-8000-00000000a002", USER_B: "b0000000-0000-4000-8000-00000000b002"}

SEED_SQL = f"""
set role supabase_auth_admin;
insert into auth.users (id, email, raw_user_meta_data) values
  ('{USER_A}', 'a@example.com', '{{"display_name": "Ada"}}'),
  ('{USER_B}', 'b@example.com', '{{"display_name": "Bea", "plan": "premium", "role": "admin"}}'),
  ('{USER_C}', 'c@example.com', '{{}}');
reset role;
delete from public.profiles where id = '{USER_C}';
insert into public.modules (id, slug, title, is_published) values
  ('{PUBLISHED_MODULE}', 'beat-making', 'Beat making', true),
  ('{UNPUBLISHED_MODULE}', 'mixing-draft', 'Mixing (draft)', false);
insert into public.user_modules (user_id, module_id) values
  ('{USER_A}', '{PUBLISHED_MODULE}'),
  ('{USER_B}', '{PUBLISHED_MODULE}');
insert into public.sessions (id, user_id, ended_at) values
  ('{SESSION_ACTIVE[USER_A]}', '{USER_A}', null),
  ('{SESSION_ENDED[USER_A]}', '{USER_A}', now()),
  ('{SESSION_ACTIVE[USER_B]}', '{USER_B}', null),
  ('{SESSION_ENDED[USER_B]}', '{USER_B}', now());
"""


@dataclass(frozen=True)
class Probe:
    table: str
    operation: Literal["select", "insert", "update", "delete"]
    description: str
    # Parameters: own (the acting user's id, or USER_A for anon/service_role), other, and the
    # ids above. A select probe returns a count; DML returns its row count.
    sql: str
    expected: dict[Actor, Outcome] = field(default_factory=dict)


def _same(outcome: Outcome, *, anon: Outcome = DENIED, service: Outcome | None = None) -> dict[Actor, Outcome]:
    return {"anon": anon, "user_a": outcome, "user_b": outcome, "service_role": outcome if service is None else service}


PROBES: tuple[Probe, ...] = (
    # profiles
    Probe("profiles", "select", "read all profiles", "select count(*) from public.profiles", _same(1, service=2)),
    Probe(
        "profiles",
        "select",
        "read the other user's profile",
        "select count(*) from public.profiles where id = %(other)s",
        _same(0, service=1),
    ),
    Probe(
        "profiles",
        "insert",
        "create a profile",
        f"insert into public.profiles (id) values ('{USER_C}')",
        _same(DENIED, service=1),
    ),
    Probe(
        "profiles",
        "update",
        "edit own display name",
        "update public.profiles set display_name = 'New' where id = %(own)s",
        _same(1),
    ),
    Probe(
        "profiles",
        "update",
        "edit the other user's profile",
        "update public.profiles set display_name = 'Hacked' where id = %(other)s",
        _same(0, service=1),
    ),
    Probe(
        "profiles",
        "update",
        "upgrade own plan",
        "update public.profiles set plan = 'premium' where id = %(own)s",
        _same(DENIED, service=1),
    ),
    Probe(
        "profiles",
        "update",
        "make self admin",
        "update public.profiles set role = 'admin' where id = %(own)s",
        _same(DENIED, service=1),
    ),
    Probe(
        "profiles",
        "update",
        "change own profile id",
        f"update public.profiles set id = '{USER_C}' where id = %(own)s",
        _same(DENIED, service=1),
    ),
    Probe(
        "profiles",
        "delete",
        "delete own profile",
        "delete from public.profiles where id = %(own)s",
        _same(DENIED, service=1),
    ),
    # modules
    Probe(
        "modules", "select", "read the catalogue", "select count(*) from public.modules", _same(1, anon=1, service=2)
    ),
    Probe(
        "modules",
        "select",
        "read an unpublished module",
        f"select count(*) from public.modules where id = '{UNPUBLISHED_MODULE}'",
        _same(0, anon=0, service=1),
    ),
    Probe(
        "modules",
        "insert",
        "add a module",
        "insert into public.modules (slug, title) values ('new-module', 'New')",
        _same(DENIED, service=1),
    ),
    Probe(
        "modules",
        "update",
        "rename a module",
        f"update public.modules set title = 'Free!' where id = '{PUBLISHED_MODULE}'",
        _same(DENIED, service=1),
    ),
    Probe(
        "modules",
        "delete",
        "delete a module",
        f"delete from public.modules where id = '{UNPUBLISHED_MODULE}'",
        _same(DENIED, service=1),
    ),
    # user_modules
    Probe(
        "user_modules", "select", "read module grants", "select count(*) from public.user_modules", _same(1, service=2)
    ),
    Probe(
        "user_modules",
        "select",
        "read the other user's grants",
        "select count(*) from public.user_modules where user_id = %(other)s",
        _same(0, service=1),
    ),
    Probe(
        "user_modules",
        "insert",
        "grant self a module",
        f"insert into public.user_modules (user_id, module_id) values (%(own)s, '{UNPUBLISHED_MODULE}')",
        _same(DENIED, service=1),
    ),
    Probe(
        "user_modules",
        "update",
        "extend own grant",
        "update public.user_modules set expires_at = null, source = 'support' where user_id = %(own)s",
        _same(DENIED, service=1),
    ),
    Probe(
        "user_modules",
        "delete",
        "revoke own grant",
        "delete from public.user_modules where user_id = %(own)s",
        _same(DENIED, service=1),
    ),
    # sessions
    Probe("sessions", "select", "read sessions", "select count(*) from public.sessions", _same(2, service=4)),
    Probe(
        "sessions",
        "select",
        "read the other user's sessions",
        "select count(*) from public.sessions where user_id = %(other)s",
        _same(0, service=2),
    ),
    Probe(
        "sessions",
        "insert",
        "record a session",
        "insert into public.sessions (user_id) values (%(own)s)",
        _same(DENIED, service=1),
    ),
    Probe(
        "sessions",
        "update",
        "end own active session",
        "update public.sessions set ended_at = now() where user_id = %(own)s and ended_at is null",
        _same(1),
    ),
    Probe(
        "sessions",
        "update",
        "end the other user's session",
        "update public.sessions set ended_at = now() where user_id = %(other)s and ended_at is null",
        _same(0, service=1),
    ),
    Probe(
        "sessions",
        "update",
        "reopen own ended session",
        "update public.sessions set ended_at = null where user_id = %(own)s and ended_at is not null",
        _same(0, service=1),
    ),
    Probe(
        "sessions",
        "update",
        "rewrite own session's user agent",
        "update public.sessions set user_agent = 'x' where user_id = %(own)s",
        _same(DENIED, service=2),
    ),
    Probe(
        "sessions",
        "delete",
        "delete own sessions",
        "delete from public.sessions where user_id = %(own)s",
        _same(DENIED, service=2),
    ),
)


def claims_for(actor: Actor) -> dict[str, str]:
    if actor == "anon":
        return {"role": "anon"}
    if actor == "service_role":
        return {"role": "service_role"}
    return {"role": "authenticated", "sub": USER_A if actor == "user_a" else USER_B, "aud": "authenticated"}


def database_role(actor: Actor) -> str:
    return {"anon": "anon", "service_role": "service_role"}.get(actor, "authenticated")


def seed(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(SEED_SQL.encode())


def run_probe(api: psycopg.Connection[tuple[object, ...]], probe: Probe, actor: Actor) -> Outcome:
    """One request as PostgREST makes it, on a connection logged in as authenticator."""
    own = USER_B if actor == "user_b" else USER_A
    other = USER_A if actor == "user_b" else USER_B
    try:
        with api.transaction(force_rollback=True):
            api.execute(
                "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                (database_role(actor), json.dumps(claims_for(actor))),
            )
            cursor = api.execute(probe.sql.encode(), {"own": own, "other": other})
            if probe.operation == "select":
                row = cursor.fetchone()
                return int(row[0]) if row else 0  # type: ignore[call-overload]
            return cursor.rowcount
    except psycopg.errors.InsufficientPrivilege:
        # 42501: no grant on the table or column, or a row refused by a policy's WITH CHECK.
        return DENIED


def measure(api_url: str) -> dict[tuple[int, Actor], Outcome]:
    """Every probe for every actor: (probe index, actor) -> outcome."""
    results: dict[tuple[int, Actor], Outcome] = {}
    with psycopg.connect(api_url) as api:
        for index, probe in enumerate(PROBES):
            for actor in ACTORS:
                results[(index, actor)] = run_probe(api, probe, actor)
    return results


def _cell(outcome: Outcome) -> str:
    if outcome == DENIED:
        return "**denied**"
    if outcome == 0:
        return "0 rows (RLS)"
    return f"{outcome} row{'s' if outcome != 1 else ''}"


def markdown(results: dict[tuple[int, Actor], Outcome]) -> str:
    header = "| table | operation | attempt | " + " | ".join(ACTOR_LABELS[a] for a in ACTORS) + " |"
    rule = "|" + "---|" * (3 + len(ACTORS))
    rows = [
        f"| `{probe.table}` | {probe.operation} | {probe.description} | "
        + " | ".join(_cell(results[(index, actor)]) for actor in ACTORS)
        + " |"
        for index, probe in enumerate(PROBES)
    ]
    return "\n".join([header, rule, *rows])
