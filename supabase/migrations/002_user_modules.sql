-- 002_user_modules: which user may use which module. Access is bought, never self-assigned:
-- clients can only read their own grants; only service_role writes.

-- Each file runs in one transaction (the runner's, or `supabase db push`'s): fail fast on a
-- lock instead of queueing every client behind it.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.user_modules (
  user_id uuid not null references auth.users (id) on delete cascade,
  -- References public.modules, which 003 creates; 003 adds the foreign key.
  module_id uuid not null,
  source text not null default 'purchase' check (source in ('purchase', 'subscription', 'promo', 'support')),
  granted_at timestamptz not null default now(),
  expires_at timestamptz,
  primary key (user_id, module_id),
  check (expires_at is null or expires_at > granted_at)
);

comment on table public.user_modules is 'Per-user module access. RLS: owner reads own grants; only service_role writes.';

-- The primary key indexes user_id (its leading column); module_id needs its own for the FK.
-- The table is created above in this same transaction and is empty: CONCURRENTLY (which
-- cannot run in a transaction) would buy nothing.
-- squawk-ignore require-concurrent-index-creation
create index user_modules_module_id_idx on public.user_modules (module_id);

alter table public.user_modules enable row level security;

revoke all on table public.user_modules from anon, authenticated;
grant select on table public.user_modules to authenticated;
grant all on table public.user_modules to service_role;

create policy "user_modules: owner reads own grants"
  on public.user_modules for select to authenticated
  using ((select auth.uid()) = user_id);
