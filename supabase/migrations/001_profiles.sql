-- 001_profiles: one profile per auth user, created by a trigger, readable and editable by its owner only.
-- Runs unchanged on Supabase (as the postgres role) and on the test cluster.

-- Each file runs in one transaction (the runner's, or `supabase db push`'s): fail fast on a
-- lock instead of queueing every client behind it.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text unique check (username ~ '^[a-z0-9_]{3,30}$'),
  display_name text check (char_length(display_name) <= 80),
  -- Key of the avatar object in the uploads bucket (avatars/<user id>.jpg), never a URL.
  avatar_path text check (avatar_path ~ '^avatars/[A-Za-z0-9._-]{1,200}$'),
  -- Privileged: set by the service (billing, support), never by the user.
  plan text not null default 'free' check (plan in ('free', 'premium', 'family')),
  role text not null default 'member' check (role in ('member', 'artist', 'admin')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.profiles is 'User profiles (extends auth.users). RLS: owner reads and updates own row.';
comment on column public.profiles.plan is 'Privileged: only service_role may change it.';
comment on column public.profiles.role is 'Privileged: only service_role may change it.';

alter table public.profiles enable row level security;

-- Supabase grants anon/authenticated ALL on new public tables; RLS must not be the only barrier.
-- Clients may read their row and update only the columns they own (no id, plan or role).
revoke all on table public.profiles from anon, authenticated;
grant select on table public.profiles to authenticated;
grant update (username, display_name, avatar_path) on table public.profiles to authenticated;
grant all on table public.profiles to service_role;

create policy "profiles: owner reads own row"
  on public.profiles for select to authenticated
  using ((select auth.uid()) = id);

create policy "profiles: owner updates own row"
  on public.profiles for update to authenticated
  using ((select auth.uid()) = id)
  with check ((select auth.uid()) = id);

-- Keeps updated_at truthful whoever writes the row.
create function public.set_updated_at()
  returns trigger
  language plpgsql
  security invoker
  set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

revoke execute on function public.set_updated_at() from public, anon, authenticated;

create trigger profiles_set_updated_at
  before update on public.profiles
  for each row execute function public.set_updated_at();

-- Creates the profile when Supabase Auth creates the user. Security definer because the auth
-- admin role that inserts users has no rights on public.profiles; the empty search_path stops
-- a caller from shadowing any object it names. Only display_name comes from user metadata
-- (which users can edit); plan and role always start at their defaults.
create function public.handle_new_user()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, left(nullif(btrim(new.raw_user_meta_data ->> 'display_name'), ''), 80));
  return new;
end;
$$;

revoke execute on function public.handle_new_user() from public, anon, authenticated;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();
