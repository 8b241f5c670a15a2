-- Test fixture, never a migration: the parts of a Supabase project that migrations/ relies on,
-- rebuilt on vanilla PostgreSQL 15 from the facts in DESIGN.md §4. Run as the cluster superuser
-- (standing in for Supabase's `postgres` role) before the migrations.

-- The API roles. PostgREST logs in as authenticator and switches to one of the three per request.
-- Roles are cluster-wide and this file runs once per test database, hence the guard.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
    create role authenticated nologin noinherit;
    create role service_role nologin noinherit bypassrls;
    create role authenticator login noinherit;
    -- Supabase Auth (GoTrue) owns the auth schema and inserts users as this role.
    create role supabase_auth_admin login noinherit createrole;
  end if;
end
$$;
grant anon, authenticated, service_role to authenticator;

create schema auth authorization supabase_auth_admin;
grant usage on schema auth to anon, authenticated, service_role;

create table auth.users (
  id uuid primary key,
  email text,
  phone text,
  raw_user_meta_data jsonb not null default '{}'::jsonb,
  raw_app_meta_data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table auth.users owner to supabase_auth_admin;

-- The request's JWT claims, as PostgREST sets them with set_config(..., true). After a
-- transaction a custom setting reads back as '' rather than NULL, hence the nullif.
create function auth.jwt() returns jsonb
  language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

create function auth.uid() returns uuid
  language sql stable
as $$
  select coalesce(
    nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', ''),
    nullif(current_setting('request.jwt.claim.sub', true), '')
  )::uuid
$$;

create function auth.role() returns text
  language sql stable
as $$
  select coalesce(
    nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', ''),
    nullif(current_setting('request.jwt.claim.role', true), '')
  )::text
$$;

create function auth.email() returns text
  language sql stable
as $$
  select coalesce(
    nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email', ''),
    nullif(current_setting('request.jwt.claim.email', true), '')
  )::text
$$;

alter function auth.jwt() owner to supabase_auth_admin;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
grant execute on all functions in schema auth to anon, authenticated, service_role;

-- Supabase's broad defaults on public: the API roles get ALL on every new table, function and
-- sequence that postgres creates, so RLS is the only barrier unless a migration revokes.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
