"""`make bench-rls`: what row-level security costs on the two per-user reads the app makes most.

Seeds 100k users, 1M user_modules rows and 1M sessions into a throwaway PostgreSQL 15 cluster
with the real migrations, then times, side by side in one run, "my modules" and "my sessions"
as `authenticated` under RLS (the way PostgREST runs them) against the same queries as
`service_role` (which bypasses RLS) with an explicit owner filter. Target: RLS at most 1.5x.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass

import psycopg

from localdb.cluster import running_cluster

MY_MODULES = """
select m.id, m.slug, m.title, um.expires_at
  from public.user_modules um join public.modules m on m.id = um.module_id
  {owner_filter}
 order by m.title"""
MY_SESSIONS = """
select id, created_at, last_seen_at, ended_at, user_agent
  from public.sessions
  {owner_filter}
 order by created_at desc
 limit 50"""
QUERIES = {"my modules": (MY_MODULES, "um.user_id"), "my sessions": (MY_SESSIONS, "user_id")}


SEED_STATEMENTS = (
    # As Supabase Auth would: the handle_new_user trigger creates each profile.
    "set role supabase_auth_admin",
    """insert into auth.users (id, email)
       select ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'user' || n || '@example.com'
         from generate_series(1, %(users)s) n""",
    "reset role",
    """insert into public.modules (slug, title, is_published)
       select 'module-' || n, 'Module ' || n, true from generate_series(1, %(modules)s) n""",
    # per_user distinct modules for each user, spread over the catalogue.
    """insert into public.user_modules (user_id, module_id)
       select u.id, m.id
         from (select id, row_number() over (order by id) as n from auth.users) u
         cross join generate_series(0, %(per_user)s - 1) s
         join (select id, row_number() over (order by id) - 1 as k from public.modules) m
           on m.k = (u.n + s) %% %(modules)s""",
    """insert into public.sessions (user_id, created_at, ended_at)
       select u.id, now() - make_interval(hours => s),
              case when s > 1 then now() - make_interval(hours => s - 1) end
         from auth.users u cross join generate_series(1, %(per_user)s) s""",
)


def seed(admin: psycopg.Connection[tuple[object, ...]], users: int, modules: int, per_user: int) -> None:
    params = {"users": users, "modules": modules, "per_user": per_user}
    for statement in SEED_STATEMENTS:
        admin.execute(statement.encode(), params if "%(" in statement else None)
    admin.execute("vacuum analyze")


@dataclass
class Timing:
    query: str
    mode: str
    p50_ms: float
    p95_ms: float
    rows: float


def time_query(
    api: psycopg.Connection[tuple[object, ...]], sql: str, role: str, user_ids: list[str], owner_column: str | None
) -> tuple[list[float], float]:
    text = sql.format(owner_filter=f"where {owner_column} = %(uid)s" if owner_column else "")
    durations: list[float] = []
    rows = 0
    for user_id in user_ids:
        claims = json.dumps({"role": role, "sub": user_id})
        with api.transaction(force_rollback=True):
            api.execute(
                "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)", (role, claims)
            )
            start = time.perf_counter()
            rows += len(api.execute(text.encode(), {"uid": user_id}).fetchall())
            durations.append((time.perf_counter() - start) * 1000)
    return durations, rows / len(user_ids)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--per-user", type=int, default=10, help="module grants and sessions per user")
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args(argv)

    with running_cluster({"shared_buffers": "512MB", "work_mem": "16MB"}) as cluster:
        cluster.supabase_database("bench")
        started = time.perf_counter()
        # Seeded as the superuser (Supabase Auth's role inserts the users; postgres is not a member).
        with cluster.admin("bench") as admin:
            seed(admin, args.users, args.modules, args.per_user)
            counts = admin.execute(
                "select (select count(*) from auth.users), (select count(*) from public.user_modules), "
                "(select count(*) from public.sessions)"
            ).fetchone()
            ids = [str(row[0]) for row in admin.execute("select id from auth.users").fetchall()]
        print(f"seeded users/user_modules/sessions = {counts} in {time.perf_counter() - started:.1f}s")

        rng = random.Random(20261125)  # noqa: S311 (sampling, not security)
        sample = rng.sample(ids, min(args.samples, len(ids)))
        timings: list[Timing] = []
        with psycopg.connect(cluster.url("bench", user="authenticator")) as api:
            for name, (sql, owner_column) in QUERIES.items():
                # Warm both paths, then interleave them so cache state favours neither.
                time_query(api, sql, "authenticated", sample[:50], None)
                time_query(api, sql, "service_role", sample[:50], owner_column)
                rls, rls_rows = time_query(api, sql, "authenticated", sample, None)
                direct, direct_rows = time_query(api, sql, "service_role", sample, owner_column)
                if rls_rows != direct_rows:
                    print(f"error: {name} returned {rls_rows} rows under RLS but {direct_rows} directly")
                    return 1
                timings.append(
                    Timing(name, "authenticated + RLS", statistics.median(rls), percentile(rls, 0.95), rls_rows)
                )
                timings.append(
                    Timing(
                        name, "service_role + filter", statistics.median(direct), percentile(direct, 0.95), direct_rows
                    )
                )

    print(f"\n{'query':<12} {'mode':<22} {'p50 ms':>8} {'p95 ms':>8} {'rows':>6}")
    for timing in timings:
        print(f"{timing.query:<12} {timing.mode:<22} {timing.p50_ms:>8.3f} {timing.p95_ms:>8.3f} {timing.rows:>6.1f}")
    worst = 0.0
    for index in range(0, len(timings), 2):
        ratio = timings[index].p50_ms / timings[index + 1].p50_ms
        worst = max(worst, ratio)
        print(f"{timings[index].query}: RLS costs {ratio:.2f}x at the median")
    verdict = "within" if worst <= 1.5 else "OVER"
    print(f"\nworst ratio {worst:.2f}x: {verdict} the 1.5x target")
    return 0 if worst <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
