-- Who may do what to which table: every attempt, as every kind of caller.
--
-- Each request runs as Supabase's API runs it: as the request's role, with its JWT claims in
-- request.jwt.claims (set local, as set_config(..., true)); a change it makes is undone. The test
-- names read `table | operation | attempt | who | outcome`: docs/access-matrix.md is built
-- from them. `denied` = refused with insufficient privilege (42501: no grant on the table or
-- column, or a row refused by a policy); `0 rows (RLS)` = allowed, but row level security
-- hid every row; `N rows` = rows read or changed.
begin;
select plan(108);

-- The rows a request changes, with the change undone: the request runs in a block whose
-- exception rolls it back (a refused request's error, 42501, passes through to throws_ok).
create function pg_temp.rows_changed(request text) returns int
  language plpgsql
as $fn$
declare
  changed int;
begin
  begin
    execute request;
    get diagnostics changed = row_count;
    raise exception using errcode = 'P0U01', message = 'undo the request';
  exception when sqlstate 'P0U01' then
    return changed;
  end;
end;
$fn$;

-- The seed: users A and B with a profile (made by the signup trigger; B
-- claims plan=premium and role=admin in metadata users control), user C with no profile yet,
-- one published and one unpublished module, one grant each, one active and one ended session each.
insert into auth.users (id, email, raw_user_meta_data) values
  ('aaaaaaaa-0000-4000-8000-00000000000a', 'a@example.com', '{"display_name": "Ada"}'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', 'b@example.com', '{"display_name": "Bea", "plan": "premium", "role": "admin"}'),
  ('cccccccc-0000-4000-8000-00000000000c', 'c@example.com', '{}');
delete from public.profiles where id = 'cccccccc-0000-4000-8000-00000000000c';
insert into public.modules (id, slug, title, is_published) values
  ('11111111-0000-4000-8000-000000000001', 'beat-making', 'Beat making', true),
  ('22222222-0000-4000-8000-000000000002', 'mixing-draft', 'Mixing (draft)', false);
insert into public.user_modules (user_id, module_id) values
  ('aaaaaaaa-0000-4000-8000-00000000000a', '11111111-0000-4000-8000-000000000001'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', '11111111-0000-4000-8000-000000000001');
insert into public.sessions (id, user_id, ended_at) values
  ('a0000000-0000-4000-8000-00000000a001', 'aaaaaaaa-0000-4000-8000-00000000000a', null),
  ('a0000000-0000-4000-8000-00000000a002', 'aaaaaaaa-0000-4000-8000-00000000000a', now()),
  ('b0000000-0000-4000-8000-00000000b001', 'bbbbbbbb-0000-4000-8000-00000000000b', null),
  ('b0000000-0000-4000-8000-00000000b002', 'bbbbbbbb-0000-4000-8000-00000000000b', now());

-- ----------------------------------------------------------------------------------------------
-- Profiles: a user reads and edits only their own row, and never its privileged columns
-- (plan, role, id); nobody but the service creates or deletes one.

-- profiles, as anon
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select throws_ok($$ select count(*) from public.profiles $$, '42501', null, 'profiles | select | read all profiles | anon | denied');
select throws_ok($$ select count(*) from public.profiles where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'profiles | select | read the other user''s profile | anon | denied');
select throws_ok($$ insert into public.profiles (id) values ('cccccccc-0000-4000-8000-00000000000c') $$, '42501', null, 'profiles | insert | create a profile | anon | denied');
select throws_ok($$ update public.profiles set display_name = 'New' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | update | edit own display name | anon | denied');
select throws_ok($$ update public.profiles set display_name = 'Hacked' where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'profiles | update | edit the other user''s profile | anon | denied');
select throws_ok($$ update public.profiles set plan = 'premium' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | update | upgrade own plan | anon | denied');
select throws_ok($$ update public.profiles set role = 'admin' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | update | make self admin | anon | denied');
select throws_ok($$ update public.profiles set id = 'cccccccc-0000-4000-8000-00000000000c' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | update | change own profile id | anon | denied');
select throws_ok($$ delete from public.profiles where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | delete | delete own profile | anon | denied');
reset role;

-- profiles, as user A
set local role authenticated;
set local request.jwt.claims to '{"sub": "aaaaaaaa-0000-4000-8000-00000000000a", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.profiles)::int, 1, 'profiles | select | read all profiles | user A | 1 row');
select is((select count(*) from public.profiles where id = 'bbbbbbbb-0000-4000-8000-00000000000b')::int, 0, 'profiles | select | read the other user''s profile | user A | 0 rows (RLS)');
select throws_ok($$ insert into public.profiles (id) values ('cccccccc-0000-4000-8000-00000000000c') $$, '42501', null, 'profiles | insert | create a profile | user A | denied');
select is(pg_temp.rows_changed($$ update public.profiles set display_name = 'New' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'profiles | update | edit own display name | user A | 1 row');
select is(pg_temp.rows_changed($$ update public.profiles set display_name = 'Hacked' where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$), 0, 'profiles | update | edit the other user''s profile | user A | 0 rows (RLS)');
select throws_ok($$ update public.profiles set plan = 'premium' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | update | upgrade own plan | user A | denied');
select throws_ok($$ update public.profiles set role = 'admin' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | update | make self admin | user A | denied');
select throws_ok($$ update public.profiles set id = 'cccccccc-0000-4000-8000-00000000000c' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | update | change own profile id | user A | denied');
select throws_ok($$ delete from public.profiles where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'profiles | delete | delete own profile | user A | denied');
reset role;

-- profiles, as user B
set local role authenticated;
set local request.jwt.claims to '{"sub": "bbbbbbbb-0000-4000-8000-00000000000b", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.profiles)::int, 1, 'profiles | select | read all profiles | user B | 1 row');
select is((select count(*) from public.profiles where id = 'aaaaaaaa-0000-4000-8000-00000000000a')::int, 0, 'profiles | select | read the other user''s profile | user B | 0 rows (RLS)');
select throws_ok($$ insert into public.profiles (id) values ('cccccccc-0000-4000-8000-00000000000c') $$, '42501', null, 'profiles | insert | create a profile | user B | denied');
select is(pg_temp.rows_changed($$ update public.profiles set display_name = 'New' where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$), 1, 'profiles | update | edit own display name | user B | 1 row');
select is(pg_temp.rows_changed($$ update public.profiles set display_name = 'Hacked' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 0, 'profiles | update | edit the other user''s profile | user B | 0 rows (RLS)');
select throws_ok($$ update public.profiles set plan = 'premium' where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'profiles | update | upgrade own plan | user B | denied');
select throws_ok($$ update public.profiles set role = 'admin' where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'profiles | update | make self admin | user B | denied');
select throws_ok($$ update public.profiles set id = 'cccccccc-0000-4000-8000-00000000000c' where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'profiles | update | change own profile id | user B | denied');
select throws_ok($$ delete from public.profiles where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'profiles | delete | delete own profile | user B | denied');
reset role;

-- profiles, as service_role
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is((select count(*) from public.profiles)::int, 2, 'profiles | select | read all profiles | service_role | 2 rows');
select is((select count(*) from public.profiles where id = 'bbbbbbbb-0000-4000-8000-00000000000b')::int, 1, 'profiles | select | read the other user''s profile | service_role | 1 row');
select is(pg_temp.rows_changed($$ insert into public.profiles (id) values ('cccccccc-0000-4000-8000-00000000000c') $$), 1, 'profiles | insert | create a profile | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.profiles set display_name = 'New' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'profiles | update | edit own display name | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.profiles set display_name = 'Hacked' where id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$), 1, 'profiles | update | edit the other user''s profile | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.profiles set plan = 'premium' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'profiles | update | upgrade own plan | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.profiles set role = 'admin' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'profiles | update | make self admin | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.profiles set id = 'cccccccc-0000-4000-8000-00000000000c' where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'profiles | update | change own profile id | service_role | 1 row');
select is(pg_temp.rows_changed($$ delete from public.profiles where id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'profiles | delete | delete own profile | service_role | 1 row');
reset role;

-- ----------------------------------------------------------------------------------------------
-- Modules: everyone, anon included, reads the published catalogue; only the service writes it.

-- modules, as anon
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select is((select count(*) from public.modules)::int, 1, 'modules | select | read the catalogue | anon | 1 row');
select is((select count(*) from public.modules where id = '22222222-0000-4000-8000-000000000002')::int, 0, 'modules | select | read an unpublished module | anon | 0 rows (RLS)');
select throws_ok($$ insert into public.modules (slug, title) values ('new-module', 'New') $$, '42501', null, 'modules | insert | add a module | anon | denied');
select throws_ok($$ update public.modules set title = 'Free!' where id = '11111111-0000-4000-8000-000000000001' $$, '42501', null, 'modules | update | rename a module | anon | denied');
select throws_ok($$ delete from public.modules where id = '22222222-0000-4000-8000-000000000002' $$, '42501', null, 'modules | delete | delete a module | anon | denied');
reset role;

-- modules, as user A
set local role authenticated;
set local request.jwt.claims to '{"sub": "aaaaaaaa-0000-4000-8000-00000000000a", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.modules)::int, 1, 'modules | select | read the catalogue | user A | 1 row');
select is((select count(*) from public.modules where id = '22222222-0000-4000-8000-000000000002')::int, 0, 'modules | select | read an unpublished module | user A | 0 rows (RLS)');
select throws_ok($$ insert into public.modules (slug, title) values ('new-module', 'New') $$, '42501', null, 'modules | insert | add a module | user A | denied');
select throws_ok($$ update public.modules set title = 'Free!' where id = '11111111-0000-4000-8000-000000000001' $$, '42501', null, 'modules | update | rename a module | user A | denied');
select throws_ok($$ delete from public.modules where id = '22222222-0000-4000-8000-000000000002' $$, '42501', null, 'modules | delete | delete a module | user A | denied');
reset role;

-- modules, as user B
set local role authenticated;
set local request.jwt.claims to '{"sub": "bbbbbbbb-0000-4000-8000-00000000000b", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.modules)::int, 1, 'modules | select | read the catalogue | user B | 1 row');
select is((select count(*) from public.modules where id = '22222222-0000-4000-8000-000000000002')::int, 0, 'modules | select | read an unpublished module | user B | 0 rows (RLS)');
select throws_ok($$ insert into public.modules (slug, title) values ('new-module', 'New') $$, '42501', null, 'modules | insert | add a module | user B | denied');
select throws_ok($$ update public.modules set title = 'Free!' where id = '11111111-0000-4000-8000-000000000001' $$, '42501', null, 'modules | update | rename a module | user B | denied');
select throws_ok($$ delete from public.modules where id = '22222222-0000-4000-8000-000000000002' $$, '42501', null, 'modules | delete | delete a module | user B | denied');
reset role;

-- modules, as service_role
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is((select count(*) from public.modules)::int, 2, 'modules | select | read the catalogue | service_role | 2 rows');
select is((select count(*) from public.modules where id = '22222222-0000-4000-8000-000000000002')::int, 1, 'modules | select | read an unpublished module | service_role | 1 row');
select is(pg_temp.rows_changed($$ insert into public.modules (slug, title) values ('new-module', 'New') $$), 1, 'modules | insert | add a module | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.modules set title = 'Free!' where id = '11111111-0000-4000-8000-000000000001' $$), 1, 'modules | update | rename a module | service_role | 1 row');
select is(pg_temp.rows_changed($$ delete from public.modules where id = '22222222-0000-4000-8000-000000000002' $$), 1, 'modules | delete | delete a module | service_role | 1 row');
reset role;

-- ----------------------------------------------------------------------------------------------
-- Module grants: bought, never self-assigned. A user reads only their own grants and
-- can neither add, extend nor revoke one; the service does all of it.

-- user_modules, as anon
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select throws_ok($$ select count(*) from public.user_modules $$, '42501', null, 'user_modules | select | read module grants | anon | denied');
select throws_ok($$ select count(*) from public.user_modules where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'user_modules | select | read the other user''s grants | anon | denied');
select throws_ok($$ insert into public.user_modules (user_id, module_id) values ('aaaaaaaa-0000-4000-8000-00000000000a', '22222222-0000-4000-8000-000000000002') $$, '42501', null, 'user_modules | insert | grant self a module | anon | denied');
select throws_ok($$ update public.user_modules set expires_at = null, source = 'support' where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'user_modules | update | extend own grant | anon | denied');
select throws_ok($$ delete from public.user_modules where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'user_modules | delete | revoke own grant | anon | denied');
reset role;

-- user_modules, as user A
set local role authenticated;
set local request.jwt.claims to '{"sub": "aaaaaaaa-0000-4000-8000-00000000000a", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.user_modules)::int, 1, 'user_modules | select | read module grants | user A | 1 row');
select is((select count(*) from public.user_modules where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b')::int, 0, 'user_modules | select | read the other user''s grants | user A | 0 rows (RLS)');
select throws_ok($$ insert into public.user_modules (user_id, module_id) values ('aaaaaaaa-0000-4000-8000-00000000000a', '22222222-0000-4000-8000-000000000002') $$, '42501', null, 'user_modules | insert | grant self a module | user A | denied');
select throws_ok($$ update public.user_modules set expires_at = null, source = 'support' where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'user_modules | update | extend own grant | user A | denied');
select throws_ok($$ delete from public.user_modules where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'user_modules | delete | revoke own grant | user A | denied');
reset role;

-- user_modules, as user B
set local role authenticated;
set local request.jwt.claims to '{"sub": "bbbbbbbb-0000-4000-8000-00000000000b", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.user_modules)::int, 1, 'user_modules | select | read module grants | user B | 1 row');
select is((select count(*) from public.user_modules where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a')::int, 0, 'user_modules | select | read the other user''s grants | user B | 0 rows (RLS)');
select throws_ok($$ insert into public.user_modules (user_id, module_id) values ('bbbbbbbb-0000-4000-8000-00000000000b', '22222222-0000-4000-8000-000000000002') $$, '42501', null, 'user_modules | insert | grant self a module | user B | denied');
select throws_ok($$ update public.user_modules set expires_at = null, source = 'support' where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'user_modules | update | extend own grant | user B | denied');
select throws_ok($$ delete from public.user_modules where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'user_modules | delete | revoke own grant | user B | denied');
reset role;

-- user_modules, as service_role
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is((select count(*) from public.user_modules)::int, 2, 'user_modules | select | read module grants | service_role | 2 rows');
select is((select count(*) from public.user_modules where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b')::int, 1, 'user_modules | select | read the other user''s grants | service_role | 1 row');
select is(pg_temp.rows_changed($$ insert into public.user_modules (user_id, module_id) values ('aaaaaaaa-0000-4000-8000-00000000000a', '22222222-0000-4000-8000-000000000002') $$), 1, 'user_modules | insert | grant self a module | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.user_modules set expires_at = null, source = 'support' where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'user_modules | update | extend own grant | service_role | 1 row');
select is(pg_temp.rows_changed($$ delete from public.user_modules where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 1, 'user_modules | delete | revoke own grant | service_role | 1 row');
reset role;

-- ----------------------------------------------------------------------------------------------
-- Sessions: the service records them; a user reads only their own and may end an active one,
-- and nothing else.

-- sessions, as anon
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select throws_ok($$ select count(*) from public.sessions $$, '42501', null, 'sessions | select | read sessions | anon | denied');
select throws_ok($$ select count(*) from public.sessions where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'sessions | select | read the other user''s sessions | anon | denied');
select throws_ok($$ insert into public.sessions (user_id) values ('aaaaaaaa-0000-4000-8000-00000000000a') $$, '42501', null, 'sessions | insert | record a session | anon | denied');
select throws_ok($$ update public.sessions set ended_at = now() where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' and ended_at is null $$, '42501', null, 'sessions | update | end own active session | anon | denied');
select throws_ok($$ update public.sessions set ended_at = now() where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' and ended_at is null $$, '42501', null, 'sessions | update | end the other user''s session | anon | denied');
select throws_ok($$ update public.sessions set ended_at = null where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' and ended_at is not null $$, '42501', null, 'sessions | update | reopen own ended session | anon | denied');
select throws_ok($$ update public.sessions set user_agent = 'x' where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'sessions | update | rewrite own session''s user agent | anon | denied');
select throws_ok($$ delete from public.sessions where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'sessions | delete | delete own sessions | anon | denied');
reset role;

-- sessions, as user A
set local role authenticated;
set local request.jwt.claims to '{"sub": "aaaaaaaa-0000-4000-8000-00000000000a", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.sessions)::int, 2, 'sessions | select | read sessions | user A | 2 rows');
select is((select count(*) from public.sessions where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b')::int, 0, 'sessions | select | read the other user''s sessions | user A | 0 rows (RLS)');
select throws_ok($$ insert into public.sessions (user_id) values ('aaaaaaaa-0000-4000-8000-00000000000a') $$, '42501', null, 'sessions | insert | record a session | user A | denied');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = now() where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' and ended_at is null $$), 1, 'sessions | update | end own active session | user A | 1 row');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = now() where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' and ended_at is null $$), 0, 'sessions | update | end the other user''s session | user A | 0 rows (RLS)');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = null where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' and ended_at is not null $$), 0, 'sessions | update | reopen own ended session | user A | 0 rows (RLS)');
select throws_ok($$ update public.sessions set user_agent = 'x' where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'sessions | update | rewrite own session''s user agent | user A | denied');
select throws_ok($$ delete from public.sessions where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$, '42501', null, 'sessions | delete | delete own sessions | user A | denied');
reset role;

-- sessions, as user B
set local role authenticated;
set local request.jwt.claims to '{"sub": "bbbbbbbb-0000-4000-8000-00000000000b", "role": "authenticated", "aud": "authenticated"}';
select is((select count(*) from public.sessions)::int, 2, 'sessions | select | read sessions | user B | 2 rows');
select is((select count(*) from public.sessions where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a')::int, 0, 'sessions | select | read the other user''s sessions | user B | 0 rows (RLS)');
select throws_ok($$ insert into public.sessions (user_id) values ('bbbbbbbb-0000-4000-8000-00000000000b') $$, '42501', null, 'sessions | insert | record a session | user B | denied');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = now() where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' and ended_at is null $$), 1, 'sessions | update | end own active session | user B | 1 row');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = now() where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' and ended_at is null $$), 0, 'sessions | update | end the other user''s session | user B | 0 rows (RLS)');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = null where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' and ended_at is not null $$), 0, 'sessions | update | reopen own ended session | user B | 0 rows (RLS)');
select throws_ok($$ update public.sessions set user_agent = 'x' where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'sessions | update | rewrite own session''s user agent | user B | denied');
select throws_ok($$ delete from public.sessions where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' $$, '42501', null, 'sessions | delete | delete own sessions | user B | denied');
reset role;

-- sessions, as service_role
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is((select count(*) from public.sessions)::int, 4, 'sessions | select | read sessions | service_role | 4 rows');
select is((select count(*) from public.sessions where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b')::int, 2, 'sessions | select | read the other user''s sessions | service_role | 2 rows');
select is(pg_temp.rows_changed($$ insert into public.sessions (user_id) values ('aaaaaaaa-0000-4000-8000-00000000000a') $$), 1, 'sessions | insert | record a session | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = now() where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' and ended_at is null $$), 1, 'sessions | update | end own active session | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = now() where user_id = 'bbbbbbbb-0000-4000-8000-00000000000b' and ended_at is null $$), 1, 'sessions | update | end the other user''s session | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.sessions set ended_at = null where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' and ended_at is not null $$), 1, 'sessions | update | reopen own ended session | service_role | 1 row');
select is(pg_temp.rows_changed($$ update public.sessions set user_agent = 'x' where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 2, 'sessions | update | rewrite own session''s user agent | service_role | 2 rows');
select is(pg_temp.rows_changed($$ delete from public.sessions where user_id = 'aaaaaaaa-0000-4000-8000-00000000000a' $$), 2, 'sessions | delete | delete own sessions | service_role | 2 rows');
reset role;

select * from finish();
rollback;
