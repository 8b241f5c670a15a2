-- 004_sessions: session tracking. The server (service_role) records sessions; a user reads
-- only their own and may end an active one of their own, nothing else.

-- Each file runs in one transaction (the runner's, or `supabase db push`'s): fail fast on a
-- lock instead of queueing every client behind it.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  ended_at timestamptz,
  user_agent text check (char_length(user_agent) <= 512),
  ip_address inet,
  check (ended_at is null or ended_at >= created_at)
);

comment on table public.sessions is 'Session tracking. RLS: owner reads own sessions and may end an active one.';

-- Every policy filters on user_id, and it is a foreign key.
-- The table is created above in this same transaction and is empty: CONCURRENTLY (which
-- cannot run in a transaction) would buy nothing.
-- squawk-ignore require-concurrent-index-creation
create index sessions_user_id_idx on public.sessions (user_id);

alter table public.sessions enable row level security;

revoke all on table public.sessions from anon, authenticated;
grant select on table public.sessions to authenticated;
grant update (ended_at) on table public.sessions to authenticated;
grant all on table public.sessions to service_role;

create policy "sessions: owner reads own sessions"
  on public.sessions for select to authenticated
  using ((select auth.uid()) = user_id);

-- Ending is one-way: only an active session can be updated, and only to ended.
create policy "sessions: owner ends own active session"
  on public.sessions for update to authenticated
  using ((select auth.uid()) = user_id and ended_at is null)
  with check ((select auth.uid()) = user_id and ended_at is not null);
