-- Test fixture, never a migration: a Supabase project as hosted, rebuilt on vanilla PostgreSQL 15
-- from DESIGN.md §4 and §6, as strict as Supabase is. Run by the cluster superuser
-- `supabase_admin` (as on Supabase) once per database, before the migrations, which then run as
-- the non-superuser `postgres`, exactly as `supabase db push` runs them.

-- Roles are cluster-wide; this file runs once per test database, hence the guard.
do $$
begin
  if not exists (select from pg_roles where rolname = 'postgres') then
    -- Not a superuser: what a migration may do on Supabase, it may do here, and no more.
    create role postgres login createrole createdb replication bypassrls;
    create role anon nologin inherit;
    create role authenticated nologin inherit;
    create role service_role nologin inherit bypassrls;
    -- PostgREST logs in as authenticator and switches to one of the three per request.
    create role authenticator login noinherit;
    -- Supabase Auth (GoTrue) owns auth.users and inserts users as this role.
    create role supabase_auth_admin login noinherit createrole;
    grant anon, authenticated, service_role to authenticator;
    grant anon, authenticated, service_role to postgres;
    -- Supabase's postgres finds extensions (pgTAP among them) without qualifying them.
    alter role postgres set search_path = "$user", public, extensions;
  end if;
end
$$;

-- Extensions live in their own schema; pgTAP is there when the server has it installed.
create schema extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
do $$
begin
  if exists (select from pg_available_extensions where name = 'pgtap') then
    create extension pgtap schema extensions;
  end if;
end
$$;

-- supabase_admin owns the auth schema; GoTrue's role owns its table.
create schema auth authorization supabase_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role, supabase_auth_admin;
grant create on schema auth to supabase_auth_admin;

-- GoTrue's auth.users, column for column.
create table auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
alter table auth.users owner to supabase_auth_admin;
alter table auth.users enable row level security;
-- postgres may reference users and put triggers on them, read and seed them, but does not own
-- the table: `alter table auth.users ...` in a migration fails with "must be owner of table users".
grant select, insert, update, delete, references, trigger on auth.users to postgres;

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
grant execute on all functions in schema auth to postgres, anon, authenticated, service_role;

-- Supabase's broad defaults on public, for objects made by postgres and by supabase_admin: the
-- API roles get ALL on every new table, sequence and function, so RLS is the only barrier
-- unless a migration revokes.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on sequences to anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on functions to anon, authenticated, service_role;
