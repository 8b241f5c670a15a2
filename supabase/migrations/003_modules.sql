-- 003_modules: the module catalogue. Anyone, anon included, reads published modules;
-- only service_role writes.

-- Each file runs in one transaction (the runner's, or `supabase db push`'s): fail fast on a
-- lock instead of queueing every client behind it.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.modules (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9-]{2,64}$'),
  title text not null check (char_length(title) between 1 and 200),
  description text check (char_length(description) <= 4000),
  price_cents bigint not null default 0 check (price_cents >= 0),
  is_published boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.modules is 'Module catalogue. RLS: anyone reads published modules; only service_role writes.';

-- The catalogue policy filters on is_published.
-- The table is created above in this same transaction and is empty: CONCURRENTLY (which
-- cannot run in a transaction) would buy nothing.
-- squawk-ignore require-concurrent-index-creation
create index modules_published_idx on public.modules (is_published) where is_published;

alter table public.modules enable row level security;

revoke all on table public.modules from anon, authenticated;
grant select on table public.modules to anon, authenticated;
grant all on table public.modules to service_role;

create policy "modules: anyone reads the published catalogue"
  on public.modules for select to anon, authenticated
  using (is_published);

create trigger modules_set_updated_at
  before update on public.modules
  for each row execute function public.set_updated_at();

-- user_modules (002) predates this table; tie it to the catalogue now. Bought modules cannot
-- be deleted from under their buyers. No module existed before this file, so user_modules
-- holds no valid row yet and validation is instant: NOT VALID + VALIDATE would buy nothing.
alter table public.user_modules
  -- squawk-ignore constraint-missing-not-valid, adding-foreign-key-constraint
  add constraint user_modules_module_id_fkey
  foreign key (module_id) references public.modules (id) on delete restrict;
