-- The schema's own guarantees, beyond who may touch which row: RLS on every table, internal
-- functions out of the clients' reach, definer functions pinned to an empty search_path, every
-- foreign key indexed, policies that name their role, and the signup trigger trusting nothing
-- users can edit. (Supabase's linter, `supabase db advisors`, checks the rest in `make test`.)
begin;
select plan(14);

select is_empty(
  $$ select relname from pg_class
      where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relrowsecurity $$,
  'every table in public has row level security enabled'
);

-- Every table the migrations make, read from the catalog (a new table is checked with no edit here).
select table_privs_are('public', 'modules', 'anon', array['SELECT'], 'anon may only read the catalogue');
select is_empty(
  $$ select relname from pg_class
      where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')
        and (has_table_privilege('anon', oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
             or has_any_column_privilege('anon', oid, 'INSERT, UPDATE')) $$,
  'anon may write to no table in public'
);
select is_empty(
  $$ select c.relname from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
        and (has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
             or has_any_column_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
        and not exists (
          select from pg_policies p
           where p.schemaname = 'public' and p.tablename = c.relname and 'anon' = any(p.roles)) $$,
  'anon holds no privilege on a table that no policy opens to anon'
);
-- `(select auth.uid())` runs once per statement; a bare auth.uid() runs once per row.
select is_empty(
  $$ select tablename || ': ' || policyname from pg_policies
      where schemaname = 'public'
        and regexp_replace(coalesce(qual, '') || ' ' || coalesce(with_check, ''),
                           'SELECT auth\.uid\(\) AS uid', '', 'g') ~ 'auth\.uid\(\)' $$,
  'every policy reads auth.uid() through a select'
);

select ok(
  not has_function_privilege('anon', 'public.handle_new_user()', 'execute')
    and not has_function_privilege('authenticated', 'public.handle_new_user()', 'execute'),
  'clients cannot call the signup trigger function'
);
select ok(
  not has_function_privilege('anon', 'public.set_updated_at()', 'execute')
    and not has_function_privilege('authenticated', 'public.set_updated_at()', 'execute'),
  'clients cannot call the updated_at trigger function'
);

select is_empty(
  $$ select p.proname from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prosecdef
        and not coalesce('search_path=""' = any(p.proconfig), false) $$,
  'every security definer function pins an empty search_path'
);
select isnt_empty(
  $$ select from pg_proc where pronamespace = 'public'::regnamespace and prosecdef $$,
  'handle_new_user is security definer (the check above is not vacuous)'
);

select is_empty(
  $$ select c.conrelid::regclass::text || ' ' || c.conname from pg_constraint c
      where c.contype = 'f' and c.connamespace = 'public'::regnamespace
        and not exists (
          select from pg_index i
           where i.indrelid = c.conrelid
             and (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey) $$,
  'every foreign key is the leading column of an index'
);

select is_empty(
  $$ select tablename || ': ' || policyname from pg_policies
      where schemaname = 'public' and 'public' = any(roles) $$,
  'every policy names its role (to authenticated, to anon)'
);

-- Signup: the trigger makes a profile from the display name only, whatever else users claim.
insert into auth.users (id, email, raw_user_meta_data) values
  ('dddddddd-0000-4000-8000-00000000000d', 'd@example.com',
   '{"display_name": "  Dee  ", "plan": "premium", "role": "admin"}');
select results_eq(
  $$ select display_name, plan, role from public.profiles where id = 'dddddddd-0000-4000-8000-00000000000d' $$,
  $$ values ('Dee'::text, 'free'::text, 'member'::text) $$,
  'a new auth user gets a default profile whatever their metadata claims'
);

update public.profiles
   set created_at = now() - interval '1 day', updated_at = now() - interval '1 day'
 where id = 'dddddddd-0000-4000-8000-00000000000d';
select ok(
  (select updated_at = now() from public.profiles where id = 'dddddddd-0000-4000-8000-00000000000d'),
  'updated_at follows every update, whoever writes it'
);

select throws_ok(
  $$ alter table auth.users add column nickname text $$,
  '42501',
  'must be owner of table users',
  'migrations cannot alter auth.users (Supabase Auth owns it)'
);

select * from finish();
rollback;
